"""Measuring the matcher on labelled cases: precision and recall per decision band."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """What the matcher said for one labelled case.

    Attributes:
        decision: ``auto``, ``review`` or ``none``.
        best: Id of the top-ranked candidate (None when there were no candidates).
        confidence: The top candidate's confidence.
        expected: Ids of the candidates that are the same recording (empty: none is).
    """

    decision: str
    best: object
    confidence: float
    expected: frozenset[object]

    @property
    def findable(self) -> bool:
        """The right recording is among the candidates."""
        return bool(self.expected)

    @property
    def best_is_right(self) -> bool:
        """The top candidate is a right one."""
        return self.best is not None and self.best in self.expected


@dataclass(frozen=True)
class Band:
    """One decision band: how often it is chosen and how often it is right.

    ``auto`` and ``review`` are right when their best candidate is; ``none`` is right when
    no candidate was the recording. Recall is over the cases where that band's answer
    would be right (findable cases for auto/review, unfindable ones for none).
    """

    decisions: int
    right: int
    eligible: int

    @property
    def precision(self) -> float:
        return self.right / self.decisions if self.decisions else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.eligible if self.eligible else 1.0


@dataclass(frozen=True)
class Report:
    """The whole evaluation."""

    cases: int
    bands: dict[str, Band]
    top1_accuracy: float
    findable: int
    calibration: list[tuple[str, int, float, float]] = field(default_factory=list)
    wrong_autos: list[str] = field(default_factory=list)


def evaluate(outcomes: Iterable[tuple[object, Outcome]]) -> Report:
    """Precision, recall and calibration over labelled outcomes (case id, outcome)."""
    rows = list(outcomes)
    findable = [o for _, o in rows if o.findable]
    bands = {}
    for band in ("auto", "review", "none"):
        chosen = [o for _, o in rows if o.decision == band]
        if band == "none":
            right = sum(1 for o in chosen if not o.findable)
            eligible = sum(1 for _, o in rows if not o.findable)
        else:
            right = sum(1 for o in chosen if o.best_is_right)
            eligible = len(findable)
        bands[band] = Band(decisions=len(chosen), right=right, eligible=eligible)
    calibration = []
    edges = [0.0, 0.2, 0.4, 0.55, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
    for low, high in itertools.pairwise(edges):
        members = [o for _, o in rows if o.best is not None and low <= o.confidence < high]
        if members:
            mean = sum(o.confidence for o in members) / len(members)
            share = sum(1 for o in members if o.best_is_right) / len(members)
            calibration.append((f"{low:.2f}-{min(high, 1.0):.2f}", len(members), mean, share))
    return Report(
        cases=len(rows),
        bands=bands,
        top1_accuracy=(sum(1 for o in findable if o.best_is_right) / len(findable))
        if findable
        else 1.0,
        findable=len(findable),
        calibration=calibration,
        wrong_autos=[str(case) for case, o in rows if o.decision == "auto" and not o.best_is_right],
    )
