"""A sync run, step by step: which pairs, what to read, what to match, the plan, the writes.

Pure functions over records. A run moves through phases (listing, reading, matching,
planning, applying); each function that changes a run returns the new record, or None
when the event changes nothing (a redelivery, a run that already ended), so handlers stay
idempotent. Request ids name the run and the step (``sync.<run>.<step>...``): a reply finds
its run by its id alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import msgspec

from services.kernel.contracts import MAX_BATCH, PlaylistRef, SnapshotRef, Track
from services.kernel.records import (
    NOT_ON_SERVICE,
    MappingRecord,
    NotSynced,
    PairPlan,
    PairRun,
    ReviewRecord,
    Side,
    SyncBase,
    SyncJobRecord,
    SyncPairState,
    SyncRunRecord,
    WriteChain,
    conflict_review_id,
    key_token,
)
from services.scheduler.domain.planning import Direction, Options, apply_plan, plan_playlist

PREFIX = "sync."
LIKED = "liked"
_ENDED = ("planned", "completed", "failed", "cancelled")
SIDES: tuple[Side, Side] = ("a", "b")
_REQUEST = re.compile(r"^sync\.([0-9a-f]{32})\.(list|read|match|write)\.(.+)$")


def other(side: Side) -> Side:
    """The other side."""
    return "b" if side == "a" else "a"


def flows(job: SyncJobRecord, side: Side) -> bool:
    """Whether tracks travel from ``side`` to the other in this job."""
    return job.direction == "both" or job.direction == f"{side}_to_{other(side)}"


def sends(job: SyncJobRecord, pair: PairRun, side: Side) -> bool:
    """Whether ``side`` of ``pair`` sends tracks to the other (a history only sends)."""
    if pair.kind == "recent":
        return side == pair.history_side
    return flows(job, side)


def receives(job: SyncJobRecord, pair: PairRun, side: Side) -> bool:
    """Whether ``side`` of ``pair`` is written to (or created) by a run."""
    return sends(job, pair, other(side))


def provider_of(job: SyncJobRecord, side: Side) -> tuple[str, str]:
    """``(connection_id, provider)`` of one side of a job."""
    if side == "a":
        return job.a_connection_id, job.a_provider
    return job.b_connection_id, job.b_provider


# --- request ids ----------------------------------------------------------------------------


def request_id(run_id: str, step: Literal["list", "read", "match", "write"], *rest: object) -> str:
    """The id of one request of a run."""
    return ".".join([f"{PREFIX}{run_id}", step, *map(str, rest)])


def parse_request(value: str) -> tuple[str, str, list[str]] | None:
    """``(run_id, step, rest)`` of a sync request id, or None if it is not one."""
    found = _REQUEST.match(value)
    if not found:
        return None
    return found[1], found[2], found[3].split(".")


# --- run state ------------------------------------------------------------------------------


def ended(run: SyncRunRecord) -> bool:
    """True once a run has stopped for good (a dry run stops at its plan)."""
    return run.status in _ENDED


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
    """The playlists this run syncs, paired by id (never by name): chosen pairs, or every
    playlist a flowing side owns, each with the playlist remembered for it on the other
    side. A remembered playlist that is gone is created again; a chosen one is an error."""
    by_a = {s.a_playlist_id: s for s in states if s.a_playlist_id}
    by_b = {s.b_playlist_id: s for s in states if s.b_playlist_id}
    names: dict[Side, dict[str, str]] = {
        side: {p.playlist_id: p.name for p in listings.get(side, ())} for side in SIDES
    }
    wanted: list[tuple[str | None, str | None, bool]] = []  # a id, b id, chosen
    if job.all_playlists:
        for side in SIDES:
            if flows(job, side):
                for playlist in listings.get(side, ()):
                    if playlist.owned:
                        found = playlist.playlist_id
                        wanted.append((found, None, False) if side == "a" else (None, found, False))
    else:
        wanted = [(p.a_playlist_id, p.b_playlist_id, True) for p in job.playlists]
    pairs: list[PairRun] = []
    notes: list[str] = []
    seen: set[tuple[Side, str]] = set()
    for a_wanted, b_wanted, chosen in wanted:
        state = by_a.get(a_wanted) if a_wanted else by_b.get(b_wanted or "")
        key = state.pair_key if state else pair_key_for(a_wanted, b_wanted)
        ids: dict[Side, str | None] = {
            "a": a_wanted or (state.a_playlist_id if state else None),
            "b": b_wanted or (state.b_playlist_id if state else None),
        }
        if any(i and (side, i) in seen for side, i in ids.items()):
            continue
        skip = False
        for side, playlist_id in list(ids.items()):
            if playlist_id and playlist_id not in names[side]:
                if chosen or not flows(job, other(side)):
                    notes.append(f"playlist {playlist_id} is no longer on side {side}: skipped")
                    skip = True
                else:  # the copy we made was deleted: make it again
                    ids[side] = None
        if skip or not (ids["a"] or ids["b"]):
            continue
        seen |= {(side, i) for side, i in ids.items() if i}
        name = names["a"].get(ids["a"] or "") or names["b"].get(ids["b"] or "") or "Playlist"
        pairs.append(
            PairRun(pair_key=key, name=name, a_playlist_id=ids["a"], b_playlist_id=ids["b"])
        )
    if job.liked:
        pairs.append(PairRun(pair_key=LIKED, name="Liked songs", kind="liked"))
    if job.recently_played:
        for side in SIDES:
            if not flows(job, side):
                continue
            key, target = f"recent-{side}", other(side)
            state = next((s for s in states if s.pair_key == key), None)
            copy = getattr(state, f"{target}_playlist_id") if state else None
            if copy and copy not in names[target]:
                copy = None  # the copy was deleted: make it again
            pair = PairRun(
                pair_key=key,
                name=f"Recently played on {provider_of(job, side)[1].title()}",
                kind="recent",
                history_side=side,
            )
            pairs.append(msgspec.structs.replace(pair, **{f"{target}_playlist_id": copy}))
    return Pairing(pairs, notes)


def reads(run: SyncRunRecord) -> list[tuple[str, int, Side]]:
    """``(request id, pair index, side)`` of every read a run needs: each side that exists."""
    found: list[tuple[str, int, Side]] = []
    for index, pair in enumerate(run.pairs):
        for side in SIDES:
            if (
                pair.kind == "liked"
                or pair.history_side == side
                or getattr(pair, f"{side}_playlist_id")
            ):
                found.append((request_id(run.run_id, "read", index, side), index, side))
    return found


def with_read(
    run: SyncRunRecord, request: str, index: int, side: Side, snapshot: SnapshotRef, now: datetime
) -> SyncRunRecord | None:
    """A side of a pair was read."""
    if index >= len(run.pairs):
        return None
    pairs = list(run.pairs)
    pairs[index] = msgspec.structs.replace(pairs[index], **{f"{side}_snapshot": snapshot})
    return answered(run, request, now, msgspec.structs.replace(run, pairs=pairs))


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
) -> PairOutcome:
    """What to write to each side of a pair, the base to record once it is written, every
    track that is not synced, with why, and the conflicts to ask about."""
    o = job.options
    options = Options(
        direction=job.direction,
        policy=o.policy,
        prefer=o.prefer,
        propagate_removals=o.propagate_removals,
        max_removals=o.max_removals,
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
    # Withheld removals are remembered as not yet removed: the next run withholds them
    # again, until the cap allows them or the tracks come back.
    if "b" in plan.withheld_removals:
        final_a += [x for x in base.a if x not in set(a_ids)]
    if "a" in plan.withheld_removals:
        final_b += [y for y in base.b if y not in set(b_ids)]
    report = _not_synced(job, pair, plan.unmatched_a, a_tracks, "a", from_a, reviews)
    report += _not_synced(job, pair, plan.unmatched_b, b_tracks, "b", from_b, reviews)
    report += _not_synced(job, pair, plan.not_on_other_side, a_tracks, "a", from_a, reviews)
    titles = {t.provider_id: t for t in (*a_tracks, *b_tracks) if t.provider_id}
    questions = []
    for conflict in plan.conflicts:
        added = conflict.b_id if conflict.removed_on == "a" else conflict.a_id
        track = titles.get(added) or Track(title=added, provider_id=added)
        review_id = conflict_review_id(job.job_id, pair.pair_key, conflict.a_id, conflict.b_id)
        report.append(
            NotSynced(
                pair=pair.name,
                side=other(conflict.removed_on),
                title=track.title,
                artists=track.artists,
                provider_id=added,
                reason=f"conflict: removed on side {conflict.removed_on} and added on the "
                "other since the last sync; waiting for your decision (keep or remove)",
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
                side=side,  # type: ignore[arg-type]
                title=f"{count} removals",
                reason=f"withheld: more than the job's cap of {o.max_removals} per run",
            )
        )
    for side, tracks in (("a", a_tracks), ("b", b_tracks)):
        local = [t for t in tracks if not t.provider_id]
        report += [
            NotSynced(
                pair=pair.name,
                side=side,  # type: ignore[arg-type]
                title=t.title,
                artists=t.artists,
                reason="a local file: it has no id to sync",
            )
            for t in local
        ]
    return PairOutcome(
        PairPlan(
            pair_key=pair.pair_key,
            name=pair.name,
            add_to_a=list(plan.add_to_a),
            remove_from_a=list(plan.remove_from_a),
            add_to_b=list(plan.add_to_b),
            remove_from_b=list(plan.remove_from_b),
            final_a=[x for x in dict.fromkeys(final_a) if x not in held_a],
            final_b=[y for y in dict.fromkeys(final_b) if y not in held_b],
            conflicts=len(plan.conflicts),
            withheld_removals=dict(plan.withheld_removals),
            settled_reviews=[
                conflict_review_id(job.job_id, pair.pair_key, a, b) for a, b in (settled or {})
            ],
        ),
        report,
        questions,
    )


def _not_synced(
    job: SyncJobRecord,
    pair: PairRun,
    ids: Iterable[str],
    tracks: Sequence[Track],
    side: Side,
    mapped: Mapping[str, MappingRecord],
    reviews: Mapping[str, ReviewRecord],
) -> list[NotSynced]:
    target = provider_of(job, other(side))[1]
    by_id = {t.provider_id: t for t in tracks if t.provider_id}
    lines = []
    for track_id in ids:
        track = by_id.get(track_id)
        review = reviews.get(track_id)
        record = mapped.get(track_id)
        if record is not None and record.target_id == NOT_ON_SERVICE:
            reason = f"you said it is not on {target}"
        elif review is not None and review.status == "skipped":
            reason = "skipped in review"
        elif review is not None:
            reason = "waiting for your review"
        else:
            reason = f"no match found on {target}"
        lines.append(
            NotSynced(
                pair=pair.name,
                side=side,
                title=track.title if track else track_id,
                artists=track.artists if track else (),
                provider_id=track_id,
                reason=reason,
                review_id=review.review_id if review else None,
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


def write_steps(pair: PairRun, plan: PairPlan, side: Side) -> list[WriteStep]:
    """The writes that bring one side of a pair to its plan: removals first, then adds in
    order, each at most ``MAX_BATCH``; a playlist that does not exist there yet is created
    by the first."""
    add: list[str] = getattr(plan, f"add_to_{side}")
    remove: list[str] = getattr(plan, f"remove_from_{side}")
    missing = pair.kind != "liked" and not getattr(pair, f"{side}_playlist_id")
    steps = [
        WriteStep(remove=tuple(remove[i : i + MAX_BATCH])) for i in range(0, len(remove), MAX_BATCH)
    ]
    steps += [WriteStep(add=tuple(add[i : i + MAX_BATCH])) for i in range(0, len(add), MAX_BATCH)]
    if missing:
        first = steps[0] if steps else WriteStep()
        steps[:1] = [WriteStep(add=first.add, remove=first.remove, create_name=pair.name)]
    return steps


def chain_key(index: int, side: Side) -> str:
    """Key of a write chain in a run."""
    return f"{index}.{side}"


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
) -> SyncRunRecord | None:
    """Step ``step`` of a chain was confirmed (or refused: the chain stops there)."""
    chain = run.chains.get(key)
    if ended(run) or chain is None or chain.error or chain.done != step:
        return None
    chain = msgspec.structs.replace(
        chain,
        done=chain.done if error else chain.done + 1,
        playlist_id=chain.playlist_id or playlist_id,
        error=error,
    )
    return msgspec.structs.replace(run, chains={**run.chains, key: chain}, updated_at=now)


def chain_finished(chain: WriteChain) -> bool:
    """True when a chain has nothing more to send."""
    return chain.error is not None or chain.done >= chain.steps


def finish(run: SyncRunRecord, now: datetime) -> SyncRunRecord | None:
    """Every chain has finished: the run is completed, or failed naming the refusals."""
    if ended(run) or not all(chain_finished(c) for c in run.chains.values()):
        return None
    errors = [f"{key}: {c.error}" for key, c in sorted(run.chains.items()) if c.error]
    return msgspec.structs.replace(
        run,
        status="failed" if errors else "completed",
        phase="done",
        error="some writes were refused: " + "; ".join(errors) if errors else None,
        updated_at=now,
        finished_at=now,
    )


def planned(
    run: SyncRunRecord, plan_counts: Mapping[str, int], now: datetime
) -> SyncRunRecord | None:
    """The plan is made: a dry run ends here, showing it; any other run applies it."""
    if ended(run) or run.phase in ("planning", "applying", "done"):
        return None
    if run.dry_run:
        return msgspec.structs.replace(
            run,
            status="planned",
            phase="done",
            counts=dict(plan_counts),
            waiting=[],
            updated_at=now,
            finished_at=now,
        )
    return msgspec.structs.replace(
        run, phase="planning", counts=dict(plan_counts), waiting=[], updated_at=now
    )
