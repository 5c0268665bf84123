"""The sync planner: both-ways semantics, exactly once, never a mass deletion."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.kernel.records import NOT_ON_SERVICE
from services.scheduler.domain.planning import (
    Conflict,
    Options,
    apply_plan,
    plan_playlist,
)

# Recordings 1..9: "a1" on side A is the same recording as "b1" on side B.
MAPPING = {f"a{n}": f"b{n}" for n in range(1, 10)}


def test_first_one_way_run_copies_everything_once() -> None:
    plan = plan_playlist(["a1", "a2", "a3"], ["b2"], [], [], MAPPING, Options("a_to_b"))
    assert plan.add_to_b == ("b1", "b3")
    assert plan.remove_from_b == () and plan.add_to_a == ()


def test_one_way_never_removes_what_only_the_target_has() -> None:
    plan = plan_playlist(["a1"], ["b1", "b7"], ["a1"], ["b1"], MAPPING, Options("a_to_b"))
    assert plan.changes_nothing


def test_an_add_on_either_side_propagates() -> None:
    plan = plan_playlist(["a1", "a2"], ["b1", "b3"], ["a1"], ["b1"], MAPPING)
    assert (plan.add_to_b, plan.add_to_a) == (("b2",), ("a3",))


def test_a_removal_propagates_when_the_other_side_did_not_touch_the_track() -> None:
    plan = plan_playlist(["a1"], ["b1", "b2"], ["a1", "a2"], ["b1", "b2"], MAPPING)
    assert plan.remove_from_b == ("b2",)


def test_removed_on_one_side_and_added_again_on_the_other_is_a_conflict() -> None:
    # A removed a2; B had removed b2 too and then added it back (it is new on B).
    plan = plan_playlist(["a1"], ["b1", "b2"], ["a1", "a2"], ["b1"], MAPPING)
    assert plan.changes_nothing
    assert plan.conflicts == (Conflict("a", "a2", "b2"),)


def test_conflict_policies() -> None:
    args = (["a1"], ["b1", "b2"], ["a1", "a2"], ["b1"], MAPPING)
    merge = plan_playlist(*args, Options(policy="merge"))
    assert merge.add_to_a == ("a2",) and not merge.conflicts  # keep: nothing is lost
    a_wins = plan_playlist(*args, Options(policy="source-wins", prefer="a"))
    assert a_wins.remove_from_b == ("b2",)
    b_wins = plan_playlist(*args, Options(policy="source-wins", prefer="b"))
    assert b_wins.add_to_a == ("a2",)
    skip = plan_playlist(*args, Options(policy="skip"))
    assert skip.changes_nothing and not skip.conflicts


def test_removals_can_be_kept_from_travelling() -> None:
    plan = plan_playlist(
        ["a1"], ["b1", "b2"], ["a1", "a2"], ["b1", "b2"], MAPPING, Options(propagate_removals=False)
    )
    assert plan.changes_nothing


def test_a_mass_removal_is_withheld_and_reported() -> None:
    plan = plan_playlist(
        [],
        [f"b{n}" for n in range(1, 10)],
        list(MAPPING),
        list(MAPPING.values()),
        MAPPING,
        Options(max_removals=5),
    )
    assert plan.remove_from_b == () and plan.withheld_removals == {"b": 9}


def test_unmatched_and_unavailable_tracks_are_listed_not_guessed() -> None:
    mapping = {**MAPPING, "a8": NOT_ON_SERVICE}
    plan = plan_playlist(["a1", "x", "a8"], [], [], [], mapping, Options("a_to_b"))
    assert plan.add_to_b == ("b1",)
    assert plan.unmatched_a == ("x",) and plan.not_on_other_side == ("a8",)


def test_duplicates_in_a_playlist_are_not_doubled_on_the_other_side() -> None:
    plan = plan_playlist(["a1", "a1", "a2"], [], [], [], MAPPING, Options("a_to_b"))
    assert plan.add_to_b == ("b1", "b2")


ids = st.lists(st.sampled_from([f"{n}" for n in range(1, 10)]), max_size=9)


@settings(max_examples=300, deadline=None)
@given(
    ids,
    ids,
    ids,
    ids,
    st.sampled_from(["a_to_b", "b_to_a", "both"]),
    st.sampled_from(["skip", "source-wins", "merge", "ask"]),
)
def test_a_second_run_changes_nothing_and_nothing_is_ever_doubled(
    a: list[str],
    b: list[str],
    base_a: list[str],
    base_b: list[str],
    direction: str,
    policy: str,
) -> None:
    side_a, side_b = [f"a{n}" for n in a], [f"b{n}" for n in b]
    options = Options(direction, policy, max_removals=None)  # type: ignore[arg-type]
    plan = plan_playlist(
        side_a, side_b, [f"a{n}" for n in base_a], [f"b{n}" for n in base_b], MAPPING, options
    )
    new_a, new_b = apply_plan(side_a, side_b, plan)
    assert len(set(new_a) - set(side_a)) == len(plan.add_to_a)  # every add is new
    assert len(set(new_b) - set(side_b)) == len(plan.add_to_b)
    # The applied state is the new snapshot: planning again finds nothing to do.
    again = plan_playlist(new_a, new_b, new_a, new_b, MAPPING, options)
    assert again.changes_nothing and not again.conflicts
    if direction != "b_to_a":
        # Whatever A holds (and was not removed on B without conflict) is on B after the run.
        held_by_b = {y.removeprefix("b") for y in new_b}
        kept = {x.removeprefix("a") for x in new_a}
        if direction == "a_to_b":
            assert kept <= held_by_b


@settings(max_examples=300, deadline=None)
@given(ids, ids, ids)
def test_both_ways_with_merge_ends_with_the_same_recordings_on_both_sides(
    a: list[str], b: list[str], base: list[str]
) -> None:
    # After a sync both sides held the same recordings (the base); then each side changed.
    side_a, side_b = [f"a{n}" for n in a], [f"b{n}" for n in b]
    plan = plan_playlist(
        side_a,
        side_b,
        [f"a{n}" for n in base],
        [f"b{n}" for n in base],
        MAPPING,
        Options("both", "merge", max_removals=None),
    )
    new_a, new_b = apply_plan(side_a, side_b, plan)
    assert {x.removeprefix("a") for x in new_a} == {y.removeprefix("b") for y in new_b}
