"""Runs that say what happened: a deleted copy made again afresh, a second same-name copy
never made silently, a skipped pair and a refused write make a run ``partial`` with a
line per track not written, in words a person reads."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.contracts import PlaylistRef, Track
from services.kernel.records import (
    PairRun,
    PlaylistPair,
    SyncPairState,
    SyncRunRecord,
    WriteChain,
)
from services.scheduler.domain import sync
from tests.scheduler.test_sync_steps import job

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def named(playlist_id: str, name: str) -> PlaylistRef:
    return PlaylistRef(playlist_id=playlist_id, name=name)


def test_a_deleted_copy_is_remade_and_a_chosen_pair_keeps_the_copy_made_again() -> None:
    state = SyncPairState(pair_key="a-p1", name="Road", a_playlist_id="p1", b_playlist_id="q1")
    first = sync.resolve_pairs(
        job(playlists=[PlaylistPair(a_playlist_id="p1", b_playlist_id="q1")]),
        [state],
        {"a": [named("p1", "Road")], "b": []},
    )
    (pair,) = first.pairs
    assert (pair.sides["b"].playlist_id, pair.remade, pair.skipped) == (None, "b", None)
    assert first.notes == [
        "“Road” was deleted on Deezer since the last sync: it is made again and filled"
    ]
    # The next run: the job still names q1, the pair remembers the copy made again.
    again = sync.resolve_pairs(
        job(playlists=[PlaylistPair(a_playlist_id="p1", b_playlist_id="q1")]),
        [SyncPairState(pair_key="a-p1", name="Road", a_playlist_id="p1", b_playlist_id="q2")],
        {"a": [named("p1", "Road")], "b": [named("q2", "Road")]},
    )
    assert [(p.sides["b"].playlist_id, p.remade) for p in again.pairs] == [("q2", None)]


def test_a_second_copy_of_the_same_name_waits_for_a_choice() -> None:
    listings = {"a": [named("p1", "Road trip")], "b": [named("q9", "road trip")]}
    waiting = sync.resolve_pairs(job(playlists=[PlaylistPair(a_playlist_id="p1")]), [], listings)
    (pair,) = waiting.pairs
    assert pair.skipped and "Deezer already has a playlist called “Road trip”" in pair.skipped
    assert sync.reads(SyncRunRecord(run_id="r", user_id="u", job_id="j", pairs=[pair])) == []
    allowed = sync.resolve_pairs(
        job(playlists=[PlaylistPair(a_playlist_id="p1", new_copy=True)]), [], listings
    )
    assert [p.skipped for p in allowed.pairs] == [None]
    every = sync.resolve_pairs(job(all_playlists=True), [], listings)
    assert [bool(p.skipped) for p in every.pairs] == [True]


def run_with(chains: dict[str, WriteChain], pairs: list[PairRun]) -> SyncRunRecord:
    return SyncRunRecord(
        run_id="r", user_id="u", job_id="j", status="running", phase="applying",
        chains=chains, pairs=pairs,
    )  # fmt: skip


def test_a_run_is_completed_only_when_every_write_was_confirmed() -> None:
    pair = PairRun(pair_key="a-p1", name="Road", a_playlist_id="p1")
    done = sync.finish(run_with({"0.b": WriteChain(steps=2, done=2)}, [pair]), NOW)
    assert done is not None and (done.status, done.error) == ("completed", None)
    refused = WriteChain(steps=3, done=1, error="Deezer no longer has this playlist")
    partial = sync.finish(run_with({"0.b": refused}, [pair]), NOW, not_written=150)
    assert partial is not None and partial.status == "partial"
    assert partial.error == "150 tracks could not be written (the report says why)"
    skipped = PairRun(pair_key="a-p2", name="Theirs", a_playlist_id="p2", skipped="unreadable")
    one = sync.finish(run_with({}, [pair, skipped]), NOW)
    assert (
        one is not None
        and one.status == "partial"
        and "1 playlist was skipped" in (one.error or "")
    )


def test_each_track_a_refused_chain_did_not_write_is_reported_by_title() -> None:
    pair = PairRun(pair_key="a-p1", name="Road", a_playlist_id="p1")
    steps = [
        sync.WriteStep(add=("1", "2")),
        sync.WriteStep(add=("3",)),
        sync.WriteStep(remove=("4",)),
    ]
    chain = WriteChain(steps=3, done=1, error="Deezer no longer has this playlist")
    lines = sync.unwritten(
        job(), pair, "b", chain, steps, {"3": Track(title="Three", artists=("X",))}
    )
    assert [(n.title, n.reason) for n in lines] == [
        ("Three", "not added to Deezer: Deezer no longer has this playlist"),
        ("4", "not removed from Deezer: Deezer no longer has this playlist"),
    ]
    assert sync.unwritten(job(), pair, "b", WriteChain(steps=3, done=3), steps, {}) == []


def test_a_write_note_joins_the_run_once() -> None:
    run = run_with({"0.b": WriteChain(steps=2)}, [PairRun(pair_key="k", name="n")])
    note = "Deezer refused 100 tracks per request; sent 50 at a time"
    once = sync.with_written(run, "0.b", 0, "q1", None, NOW, (note,))
    assert once is not None
    twice = sync.with_written(once, "0.b", 1, "q1", None, NOW, (note,))
    assert twice is not None and twice.notes == [note]
