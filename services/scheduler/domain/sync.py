"""A sync run, step by step: which pairs, what to read, what to match, the plan, the writes.

Pure functions over records. A run moves through phases (listing, reading, matching,
planning, applying); each function that changes a run returns the new record, or None
when the event changes nothing (a redelivery, a run that already ended), so handlers stay
idempotent. Each request carries a ``Correlation`` (run, step, pair, side) that its reply
echoes: a reply finds its run and its step by that alone; its request id is only the key
duplicates and the run's ``waiting`` are known by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

import msgspec

from services.kernel.contracts import (
    MAX_BATCH,
    Correlation,
    PlaylistFileItem,
    PlaylistRef,
    SnapshotRef,
    Track,
)
from services.kernel.records import (
    NOT_IN_LIBRARY,
    NOT_ON_SERVICE,
    SET_KINDS,
    MovedItem,
    NotSynced,
    PairPlan,
    PairRun,
    PairSide,
    ReviewRecord,
    Side,
    SyncJobRecord,
    SyncPairState,
    SyncRunRecord,
    WriteChain,
    conflict_review_id,
    key_token,
    run_download_id,
)
from services.scheduler.domain.planning import Direction, Options, apply_plan, plan_playlist
from services.scheduler.records import MappingRecord, SyncBase

PREFIX = "sync."
LIKED = "liked"
ALBUMS = "albums"
ARTISTS = "artists"
_ENDED = ("planned", "completed", "failed", "cancelled")
SIDES: tuple[Side, Side] = ("a", "b")


def other(side: Side) -> Side:
    """The other side."""
    return "b" if side == "a" else "a"


def flows(job: SyncJobRecord, side: Side) -> bool:
    """Whether tracks travel from ``side`` to the other in this job."""
    return job.direction == "both" or job.direction == f"{side}_to_{other(side)}"


def sends(job: SyncJobRecord, pair: PairRun, side: Side) -> bool:
    """Whether ``side`` of ``pair`` sends tracks to the other (a history only sends; a
    skipped pair sends nothing)."""
    if pair.skipped:
        return False
    if pair.kind == "recent":
        return side == pair.history_side
    return flows(job, side)


def receives(job: SyncJobRecord, pair: PairRun, side: Side) -> bool:
    """Whether ``side`` of ``pair`` is written to (or created) by a run."""
    return sends(job, pair, other(side))


def provider_of(job: SyncJobRecord, side: Side) -> tuple[str, str]:
    """``(connection_id, provider)`` of one side of a job."""
    found = job.sides[side]
    return found.connection_id, found.provider


def shown(job: SyncJobRecord, side: Side) -> str:
    """A side as a person knows it: by its service's name."""
    return job.provider_name(side)


# --- requests: their correlation (what a reply is routed by) and their key -------------

SyncStep = Literal["list", "read", "match", "write"]


def request_id(run_id: str, step: SyncStep, *rest: object) -> str:
    """The key of one request of a run: what duplicates are known by and what the run's
    ``waiting`` holds (never parsed: a reply is routed by its correlation)."""
    return ".".join([f"{PREFIX}{run_id}", step, *map(str, rest)])


def ask(
    run_id: str, step: SyncStep, index: int | None = None, side: Side | None = None, part: str = ""
) -> tuple[str, Correlation]:
    """The key and the correlation of one request of a run: listing a side, reading a
    pair's side (``index``), matching a side's batch (``index``), a chain's write
    (``index``, ``side``, ``part``: the write's number in its chain)."""
    rest: tuple[object, ...] = {
        "list": (side,),
        "read": (index, side),
        "match": (side, index),
        "write": (index, side, part),
    }[step]
    correlation = Correlation(
        flow="sync", run_id=run_id, step=step, index=index, side=side, part=part
    )
    return request_id(run_id, step, *rest), correlation


def step_of(correlation: Correlation | None, request: str | None = None) -> Correlation | None:
    """The sync step a reply (or a dead request) belongs to, from its correlation; None if
    it belongs to no sync run."""
    if correlation is not None:
        return correlation if correlation.flow == "sync" else None
    return _legacy_step(request) if request else None


# UPGRADE FALLBACK (remove in the release after the one that added correlations): a
# request sent before then carries no correlation; its reply is routed by its id, as
# before. Nothing new is ever parsed.
_REQUEST = re.compile(r"^sync\.([0-9a-f]{32})\.(list|read|match|write)\.(.+)$")


def _legacy_step(value: str) -> Correlation | None:
    found = _REQUEST.match(value)
    if not found:
        return None
    run_id, step, rest = found[1], found[2], found[3].split(".")
    try:
        if step == "list":
            return Correlation(flow="sync", run_id=run_id, step=step, side=_side(rest[0]))
        if step == "read":
            return Correlation(
                flow="sync", run_id=run_id, step=step, index=int(rest[0]), side=_side(rest[1])
            )
        if step == "match":
            return Correlation(
                flow="sync", run_id=run_id, step=step, index=int(rest[1]), side=_side(rest[0])
            )
        return Correlation(
            flow="sync",
            run_id=run_id,
            step=step,
            index=int(rest[0]),
            side=_side(rest[1]),
            part=rest[2],
        )
    except (IndexError, ValueError):
        return None


def _side(value: str) -> Side:
    return "b" if value == "b" else "a"


# --- run state ------------------------------------------------------------------------------


def ended(run: SyncRunRecord) -> bool:
    """True once a run has stopped for good (a dry run stops at its plan)."""
    return run.status in _ENDED


def lists(job: SyncJobRecord) -> bool:
    """Whether a run of the job lists the sides' playlists first (liked songs, albums and
    artists alone need no listing)."""
    return bool(job.all_playlists or job.playlists or job.recently_played)


def reads_library(job: SyncJobRecord) -> bool:
    """Whether a side of the job is a media server's library (downloads land there)."""
    return any(s.library for s in job.sides.values())


def library_side(job: SyncJobRecord) -> Side | None:
    """The side of the job that is a media server's library (B when both are), if any."""
    return "b" if job.sides["b"].library else "a" if job.sides["a"].library else None


def playlist_file_items(
    run_id: str,
    library: Side,
    plan: PairPlan,
    tracks: Mapping[str, Track],
    paths: Mapping[str, str],
    not_synced: Sequence[NotSynced],
) -> tuple[PlaylistFileItem, ...]:
    """A synced playlist as its M3U8 lists it: the library side's tracks once the run's
    writes are done, in the playlist's order, each by its file where the server said
    (``paths``, by track id); then each track of the pair not in the library, by the
    download that would bring it (``not_synced``: the run's whole report, whose
    positions name its downloads)."""
    final = (plan.order_b or plan.final_b) if library == "b" else plan.final_a
    items: list[PlaylistFileItem] = []
    for track_id in final:
        track = tracks.get(track_id)
        items.append(
            PlaylistFileItem(
                position=len(items),
                title=track.title if track else "",
                artists=track.artists if track else (),
                duration_ms=track.duration_ms if track else None,
                path=paths.get(track_id),
            )
        )
    for index, line in enumerate(not_synced):
        if line.pair == plan.name and line.reason == NOT_IN_LIBRARY:
            items.append(
                PlaylistFileItem(
                    position=len(items),
                    title=line.title,
                    artists=line.artists,
                    duration_ms=line.duration_ms,
                    download_id=run_download_id(run_id, index),
                )
            )
    return tuple(items)


def start(run: SyncRunRecord, now: datetime) -> SyncRunRecord | None:
    """A pending run begins."""
    if run.status != "pending":
        return None
    return msgspec.structs.replace(run, status="running", updated_at=now)


def fail(run: SyncRunRecord, error: str, now: datetime) -> SyncRunRecord | None:
    """The run stops with a reason a person can read."""
    if ended(run):
        return None
    return msgspec.structs.replace(
        run, status="failed", error=error, waiting=[], updated_at=now, finished_at=now
    )


def stop_cancelled(run: SyncRunRecord, now: datetime) -> SyncRunRecord | None:
    """A run asked to stop does so (nothing more is sent; what was written stays)."""
    if ended(run) or not run.cancel_requested:
        return None
    return msgspec.structs.replace(
        run, status="cancelled", waiting=[], updated_at=now, finished_at=now
    )


def awaiting(run: SyncRunRecord, phase: str, ids: Sequence[str], now: datetime) -> SyncRunRecord:
    """The run enters ``phase`` and waits for these requests."""
    return msgspec.structs.replace(
        run,
        phase=phase,
        waiting=list(ids),
        updated_at=now,
    )


def answered(
    run: SyncRunRecord, request: str, now: datetime, change: SyncRunRecord | None = None
) -> SyncRunRecord | None:
    """``request`` was answered (``change`` holds what the answer brought): None if it was
    answered before or the run has moved on."""
    if ended(run) or request not in run.waiting:
        return None
    base = change or run
    return msgspec.structs.replace(
        base, waiting=[r for r in run.waiting if r != request], updated_at=now
    )


# --- pairs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pairing:
    """The pairs a run syncs, and what it could not pair (for the run's notes)."""

    pairs: list[PairRun]
    notes: list[str]


def pair_key_for(a_playlist_id: str | None, b_playlist_id: str | None) -> str:
    """A pair's key: from the id it was first known by."""
    if a_playlist_id:
        return f"a-{key_token(a_playlist_id)}"
    assert b_playlist_id
    return f"b-{key_token(b_playlist_id)}"


def resolve_pairs(
    job: SyncJobRecord,
    states: Sequence[SyncPairState],
    listings: Mapping[str, Sequence[PlaylistRef]],
) -> Pairing:
    """The playlists this run syncs, paired by id (never by name): chosen pairs, then (for
    ``all_playlists``) every other playlist a flowing side owns, each with the playlist
    remembered for it on the other side.

    A copy that is gone from a side the job writes to is made again (and filled: the pair
    is ``remade``, planned as a first sync). A playlist gone from a side the job only
    reads is skipped with a note. A side to be made where that service already has a
    playlist of the same name is not made silently: the pair waits for a choice (choose
    that playlist as the partner, or allow a second copy with ``new_copy``).
    """
    by_a = {s.a_playlist_id: s for s in states if s.a_playlist_id}
    by_b = {s.b_playlist_id: s for s in states if s.b_playlist_id}
    names: dict[Side, dict[str, str]] = {
        side: {p.playlist_id: p.name for p in listings.get(side, ())} for side in SIDES
    }
    wanted: list[tuple[str | None, str | None, bool]] = [  # a id, b id, allow a second copy
        (p.a_playlist_id, p.b_playlist_id, p.new_copy) for p in job.playlists
    ]
    if job.all_playlists:
        for side in SIDES:
            if flows(job, side):
                for playlist in listings.get(side, ()):
                    if playlist.owned:
                        found = playlist.playlist_id
                        wanted.append((found, None, False) if side == "a" else (None, found, False))
    pairs: list[PairRun] = []
    notes: list[str] = []
    seen: set[tuple[Side, str]] = set()
    for a_wanted, b_wanted, new_copy in wanted:
        state = by_a.get(a_wanted) if a_wanted else by_b.get(b_wanted or "")
        key = state.pair_key if state else pair_key_for(a_wanted, b_wanted)
        ids: dict[Side, str | None] = {
            "a": a_wanted or (state.a_playlist_id if state else None),
            "b": b_wanted or (state.b_playlist_id if state else None),
        }
        if any(i and (side, i) in seen for side, i in ids.items()):
            continue
        known = names["a"].get(ids["a"] or "") or names["b"].get(ids["b"] or "")
        known = known or (state.name if state else None)
        name = known or "Playlist"
        skip, remade = False, None
        for side, playlist_id in list(ids.items()):
            if not playlist_id or playlist_id in names[side]:
                continue
            remembered = state.playlist_id(side) if state else None
            if remembered and remembered != playlist_id and remembered in names[side]:
                ids[side] = remembered  # made again by an earlier run: that copy it is
            elif flows(job, other(side)):  # the copy we write to was deleted: make it again
                ids[side], remade = None, side
                notes.append(
                    f"“{name}” was deleted on {shown(job, side)} since the last sync: "
                    "it is made again and filled"
                )
            else:
                label = f"“{known}”" if known else f"the playlist {playlist_id}"
                notes.append(f"{label} is no longer on {shown(job, side)}: skipped")
                skip = True
        if skip or not (ids["a"] or ids["b"]):
            continue
        seen |= {(side, i) for side, i in ids.items() if i}
        pair = PairRun(
            pair_key=key,
            name=name,
            sides={side: PairSide(playlist_id=i) for side, i in ids.items()},
            remade=remade,
        )
        for side in SIDES:
            if ids[side] is None and flows(job, other(side)) and not new_copy:
                taken = [i for i, n in names[side].items() if n.casefold() == name.casefold()]
                if taken:
                    pair = msgspec.structs.replace(
                        pair,
                        skipped=f"{shown(job, side)} already has a playlist called “{name}”: "
                        "choose it as this playlist's partner in the job, or allow a second "
                        "copy; nothing was made",
                    )
        pairs.append(pair)
    if job.liked:
        pairs.append(PairRun(pair_key=LIKED, name="Liked songs", kind="liked"))
    if job.albums:
        pairs.append(PairRun(pair_key=ALBUMS, name="Saved albums", kind="albums"))
    if job.artists:
        pairs.append(PairRun(pair_key=ARTISTS, name="Followed artists", kind="artists"))
    if job.recently_played:
        for side in SIDES:
            if not flows(job, side):
                continue
            key, target = f"recent-{side}", other(side)
            state = next((s for s in states if s.pair_key == key), None)
            copy = state.playlist_id(target) if state else None
            remade_copy: Side | None = None
            if copy and copy not in names[target]:
                copy, remade_copy = None, target  # the copy was deleted: make it again
            pair = PairRun(
                pair_key=key,
                name=f"Recently played on {shown(job, side)}",
                kind="recent",
                history_side=side,
                remade=remade_copy,
            )
            pairs.append(pair.with_side(target, playlist_id=copy))
    return Pairing(pairs, notes)


def reads(run: SyncRunRecord) -> list[tuple[str, Correlation]]:
    """``(request id, correlation)`` of every read a run needs: each side of each pair
    that exists."""
    return [
        ask(run.run_id, "read", index, side)
        for index, pair in enumerate(run.pairs)
        for side in pair.read_sides()
    ]


def with_read(
    run: SyncRunRecord, request: str, index: int, side: Side, snapshot: SnapshotRef, now: datetime
) -> SyncRunRecord | None:
    """A side of a pair was read."""
    if index >= len(run.pairs):
        return None
    pairs = list(run.pairs)
    pairs[index] = pairs[index].with_side(side, snapshot=snapshot)
    return answered(run, request, now, msgspec.structs.replace(run, pairs=pairs))


def with_unreadable(
    run: SyncRunRecord, request: str, index: int, reason: str, now: datetime
) -> SyncRunRecord | None:
    """A side of a pair could not be read: the pair is skipped with ``reason``, and the
    run goes on with the others."""
    if index >= len(run.pairs):
        return None
    pairs = list(run.pairs)
    pairs[index] = msgspec.structs.replace(pairs[index], skipped=reason)
    return answered(run, request, now, msgspec.structs.replace(run, pairs=pairs))


def skipped_line(job: SyncJobRecord, pair: PairRun) -> NotSynced:
    """The report's line for a pair left out of a run (the whole playlist)."""
    ids = {side: s.playlist_id for side, s in pair.sides.items()}
    side: Side = "a" if ids["a"] or not ids["b"] else "b"
    return NotSynced(
        pair=pair.name,
        kind=pair.kind,
        side=side,
        title=f"All of “{pair.name}”",
        reason=pair.skipped or "skipped",
    )


# --- matching -------------------------------------------------------------------------------


def ids_of(tracks: Iterable[Track]) -> list[str]:
    """The provider ids of a side's tracks (local files have none and cannot be synced)."""
    return [t.provider_id for t in tracks if t.provider_id]


def to_match(
    tracks: Iterable[Track],
    mapped: Mapping[str, MappingRecord],
    reviews: Mapping[str, ReviewRecord],
) -> list[Track]:
    """Tracks that need a match: not mapped, not waiting for or skipped by a person, each
    once."""
    found: dict[str, Track] = {}
    for track in tracks:
        track_id = track.provider_id
        if track_id and track_id not in mapped and track_id not in reviews:
            found.setdefault(track_id, track)
    return list(found.values())


def batched(items: Sequence[Track], size: int = MAX_BATCH) -> list[tuple[Track, ...]]:
    """Consecutive batches of at most ``size``."""
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


# --- planning -------------------------------------------------------------------------------


def mapping_a_to_b(
    from_a: Mapping[str, MappingRecord], from_b: Mapping[str, MappingRecord]
) -> dict[str, str]:
    """One mapping from A's ids to B's: A's own records, then B's records turned round."""
    mapping = {a: record.target_id for a, record in from_a.items()}
    for b, record in from_b.items():
        if record.target_id != NOT_ON_SERVICE:
            mapping.setdefault(record.target_id, b)
    return mapping


@dataclass(frozen=True)
class PairOutcome:
    """A pair's plan, its report lines, and the conflicts to ask a person about."""

    plan: PairPlan
    not_synced: list[NotSynced]
    questions: list[ReviewRecord]
    #: What a person should hear before the run (removals a service cannot make).
    notes: list[str] = field(default_factory=list)
    #: Each sent item that is (or will be, once written) on the other side.
    moved: list[MovedItem] = field(default_factory=list)


def settled_conflicts(
    job: SyncJobRecord, pair: PairRun, reviews: Iterable[ReviewRecord]
) -> dict[tuple[str, str], Literal["keep", "remove"]]:
    """A person's answers to this pair's conflicts, by ``(a id, b id)``."""
    return {
        (r.a_id, r.b_id): r.decision
        for r in reviews
        if r.kind == "conflict"
        and r.job_id == job.job_id
        and r.pair_key == pair.pair_key
        and r.status == "decided"
        and r.decision in ("keep", "remove")
    }


def plan_pair(
    job: SyncJobRecord,
    pair: PairRun,
    a_tracks: Sequence[Track],
    b_tracks: Sequence[Track],
    base: SyncBase,
    from_a: Mapping[str, MappingRecord],
    from_b: Mapping[str, MappingRecord],
    reviews: Mapping[str, ReviewRecord],
    settled: Mapping[tuple[str, str], Literal["keep", "remove"]] | None = None,
    run_id: str = "",
    unsearched: Mapping[str, str] | None = None,
) -> PairOutcome:
    """What to write to each side of a pair, the base to record once it is written, every
    track that is not synced, with why (``unsearched``: the tracks whose search was
    refused, ``<side>:<id>``, and the refusal), and the conflicts to ask about."""
    o = job.options
    options = Options(
        direction=job.direction,
        policy=o.policy,
        prefer=o.prefer,
        propagate_removals=o.propagate_removals,
        max_removals=o.max_removals,
        cannot_remove=frozenset(side for side, why in refusals(pair).items() if why),
    )
    if pair.history_side is not None:  # a history only grows its copy
        direction: Direction = "a_to_b" if pair.history_side == "a" else "b_to_a"
        options = replace(options, direction=direction, propagate_removals=False)
    a_ids, b_ids = ids_of(a_tracks), ids_of(b_tracks)
    plan = plan_playlist(
        a_ids, b_ids, base.a, base.b, mapping_a_to_b(from_a, from_b), options, settled
    )
    final_a, final_b = apply_plan(a_ids, b_ids, plan)
    # What was not carried across stays out of the base, so that the next run offers it
    # again (after a review decision, say); a conflict's removed side stays in it, so the
    # question is asked again rather than settled by forgetting.
    held_a = set(plan.unmatched_a) | set(plan.not_on_other_side)
    held_b = set(plan.unmatched_b)
    for conflict in plan.conflicts:
        if conflict.removed_on == "a":
            final_a.append(conflict.a_id)
            held_b.add(conflict.b_id)
        else:
            final_b.append(conflict.b_id)
            held_a.add(conflict.a_id)
    # Withheld removals, and removals a service cannot make, are remembered as not yet
    # removed: the next run plans them again (and says so again), until the cap allows
    # them or the tracks come back.
    if "b" in plan.withheld_removals or "b" in plan.unremovable:
        final_a += [x for x in base.a if x not in set(a_ids)]
    if "a" in plan.withheld_removals or "a" in plan.unremovable:
        final_b += [y for y in base.b if y not in set(b_ids)]
    failed = unsearched or {}
    report = _not_synced(job, pair, plan.unmatched_a, a_tracks, "a", from_a, reviews, failed)
    report += _not_synced(job, pair, plan.unmatched_b, b_tracks, "b", from_b, reviews, failed)
    report += _not_synced(job, pair, plan.not_on_other_side, a_tracks, "a", from_a, reviews, failed)
    titles = {t.provider_id: t for t in (*a_tracks, *b_tracks) if t.provider_id}
    questions = []
    for conflict in plan.conflicts:
        added = conflict.b_id if conflict.removed_on == "a" else conflict.a_id
        track = titles.get(added) or Track(title=added, provider_id=added)
        review_id = conflict_review_id(job.job_id, pair.pair_key, conflict.a_id, conflict.b_id)
        report.append(
            NotSynced(
                pair=pair.name,
                kind=pair.kind,
                side=other(conflict.removed_on),
                title=track.title,
                artists=track.artists,
                provider_id=added,
                reason=f"conflict: removed on {shown(job, conflict.removed_on)} and added "
                f"on {shown(job, other(conflict.removed_on))} since the last sync; waiting "
                "for your decision (keep or remove)",
                review_id=review_id,
            )
        )
        questions.append(
            ReviewRecord(
                review_id=review_id,
                user_id=job.user_id,
                job_id=job.job_id,
                run_id=run_id,
                from_provider=provider_of(job, other(conflict.removed_on))[1],
                to_provider=provider_of(job, conflict.removed_on)[1],
                source=track,
                kind="conflict",
                pair_key=pair.pair_key,
                removed_on=conflict.removed_on,
                a_id=conflict.a_id,
                b_id=conflict.b_id,
            )
        )
    for side, count in plan.withheld_removals.items():
        report.append(
            NotSynced(
                pair=pair.name,
                kind=pair.kind,
                side=side,  # type: ignore[arg-type]
                title=f"{count} removals",
                reason=f"withheld: more than the job's cap of {o.max_removals} per run",
            )
        )
    notes = []
    for side, count in plan.unremovable.items():
        why = refusals(pair)[side]  # type: ignore[index]
        removals = f"{count} removal{'s' if count != 1 else ''}"
        notes.append(f"{why}: {removals} not made")
        report.append(
            NotSynced(
                pair=pair.name,
                kind=pair.kind,
                side=side,  # type: ignore[arg-type]
                title=removals,
                reason=f"not made: {why}",
            )
        )
    for side, tracks in (("a", a_tracks), ("b", b_tracks)):
        local = [t for t in tracks if not t.provider_id]
        report += [
            NotSynced(
                pair=pair.name,
                kind=pair.kind,
                side=side,  # type: ignore[arg-type]
                title=t.title,
                artists=t.artists,
                reason="a local file: it has no id to sync",
            )
            for t in local
        ]
    moved = []
    for side, tracks, there, adding in (
        ("a", a_tracks, b_ids, plan.add_to_b),
        ("b", b_tracks, a_ids, plan.add_to_a),
    ):
        if not sends(job, pair, side):  # type: ignore[arg-type]
            continue
        to_other = mapping_a_to_b(from_a, from_b) if side == "a" else mapping_a_to_b(from_b, from_a)
        moved += moved_items(pair, tracks, to_other, set(there), set(adding))
    final_b = [y for y in dict.fromkeys(final_b) if y not in held_b]
    order_b: list[str] = []
    if job.sides["b"].library and options.direction == "a_to_b" and pair.kind == "playlist":
        order_b = in_order_of(final_b, a_ids, mapping_a_to_b(from_a, from_b))
    return PairOutcome(
        PairPlan(
            pair_key=pair.pair_key,
            name=pair.name,
            add_to_a=list(plan.add_to_a),
            remove_from_a=list(plan.remove_from_a),
            add_to_b=list(plan.add_to_b),
            remove_from_b=list(plan.remove_from_b),
            final_a=[x for x in dict.fromkeys(final_a) if x not in held_a],
            final_b=final_b,
            order_b=order_b if order_b != final_b else [],
            conflicts=len(plan.conflicts),
            withheld_removals=dict(plan.withheld_removals),
            settled_reviews=[
                conflict_review_id(job.job_id, pair.pair_key, a, b) for a, b in (settled or {})
            ],
        ),
        report,
        questions,
        notes,
        moved,
    )


def moved_items(
    pair: PairRun,
    tracks: Sequence[Track],
    to_other: Mapping[str, str],
    there: set[str],
    adding: set[str],
) -> list[MovedItem]:
    """The items of a sending side that the other side has (``already_there``) or that
    the plan adds (``added``), each once, in the side's order."""
    found: list[MovedItem] = []
    seen: set[str] = set()
    for track in tracks:
        source_id = track.provider_id
        target_id = to_other.get(source_id or "")
        if not source_id or not target_id or target_id == NOT_ON_SERVICE or source_id in seen:
            continue
        status: Literal["added", "already_there"] | None = (
            "added" if target_id in adding else "already_there" if target_id in there else None
        )
        if status is None:
            continue
        seen.add(source_id)
        found.append(
            MovedItem(
                pair=pair.name,
                kind=pair.kind,
                title=track.title,
                artists=track.artists,
                source_id=source_id,
                target_id=target_id,
                status=status,
            )
        )
    return found


def in_order_of(
    target: Sequence[str], source: Sequence[str], to_target: Mapping[str, str]
) -> list[str]:
    """``target``'s tracks in the order of their counterparts in ``source``; those with
    none keep their order, after them."""
    present = set(target)
    placed = list(dict.fromkeys(t for t in (to_target.get(s) for s in source) if t in present))
    seen = set(placed)
    return placed + [t for t in target if t not in seen]


def refusals(pair: PairRun) -> dict[Side, str | None]:
    """Why each side's service cannot take tracks out of the pair's collection (None
    where it can), as the connectors said when the side was read."""
    return {
        side: found.snapshot.removals_refused if found.snapshot else None
        for side, found in pair.sides.items()
    }


def _not_synced(
    job: SyncJobRecord,
    pair: PairRun,
    ids: Iterable[str],
    tracks: Sequence[Track],
    side: Side,
    mapped: Mapping[str, MappingRecord],
    reviews: Mapping[str, ReviewRecord],
    unsearched: Mapping[str, str],
) -> list[NotSynced]:
    target = provider_of(job, other(side))[1]
    by_id = {t.provider_id: t for t in tracks if t.provider_id}
    lines = []
    for track_id in ids:
        track = by_id.get(track_id)
        review = reviews.get(track_id)
        record = mapped.get(track_id)
        refused = unsearched.get(f"{side}:{track_id}")
        if record is not None and record.target_id == NOT_ON_SERVICE:
            reason = f"you said it is not on {target}"
        elif record is None and review is None and refused:
            reason = f"not searched on {target}: {refused}"
        elif review is not None and review.status == "skipped":
            reason = "skipped in review"
        elif review is not None:
            reason = "waiting for your review"
        elif job.sides[other(side)].library:
            reason = NOT_IN_LIBRARY  # a media server's search is the person's library
        else:
            reason = f"no match found on {target}"
        lines.append(
            NotSynced(
                pair=pair.name,
                kind=pair.kind,
                side=side,
                title=track.title if track else track_id,
                artists=track.artists if track else (),
                provider_id=track_id,
                reason=reason,
                review_id=review.review_id if review else None,
                album=track.album if track else None,
                duration_ms=track.duration_ms if track else None,
            )
        )
    return lines


def counts(plans: Sequence[PairPlan], not_synced: Sequence[NotSynced]) -> dict[str, int]:
    """What a plan does, by action (and how many tracks are not synced)."""
    return {
        "add_to_a": sum(len(p.add_to_a) for p in plans),
        "remove_from_a": sum(len(p.remove_from_a) for p in plans),
        "add_to_b": sum(len(p.add_to_b) for p in plans),
        "remove_from_b": sum(len(p.remove_from_b) for p in plans),
        "conflicts": sum(p.conflicts for p in plans),
        "not_synced": len(not_synced),
        "review": sum(1 for n in not_synced if n.reason == "waiting for your review"),
    }


# --- applying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteStep:
    """One write request of a chain."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    create_name: str | None = None
    order: tuple[str, ...] = ()


def write_steps(pair: PairRun, plan: PairPlan, side: Side) -> list[WriteStep]:
    """The writes that bring one side of a pair to its plan: removals first, then adds in
    order, each at most ``MAX_BATCH``; a playlist that does not exist there yet is created
    by the first."""
    add, remove, order = plan.of(side)
    missing = pair.kind not in SET_KINDS and not pair.sides[side].playlist_id
    steps = [
        WriteStep(remove=tuple(remove[i : i + MAX_BATCH])) for i in range(0, len(remove), MAX_BATCH)
    ]
    steps += [WriteStep(add=tuple(add[i : i + MAX_BATCH])) for i in range(0, len(add), MAX_BATCH)]
    if missing:
        first = steps[0] if steps else WriteStep()
        steps[:1] = [WriteStep(add=first.add, remove=first.remove, create_name=pair.name)]
    if order and steps:  # once the tracks are in: each put in its place
        steps.append(WriteStep(order=tuple(order)))
    return steps


def chain_key(index: int, side: Side) -> str:
    """Key of a write chain in a run."""
    return f"{index}.{side}"


def chain_of(key: str) -> tuple[int, Side]:
    """``(pair index, side)`` of a write chain's key."""
    index, side = key.split(".")
    return int(index), _side(side)


def with_chains(
    run: SyncRunRecord, chains: Mapping[str, WriteChain], now: datetime
) -> SyncRunRecord | None:
    """The run starts applying with these write chains."""
    if ended(run) or run.phase == "applying":
        return None
    return msgspec.structs.replace(
        run, phase="applying", chains=dict(chains), waiting=[], updated_at=now
    )


def with_written(
    run: SyncRunRecord,
    key: str,
    step: int,
    playlist_id: str | None,
    error: str | None,
    now: datetime,
    notes_of_write: Sequence[str] = (),
    unconfirmed: Sequence[str] = (),
) -> SyncRunRecord | None:
    """Step ``step`` of a chain was confirmed (or refused: the chain stops there, and
    ``unconfirmed`` names the adds it took but did not keep, when only they failed); what
    the write says a person should know joins the run's notes, once."""
    chain = run.chains.get(key)
    if ended(run) or chain is None or chain.error or chain.done != step:
        return None
    notes = [*run.notes, *(n for n in notes_of_write if n not in run.notes)]
    chain = msgspec.structs.replace(
        chain,
        done=chain.done if error else chain.done + 1,
        playlist_id=chain.playlist_id or playlist_id,
        error=error,
        unconfirmed=list(unconfirmed) if error else [],
    )
    return msgspec.structs.replace(
        run, chains={**run.chains, key: chain}, notes=notes, updated_at=now
    )


def chain_finished(chain: WriteChain) -> bool:
    """True when a chain has nothing more to send."""
    return chain.finished


def unwritten(
    job: SyncJobRecord,
    pair: PairRun,
    side: Side,
    chain: WriteChain,
    steps: Sequence[WriteStep],
    tracks: Mapping[str, Track],
) -> list[NotSynced]:
    """The report's lines for the writes a refused chain did not make: each track of the
    refused step and of the steps after it, with the refusal. ``tracks`` gives a target
    id's track (for its title) where it is known."""
    if chain.error is None:
        return []
    where = shown(job, side)
    lines: list[NotSynced] = []
    for number, step in enumerate(steps[chain.done :]):
        # The refused step's adds all went but these: only they are not written.
        added = chain.unconfirmed if number == 0 and chain.unconfirmed else step.add
        for track_id, verb in [
            *((t, "added to") for t in added),
            *((t, "removed from") for t in step.remove),
        ]:
            track = tracks.get(track_id)
            lines.append(
                NotSynced(
                    pair=pair.name,
                    kind=pair.kind,
                    side=side,
                    title=track.title if track else track_id,
                    artists=track.artists if track else (),
                    provider_id=track_id,
                    reason=f"not {verb} {where}: {chain.error}",
                )
            )
    return lines


def finish(run: SyncRunRecord, now: datetime, not_written: int = 0) -> SyncRunRecord | None:
    """Every chain has finished: the run is ``completed`` only when every planned write
    was confirmed and no pair was left out; else ``partial``, saying how much was not
    done (its report lists each track)."""
    if ended(run) or not all(chain_finished(c) for c in run.chains.values()):
        return None
    refused = sum(1 for c in run.chains.values() if c.error)
    skipped = sum(1 for p in run.pairs if p.skipped)
    problems = []
    if count := run.counts.get("not_searched", 0):
        problems.append(
            f"{count} track{'s' if count != 1 else ''} could not be searched (the report says why)"
        )
    if refused:
        tracks = f"{not_written} track{'s' if not_written != 1 else ''}"
        problems.append(f"{tracks} could not be written (the report says why)")
    if skipped:
        playlists = f"{skipped} playlist{'s were' if skipped != 1 else ' was'}"
        problems.append(f"{playlists} skipped (the report says why)")
    return msgspec.structs.replace(
        run,
        status="partial" if problems else "completed",
        phase="done",
        error="; ".join(problems) if problems else None,
        updated_at=now,
        finished_at=now,
    )


def planned(
    run: SyncRunRecord,
    plan_counts: Mapping[str, int],
    now: datetime,
    plan_notes: Sequence[str] = (),
) -> SyncRunRecord | None:
    """The plan is made: a dry run ends here, showing it; any other run applies it.
    ``plan_notes`` (what the plan cannot do) join the run's notes before anything is
    written, and stay in its report."""
    if ended(run) or run.phase in ("planning", "applying", "done"):
        return None
    notes = [*run.notes, *(n for n in dict.fromkeys(plan_notes) if n not in run.notes)]
    if run.dry_run:
        return msgspec.structs.replace(
            run,
            status="planned",
            phase="done",
            counts=dict(plan_counts),
            waiting=[],
            notes=notes,
            updated_at=now,
            finished_at=now,
        )
    return msgspec.structs.replace(
        run, phase="planning", counts=dict(plan_counts), waiting=[], notes=notes, updated_at=now
    )
