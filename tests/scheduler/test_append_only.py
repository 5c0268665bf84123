"""A side whose service cannot take tracks out (Apple Music's playlists only grow): the
plan makes no removal there, says how many it could not make before anything is written,
loses nothing, and says so again on the next run."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from services.kernel.contracts import SnapshotRef
from services.kernel.records import (
    PairRun,
    SyncRunRecord,
)
from services.scheduler.domain import planning, sync
from services.scheduler.records import MappingRecord, SyncBase
from tests.scheduler.test_sync_steps import job, track

NOW = datetime(2026, 12, 1, tzinfo=UTC)
APPLE = "Apple Music cannot remove tracks from a playlist"


def test_the_planner_makes_no_removal_a_side_cannot_make_and_counts_them() -> None:
    options = planning.Options(direction="a_to_b", cannot_remove=frozenset({"b"}))
    mapping = {f"a{n}": f"b{n}" for n in range(5)}
    plan = planning.plan_playlist(
        ["a0", "a1"],
        list(mapping.values()),
        list(mapping),
        list(mapping.values()),
        mapping,
        options,
    )
    assert plan.remove_from_b == () and plan.unremovable == {"b": 3}
    # The other side still removes as before.
    both = planning.plan_playlist(
        ["a0", "a1", "a2"], ["b0"], ["a0", "a1", "a2"], ["b0", "b1", "b2"], mapping,
        planning.Options(direction="both", cannot_remove=frozenset({"b"})),
    )  # fmt: skip
    assert set(both.remove_from_a) == {"a1", "a2"} and both.unremovable == {}


def test_a_both_ways_run_with_apple_music_says_what_it_cannot_remove_and_loses_nothing() -> None:
    ids = [f"a{n}" for n in range(6)]
    mates = [x.replace("a", "b") for x in ids]
    mapped = {
        x: MappingRecord(target_id=y, source="matcher") for x, y in zip(ids, mates, strict=True)
    }
    apple = SnapshotRef(snapshot_id="s", track_count=6, checksum="c", removals_refused=APPLE)
    pair = PairRun(
        pair_key="k", name="Road", a_playlist_id="p", b_playlist_id="q", b_snapshot=apple
    )
    both = job(direction="both", b_provider="applemusic")
    # Three removed on Spotify since the last run; Apple Music still has all six.
    outcome = sync.plan_pair(
        both, pair, [track(x) for x in ids[:3]], [track(y) for y in mates],
        SyncBase(a=ids, b=mates), mapped, {}, {},
    )  # fmt: skip
    assert outcome.plan.remove_from_b == [] and outcome.plan.remove_from_a == []
    assert outcome.notes == [f"{APPLE}: 3 removals not made"]
    assert [(n.title, n.reason) for n in outcome.not_synced] == [
        ("3 removals", f"not made: {APPLE}")
    ]
    assert sorted(outcome.plan.final_b) == sorted(mates)  # nothing lost on Apple Music
    assert sorted(outcome.plan.final_a) == sorted(ids)  # still removed: said again next run

    run = SyncRunRecord(run_id="r", user_id="u", job_id="j", status="running", phase="matching")
    shown = sync.planned(run, {}, NOW, outcome.notes)
    assert shown is not None and shown.notes == [f"{APPLE}: 3 removals not made"]
    dry = sync.planned(msgspec.structs.replace(run, dry_run=True), {}, NOW, outcome.notes)
    assert dry is not None and dry.status == "planned" and dry.notes == shown.notes
