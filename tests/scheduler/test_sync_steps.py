"""A sync run's pure steps: pairing by id, the base each run leaves, the writes it sends."""

from __future__ import annotations

import msgspec

from services.kernel.contracts import Correlation, PlaylistRef, Track
from services.kernel.records import (
    PairPlan,
    PairRun,
    PlaylistPair,
    SyncJobRecord,
    SyncOptions,
    SyncPairState,
)
from services.scheduler.domain import sync
from services.scheduler.records import MappingRecord, SyncBase


def job(**fields: object) -> SyncJobRecord:
    base: dict[str, object] = dict(
        job_id="j",
        user_id="u",
        name="n",
        a_connection_id="ca",
        a_provider="spotify",
        b_connection_id="cb",
        b_provider="deezer",
    )
    return SyncJobRecord(**{**base, **fields})  # type: ignore[arg-type]


def listing(*ids: str, owned: bool = True) -> list[PlaylistRef]:
    return [PlaylistRef(playlist_id=i, name=f"List {i}", owned=owned) for i in ids]


def test_pairs_are_found_by_id_and_a_deleted_copy_is_made_again() -> None:
    states = [
        SyncPairState(pair_key="a-p1", name="List p1", a_playlist_id="p1", b_playlist_id="q1"),
        SyncPairState(pair_key="a-p2", name="List p2", a_playlist_id="p2", b_playlist_id="gone"),
    ]
    found = sync.resolve_pairs(
        job(all_playlists=True),
        states,
        {"a": listing("p1", "p2", "p3") + listing("theirs", owned=False), "b": listing("q1")},
    )
    assert [
        (p.pair_key, p.sides["a"].playlist_id, p.sides["b"].playlist_id) for p in found.pairs
    ] == [
        ("a-p1", "p1", "q1"),
        ("a-p2", "p2", None),  # its copy was deleted on B: the run makes it again
        ("a-p3", "p3", None),
    ]


def test_both_ways_pairs_each_playlist_once_and_a_chosen_playlist_that_is_gone_is_named() -> None:
    states = [SyncPairState(pair_key="a-p1", name="x", a_playlist_id="p1", b_playlist_id="q1")]
    both = sync.resolve_pairs(
        job(direction="both", all_playlists=True),
        states,
        {"a": listing("p1"), "b": listing("q1", "q2")},
    )
    assert [(p.sides["a"].playlist_id, p.sides["b"].playlist_id) for p in both.pairs] == [
        ("p1", "q1"),
        (None, "q2"),
    ]
    chosen = sync.resolve_pairs(
        job(playlists=[PlaylistPair(a_playlist_id="p9")]), [], {"a": listing("p1"), "b": []}
    )
    assert chosen.pairs == [] and "p9" in chosen.notes[0]


def track(track_id: str) -> Track:
    return Track(title=f"Song {track_id}", provider_id=track_id)


def test_an_unmatched_track_stays_out_of_the_base_so_a_later_decision_carries_it() -> None:
    mapped = {"a1": MappingRecord(target_id="b1", source="matcher")}
    outcome = sync.plan_pair(
        job(direction="both"),
        PairRun(pair_key="k", name="n", a_playlist_id="p", b_playlist_id="q"),
        [track("a1"), track("a2")],
        [],
        SyncBase(),
        mapped,
        {},
        {},
    )
    assert outcome.plan.add_to_b == ["b1"]
    assert outcome.plan.final_a == ["a1"] and outcome.plan.final_b == ["b1"]
    assert [(n.provider_id, n.reason) for n in outcome.not_synced] == [
        ("a2", "no match found on deezer")
    ]


def test_withheld_removals_are_withheld_again_by_the_next_run() -> None:
    ids = [f"a{n}" for n in range(5)]
    mapped = {x: MappingRecord(target_id=x.replace("a", "b"), source="matcher") for x in ids}
    outcome = sync.plan_pair(
        job(options=SyncOptions(max_removals=2)),
        PairRun(pair_key="k", name="n", a_playlist_id="p", b_playlist_id="q"),
        [track("a0")],
        [track(x.replace("a", "b")) for x in ids],
        SyncBase(a=ids, b=[x.replace("a", "b") for x in ids]),
        mapped,
        {},
        {},
    )
    assert outcome.plan.remove_from_b == [] and outcome.plan.withheld_removals == {"b": 4}
    assert sorted(outcome.plan.final_a) == ids  # the removals are still to come
    assert "withheld" in outcome.not_synced[0].reason


def test_writes_remove_first_then_add_in_batches_and_create_a_missing_playlist() -> None:
    pair = PairRun(pair_key="k", name="Road trip", a_playlist_id="p", b_playlist_id=None)
    plan = PairPlan(
        pair_key="k",
        name="Road trip",
        add_to_b=[f"b{n}" for n in range(150)],
        remove_from_b=["old"],
    )
    steps = sync.write_steps(pair, plan, "b")
    assert [(len(s.remove), len(s.add), s.create_name) for s in steps] == [
        (1, 0, "Road trip"),
        (0, 100, None),
        (0, 50, None),
    ]
    assert steps[1].add[0] == "b0" and steps[2].add[-1] == "b149"
    assert sync.write_steps(pair, PairPlan(pair_key="k", name="n"), "b") == [
        sync.WriteStep(create_name="Road trip")
    ]


def test_a_request_is_routed_by_its_correlation_and_known_by_its_key() -> None:
    run = "0" * 32
    key, asked = sync.ask(run, "write", 3, "b", "7")
    assert key == f"sync.{run}.write.3.b.7"  # the key runs in flight already wait for
    assert asked == Correlation(flow="sync", run_id=run, step="write", index=3, side="b", part="7")
    # The correlation alone routes a reply, whatever its request id says.
    assert sync.step_of(asked, "anything") == asked
    assert sync.step_of(Correlation(flow="missing", run_id=run, step="match"), key) is None
    assert sync.ask(run, "match", 2, "a")[0] == f"sync.{run}.match.a.2"
    assert sync.ask(run, "read", 1, "b")[0] == f"sync.{run}.read.1.b"
    assert sync.ask(run, "list", side="a")[0] == f"sync.{run}.list.a"


def test_a_reply_to_a_request_sent_before_correlations_is_still_routed_by_its_id() -> None:
    """The upgrade fallback: a request in flight across the upgrade has no correlation."""
    run = "0" * 32
    for step, index, side, part in [
        ("write", 3, "b", "7"),
        ("match", 2, "a", ""),
        ("read", 1, "b", ""),
        ("list", None, "a", ""),
    ]:
        key, asked = sync.ask(run, step, index, side, part)  # type: ignore[arg-type]
        assert sync.step_of(None, key) == asked
    assert sync.step_of(None, "r1.library") is None
    assert sync.step_of(None, f"sync.{run}.write.x") is None


def test_a_conflict_is_asked_once_and_its_answer_is_carried_out() -> None:
    pair = PairRun(pair_key="k", name="n", a_playlist_id="p", b_playlist_id="q")
    mapped = {"a1": MappingRecord(target_id="b1", source="matcher")}
    # A added a1 since the last sync while B removed its b1: which wins is a person's call.
    question = sync.plan_pair(
        job(direction="both"), pair, [track("a1")], [], SyncBase(b=["b1"]), mapped, {}, {}
    )
    assert question.plan.add_to_b == [] and question.plan.remove_from_a == []
    (asked,) = question.questions
    assert (asked.kind, asked.removed_on, asked.a_id, asked.b_id) == ("conflict", "b", "a1", "b1")
    assert question.not_synced[0].review_id == asked.review_id
    assert question.plan.final_b == ["b1"]  # still removed-on-B in the base: asked again

    decided = msgspec.structs.replace(asked, status="decided", decision="keep")
    settled = sync.settled_conflicts(job(direction="both"), pair, [decided])
    kept = sync.plan_pair(
        job(direction="both"), pair, [track("a1")], [], SyncBase(b=["b1"]), mapped, {}, {}, settled
    )
    assert kept.plan.add_to_b == ["b1"] and kept.questions == []
    assert kept.plan.settled_reviews == [asked.review_id]
    removed = sync.plan_pair(
        job(direction="both"),
        pair,
        [track("a1")],
        [],
        SyncBase(b=["b1"]),
        mapped,
        {},
        {},
        {("a1", "b1"): "remove"},
    )
    assert removed.plan.remove_from_a == ["a1"] and removed.plan.add_to_b == []


def test_albums_and_artists_are_pairs_of_their_own_written_without_a_playlist() -> None:
    found = sync.resolve_pairs(job(liked=True, albums=True, artists=True), [], {})
    assert [(p.pair_key, p.kind, p.name) for p in found.pairs] == [
        ("liked", "liked", "Liked songs"),
        ("albums", "albums", "Saved albums"),
        ("artists", "artists", "Followed artists"),
    ]
    albums = found.pairs[1]
    assert albums.read_sides() == ["a", "b"]
    steps = sync.write_steps(albums, PairPlan(pair_key="albums", name="x", add_to_b=["d1"]), "b")
    assert steps == [sync.WriteStep(add=("d1",))]  # nothing to create


def test_a_plan_lists_what_it_moves_and_what_was_there_already() -> None:
    mapped = {
        "a1": MappingRecord(target_id="b1", source="matcher"),
        "a2": MappingRecord(target_id="b2", source="review"),
        "a3": MappingRecord(target_id="-", source="review"),  # not on the service
    }
    pair = PairRun(pair_key="albums", name="Saved albums", kind="albums")
    outcome = sync.plan_pair(
        job(albums=True, options=SyncOptions(propagate_removals=False)),
        pair,
        [track("a1"), track("a2"), track("a3"), track("a4")],
        [track("b2"), track("b9")],
        SyncBase(),
        mapped,
        {},
        {},
    )
    assert outcome.plan.add_to_b == ["b1"] and outcome.plan.remove_from_b == []
    assert [(m.source_id, m.target_id, m.status, m.kind) for m in outcome.moved] == [
        ("a1", "b1", "added", "albums"),
        ("a2", "b2", "already_there", "albums"),
    ]
    assert sorted((n.provider_id, n.kind, n.reason) for n in outcome.not_synced) == [
        ("a3", "albums", "you said it is not on deezer"),
        ("a4", "albums", "no match found on deezer"),
    ]
