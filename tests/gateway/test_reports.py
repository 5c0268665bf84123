"""A run's report counts what has been decided so far, while the run goes on; a sync
run's live detail says what is being read or written right now, and the tracks written
per playlist."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.api.sync import _progress
from services.gateway.domain.reports import run_view
from services.kernel.contracts import MatchOutcome, PlannedDownload, SnapshotRef, Track
from services.kernel.records import (
    BatchRecord,
    PairRun,
    RunRecord,
    SyncJobRecord,
    SyncRunRecord,
    WriteChain,
)

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def outcome(position: int, confidence: float) -> MatchOutcome:
    track = Track(title=f"Song {position}", artists=("Someone",))
    return MatchOutcome(position=position, track=track, confidence=confidence, decision="auto")


def test_a_running_check_shows_its_total_and_the_tracks_decided_so_far() -> None:
    run = RunRecord(
        run_id="r",
        user_id="u",
        folder="",
        status="running",
        created_at=NOW,
        updated_at=NOW,
        playlist=SnapshotRef(snapshot_id="u.p", track_count=250, checksum="c"),
        library_parts=["plex"],
        batch_count=3,
    )
    first = [outcome(0, 0.95), outcome(1, 0.2)]
    planned = BatchRecord(
        run_id="r",
        user_id="u",
        batch_index=0,
        outcomes=first,
        plan=[
            PlannedDownload(
                position=1, track=first[1].track, search_query="q", target_path="Someone/x"
            )
        ],
    )
    matched_only = BatchRecord(run_id="r", user_id="u", batch_index=1, outcomes=[outcome(2, 1)])

    view = run_view(run, [matched_only, planned])

    assert view.summary is not None
    assert (view.summary.total, view.summary.present, view.summary.missing) == (250, 1, 1)
    assert [t.track.title for t in view.missing] == ["Song 1"]
    assert view.library == ["plex"]


def test_before_the_playlist_is_read_there_is_nothing_to_count() -> None:
    run = RunRecord(run_id="r", user_id="u", folder="/m", status="pending")
    assert run_view(run, []).summary is None


JOB = SyncJobRecord(
    job_id="j",
    user_id="u",
    name="Mine",
    a_connection_id="ca",
    a_provider="spotify",
    b_connection_id="cb",
    b_provider="deezer",
)
READ = SnapshotRef(snapshot_id="s", track_count=250, checksum="c")


def pairs() -> list[PairRun]:
    return [
        PairRun(pair_key="1", name="Road trip", a_playlist_id="p1", a_snapshot=READ),
        PairRun(pair_key="2", name="Chill", a_playlist_id="p2", b_playlist_id="d2"),
        PairRun(pair_key="3", name="Gone", a_playlist_id="p3", skipped="it could not be read"),
    ]


def test_while_reading_the_playlists_not_read_yet_are_named() -> None:
    run = SyncRunRecord(run_id="r", user_id="u", job_id="j", phase="reading", pairs=pairs())
    progress = _progress(run, JOB)
    assert (progress.playlists_read, progress.playlists_to_read) == (1, 3)
    assert progress.working_on == ["“Chill” on Spotify", "“Chill” on Deezer"]


def test_while_writing_each_playlist_says_its_tracks_written() -> None:
    run = SyncRunRecord(
        run_id="r",
        user_id="u",
        job_id="j",
        phase="applying",
        pairs=pairs(),
        chains={
            "0.b": WriteChain(steps=3, done=1, sizes=[100, 100, 50]),
            "1.b": WriteChain(steps=1, done=1, sizes=[7]),
        },
    )
    progress = _progress(run, JOB)
    assert [(w.name, w.tracks_done, w.tracks_total) for w in progress.playlists] == [
        ("Road trip", 100, 250),
        ("Chill", 7, 7),
    ]
    assert progress.working_on == ["“Road trip” on Deezer"]  # "Chill" is written
