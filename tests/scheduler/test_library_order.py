"""A one-way sync into a media server's library puts each added track in its place: the
last write of the playlist's chain rewrites it in the source's order."""

from __future__ import annotations

from services.kernel.records import PairPlan, PairRun
from services.scheduler.domain.sync import in_order_of, write_steps


def test_a_librarys_tracks_are_put_in_the_sources_order_after_its_adds() -> None:
    source = ["a1", "a2", "a3", "a4"]
    mapping = {"a1": "b1", "a2": "b2", "a3": "b3", "a4": "b4"}
    appended = ["b1", "b3", "b9", "b2", "b4"]  # b9 only on the server
    assert in_order_of(appended, source, mapping) == ["b1", "b2", "b3", "b4", "b9"]
    plan = PairPlan(pair_key="k", name="p", add_to_b=["b2", "b4"], order_b=["b1", "b2", "b3"])
    pair = PairRun(pair_key="k", name="p", a_playlist_id="pa", b_playlist_id="pb")
    steps = write_steps(pair, plan, "b")
    assert [s.add for s in steps] == [("b2", "b4"), ()]
    assert steps[-1].order == ("b1", "b2", "b3")
    assert write_steps(pair, PairPlan(pair_key="k", name="p"), "b") == []  # nothing to do
