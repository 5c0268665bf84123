"""A run's record moves step by step, and each step applies once."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from services.kernel.contracts import SkippedFile, SnapshotRef
from services.scheduler.domain import runs

NOW = datetime(2026, 11, 22, tzinfo=UTC)
REF = SnapshotRef(snapshot_id="u.x", track_count=3, checksum="c")


def test_both_snapshots_make_a_run_ready_in_either_order() -> None:
    run = runs.new_run("r", "u", "/m", NOW)
    with_library = runs.with_library(run, REF, None, (), 0, NOW)
    assert with_library is not None and not runs.ready_to_match(with_library)
    both = runs.with_playlist(with_library, REF, None, 2, (), NOW)
    assert both is not None and runs.ready_to_match(both)
    assert both.notes == ["2 playlist entries were left out (unreadable)"]


def test_repeated_events_change_nothing() -> None:
    run = runs.with_playlist(runs.new_run("r", "u", "/m", NOW), REF, None, 0, (), NOW)
    assert run is not None
    assert runs.with_playlist(run, REF, None, 0, (), NOW) is None
    counted = runs.with_batch_count(run, 2, NOW)
    assert counted is not None and runs.with_batch_count(counted, 5, NOW) is None
    matched = runs.with_matched(counted, 1, 100, NOW)
    assert matched is not None and runs.with_matched(matched, 1, 100, NOW) is None
    assert matched.tracks_matched == 100  # a batch's tracks are counted once


def test_last_planned_batch_completes_the_run() -> None:
    run = runs.with_batch_count(runs.new_run("r", "u", "/m", NOW), 2, NOW)
    assert run is not None
    first = runs.with_planned(run, 1, NOW)
    assert first is not None and first.status == "running"
    done = runs.with_planned(first, 0, NOW)
    assert done is not None and done.status == "completed" and done.finished_at == NOW


def test_a_failed_step_fails_the_run_and_later_events_are_ignored() -> None:
    failed = runs.with_library(
        runs.new_run("r", "u", "/m", NOW), None, "folder not found: /m", (), 0, NOW
    )
    assert failed is not None and failed.status == "failed"
    assert failed.error == "music folder: folder not found: /m"
    assert runs.with_playlist(failed, REF, None, 0, (), NOW) is None


def test_empty_playlist_completes_at_once() -> None:
    done = runs.with_batch_count(runs.new_run("r", "u", "/m", NOW), 0, NOW)
    assert done is not None and done.status == "completed"


def test_split_gives_provider_sized_batches_with_positions() -> None:
    batches = runs.split(list(range(250)))
    assert [(first, len(items)) for first, items in batches] == [(0, 100), (100, 100), (200, 50)]


def test_skipped_files_are_named_in_the_run_notes() -> None:
    skipped = [SkippedFile(f"f{n}.mp3", "empty file") for n in range(7)]
    run = runs.with_library(runs.new_run("r", "u", "/m", NOW), REF, None, skipped[:5], 7, NOW)
    assert run is not None
    assert run.notes == [
        "files skipped in the music folder: f0.mp3 (empty file), f1.mp3 (empty file), "
        "f2.mp3 (empty file), f3.mp3 (empty file), f4.mp3 (empty file) and 2 more"
    ]


def test_an_accepted_run_starts_once() -> None:
    pending = runs.new_run("r", "u", "/m", NOW)
    pending = msgspec.structs.replace(pending, status="pending")
    started = runs.start(pending)
    assert started is not None and started.status == "running"
    assert runs.start(started) is None


def test_a_library_of_two_parts_is_merged_once_both_have_answered() -> None:
    run = runs.new_run("r", "u", "/m", NOW, ["folder", "plex"])
    plex_ref = SnapshotRef(snapshot_id="u.p", track_count=5, checksum="p")
    folder_in = runs.with_library(run, REF, None, (), 0, NOW)
    assert folder_in is not None and runs.library_to_merge(folder_in) is None
    both_in = runs.with_media_server(folder_in, "plex", plex_ref, None, NOW)
    assert both_in is not None and runs.library_to_merge(both_in) == [REF, plex_ref]
    assert runs.with_media_server(both_in, "plex", plex_ref, None, NOW) is None
    merged = runs.with_merged_library(both_in, REF, NOW)
    assert merged is not None and runs.library_to_merge(merged) is None
    assert runs.with_merged_library(merged, REF, NOW) is None


def test_an_unreadable_media_server_is_noted_and_leaves_the_rest_of_the_library() -> None:
    run = runs.new_run("r", "u", "/m", NOW, ["folder", "plex"])
    down = runs.with_media_server(run, "plex", None, "connection refused", NOW)
    assert down is not None and down.status == "running"
    assert down.notes == [
        "plex could not be read (connection refused): every track counts as missing from it"
    ]
    folder_in = runs.with_library(down, REF, None, (), 0, NOW)
    assert folder_in is not None and runs.library_to_merge(folder_in) == [REF]


def test_only_a_runs_library_read_is_taken_from_the_dead_letters() -> None:
    """The upgrade fallback: a read asked before requests carried a correlation."""
    read = msgspec.json.encode(
        {
            "type": "providers.read_requested",
            "user_id": "u",
            "request_id": "r1.library",
            "provider": "plex",
            "collection": "library",
        }
    )
    other = msgspec.json.encode(
        {
            "type": "providers.read_requested",
            "user_id": "u",
            "request_id": "r1",
            "provider": "plex",
            "collection": "liked",
        }
    )
    hostile = msgspec.json.encode(
        {
            "type": "providers.read_requested",
            "user_id": "u",
            "request_id": "../x.library",
            "provider": "plex",
        }
    )
    assert runs.library_read_of(read) == ("u", "r1", "plex")
    assert runs.library_read_of(other) is None
    assert runs.library_read_of(hostile) is None
    assert runs.library_read_of(b"not json") is None
