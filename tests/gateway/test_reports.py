"""A run's report counts what has been decided so far, while the run goes on."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.domain.reports import run_view
from services.kernel.contracts import MatchOutcome, PlannedDownload, SnapshotRef, Track
from services.kernel.records import BatchRecord, RunRecord

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
