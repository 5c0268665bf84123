"""Planning a playlist sync: what to add and remove on each side, and what to ask.

Three-way: each side is compared with the last synced snapshot of both, so a both-ways
sync knows who changed what (the semantics, also in the README):

- an add on either side propagates to the other (if the other side does not have it yet);
- a removal propagates only when the other side did not touch that track since the last
  sync (a track the other side added again stays);
- a removal on one side with an add of the same recording on the other is a conflict,
  settled by the policy: ``skip`` (leave both as they are), ``source-wins`` (the preferred
  side's action wins), ``merge`` (keep the track: nothing is lost), or ``ask`` (a review
  item; nothing happens until a person decides);
- nothing already present is ever added again, so re-running changes nothing;
- a run that would remove more than ``max_removals`` tracks removes none and says so;
- a side whose service cannot take tracks out (Apple Music's playlists only grow) is
  planned no removal: how many could not be made is said instead.

Tracks are provider ids; ``mapping`` says which id on B is the same recording as an id on
A (remembered decisions and matcher results). Tracks without a mapping yet are listed
as unmatched, to be matched (or reviewed) before they can be added anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from services.kernel.records import NOT_ON_SERVICE

Direction = Literal["a_to_b", "b_to_a", "both"]
Policy = Literal["skip", "source-wins", "merge", "ask"]


@dataclass(frozen=True)
class Options:
    """How a job syncs.

    Attributes:
        direction: One way either way, or both.
        policy: How conflicts are settled (see the module docstring).
        prefer: The side whose action wins under ``source-wins`` in a both-ways sync.
        propagate_removals: Whether removals travel at all.
        max_removals: Most removals one run may make on one side (None: no cap).
        cannot_remove: Sides whose service cannot take tracks out of this collection.
    """

    direction: Direction = "both"
    policy: Policy = "ask"
    prefer: Literal["a", "b"] = "a"
    propagate_removals: bool = True
    max_removals: int | None = 100
    cannot_remove: frozenset[Literal["a", "b"]] = frozenset()


@dataclass(frozen=True)
class Conflict:
    """A recording removed on one side and added on the other since the last sync."""

    removed_on: Literal["a", "b"]
    a_id: str
    b_id: str


@dataclass(frozen=True)
class Plan:
    """What a run would do. Ids are the target side's own."""

    add_to_a: tuple[str, ...] = ()
    remove_from_a: tuple[str, ...] = ()
    add_to_b: tuple[str, ...] = ()
    remove_from_b: tuple[str, ...] = ()
    unmatched_a: tuple[str, ...] = ()
    unmatched_b: tuple[str, ...] = ()
    not_on_other_side: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    withheld_removals: dict[str, int] = field(default_factory=dict)
    #: Removals a side's service cannot make, by side: how many were left out.
    unremovable: dict[str, int] = field(default_factory=dict)

    @property
    def changes_nothing(self) -> bool:
        """True when applying the plan would write nothing."""
        return not (self.add_to_a or self.remove_from_a or self.add_to_b or self.remove_from_b)


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def plan_playlist(
    a: Iterable[str],
    b: Iterable[str],
    base_a: Iterable[str],
    base_b: Iterable[str],
    mapping: Mapping[str, str],
    options: Options = Options(),
    settled: Mapping[tuple[str, str], Literal["keep", "remove"]] | None = None,
) -> Plan:
    """The plan that brings two playlists in step (see the module docstring). ``settled``
    holds a person's answers to conflicts, by ``(a id, b id)``: ``keep`` or ``remove``."""
    answers = settled or {}
    now_a, now_b = _unique(a), _unique(b)
    was_a, was_b = set(base_a), set(base_b)
    in_a, in_b = set(now_a), set(now_b)
    to_b = {x: y for x, y in mapping.items() if y != NOT_ON_SERVICE}
    to_a = {y: x for x, y in to_b.items()}
    not_there = {x for x, y in mapping.items() if y == NOT_ON_SERVICE}

    added_a = [x for x in now_a if x not in was_a]
    added_b = [y for y in now_b if y not in was_b]
    removed_a = [x for x in was_a if x not in in_a]
    removed_b = [y for y in was_b if y not in in_b]
    a_flows = options.direction in ("a_to_b", "both")
    b_flows = options.direction in ("b_to_a", "both")

    # In a one-way sync the target is made to hold the source's tracks, whenever added.
    a_offers = now_a if options.direction == "a_to_b" else added_a
    b_offers = now_b if options.direction == "b_to_a" else added_b

    add_b: list[str] = []
    add_a: list[str] = []
    remove_b: list[str] = []
    remove_a: list[str] = []
    conflicts: list[Conflict] = []
    unmatched_a = [x for x in a_offers if x not in to_b and x not in not_there] if a_flows else []
    unmatched_b = [y for y in b_offers if y not in to_a] if b_flows else []
    unavailable = [x for x in a_offers if x in not_there] if a_flows else []

    def conflict(removed_on: Literal["a", "b"], x: str, y: str) -> None:
        policy, answer = options.policy, answers.get((x, y))
        if answer is None and policy in ("ask", "skip"):
            if policy == "ask":
                conflicts.append(Conflict(removed_on, x, y))
            return
        if answer is not None:
            keep = answer == "keep"
        else:
            keep = policy == "merge" or options.prefer != removed_on
        if removed_on == "a":
            (add_a.append(x) if keep else remove_b.append(y))
        else:
            (add_b.append(y) if keep else remove_a.append(x))

    if a_flows:
        for x in a_offers:
            y = to_b.get(x)
            if y is None or y in in_b:
                continue
            if options.direction == "both" and y in was_b:  # B removed what A added back
                conflict("b", x, y)
            else:
                add_b.append(y)
        if options.propagate_removals:
            for x in removed_a:
                y = to_b.get(x)
                if y is None or y not in in_b:
                    continue
                if y in was_b:
                    remove_b.append(y)  # B did not touch it since: the removal travels
                elif options.direction == "both":
                    conflict("a", x, y)  # B added it while A removed it
    if b_flows:
        for y in b_offers:
            mate = to_a.get(y)
            if mate is None or mate in in_a:
                continue
            if options.direction == "both" and mate in was_a:
                if not any(c.a_id == mate for c in conflicts):
                    conflict("a", mate, y)
            else:
                add_a.append(mate)
        if options.propagate_removals:
            for y in removed_b:
                mate = to_a.get(y)
                if mate is None or mate not in in_a:
                    continue
                if mate in was_a:
                    remove_a.append(mate)
                elif options.direction == "both" and not any(c.b_id == y for c in conflicts):
                    conflict("b", mate, y)

    unremovable: dict[str, int] = {}
    if "a" in options.cannot_remove and remove_a:
        unremovable["a"], remove_a = len(set(remove_a)), []
    if "b" in options.cannot_remove and remove_b:
        unremovable["b"], remove_b = len(set(remove_b)), []
    withheld: dict[str, int] = {}
    cap = options.max_removals
    if cap is not None:
        if len(set(remove_a)) > cap:
            withheld["a"], remove_a = len(set(remove_a)), []
        if len(set(remove_b)) > cap:
            withheld["b"], remove_b = len(set(remove_b)), []
    return Plan(
        add_to_a=_unique(add_a),
        remove_from_a=_unique(remove_a),
        add_to_b=_unique(add_b),
        remove_from_b=_unique(remove_b),
        unmatched_a=_unique(unmatched_a),
        unmatched_b=_unique(unmatched_b),
        not_on_other_side=_unique(unavailable),
        conflicts=tuple(conflicts),
        withheld_removals=withheld,
        unremovable=unremovable,
    )


def apply_plan(a: Iterable[str], b: Iterable[str], plan: Plan) -> tuple[list[str], list[str]]:
    """Both sides as they will be once the plan is applied (adds appended, in order)."""
    new_a = [x for x in a if x not in set(plan.remove_from_a)]
    new_b = [y for y in b if y not in set(plan.remove_from_b)]
    new_a += [x for x in plan.add_to_a if x not in set(new_a)]
    new_b += [y for y in plan.add_to_b if y not in set(new_b)]
    return new_a, new_b
