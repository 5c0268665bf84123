"""A synced playlist's M3U8, as the scheduler asks the downloader for it: the library
side's tracks in the order the run left them, each by its file where the server said,
then each track not in the library by the download that would bring it."""

from __future__ import annotations

from services.kernel.contracts import PlaylistFileItem, Track
from services.kernel.records import NOT_IN_LIBRARY, NotSynced, PairPlan, run_download_id
from services.scheduler.domain.sync import playlist_file_items


def test_the_library_sides_tracks_in_order_then_the_downloads_that_fill_it() -> None:
    plan = PairPlan(
        pair_key="k", name="Road trip", final_b=["s3", "s1", "s2"], order_b=["s1", "s2", "s3"]
    )
    tracks = {
        "s1": Track(title="One", artists=("A",), duration_ms=61_000),
        "s2": Track(title="Two", artists=("B",)),
        "s3": Track(title="Three"),
    }
    paths = {"s1": "A/One.mp3", "s3": "C/Three.mp3"}  # the server gave no path for s2
    report = [
        NotSynced(pair="Another", side="a", title="Elsewhere", reason=NOT_IN_LIBRARY),
        NotSynced(pair="Road trip", side="a", title="Four", artists=("D",), reason="review"),
        NotSynced(pair="Road trip", side="a", title="Five", artists=("E",), reason=NOT_IN_LIBRARY),
    ]
    items = playlist_file_items("run1", "b", plan, tracks, paths, report)
    assert items == (
        PlaylistFileItem(
            position=0, title="One", artists=("A",), duration_ms=61_000, path="A/One.mp3"
        ),
        PlaylistFileItem(position=1, title="Two", artists=("B",)),
        PlaylistFileItem(position=2, title="Three", path="C/Three.mp3"),
        # The report's third line: the download the run's "download them" would queue.
        PlaylistFileItem(
            position=3, title="Five", artists=("E",), download_id=run_download_id("run1", 2)
        ),
    )


def test_a_library_on_side_a_is_listed_as_it_ends() -> None:
    plan = PairPlan(pair_key="k", name="p", final_a=["x", "y"], order_b=["y", "x"])
    items = playlist_file_items("r", "a", plan, {}, {"y": "y.flac"}, [])
    assert [(i.position, i.path) for i in items] == [(0, None), (1, "y.flac")]
