"""The matcher on its development sets: the gates of the matcher issues, measured.

Two sets. The old one (``devset.jsonl`` from real Spotify, Deezer and YouTube Music
payloads with generated decoys, plus hand-written ``hard_cases.jsonl``). The outside one,
grown from other projects' recorded payloads (scripts/build_matcher_outside_set.py,
sources in tests/data/matcher/outside/SOURCES.md), split into a fitting part (the only
part calibration and tuning look at) and a held-out part. The README reports the full
figures (``tunebridge match evaluate``).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from services.matcher.api.cli import Case, outcome_of
from services.matcher.domain.evaluation import Outcome, Report, evaluate
from services.matcher.domain.scoring import Thresholds

DATA = Path(__file__).resolve().parents[1] / "data" / "matcher"


def outcomes(*names: str) -> list[tuple[str, Outcome]]:
    rows = []
    for name in names:
        for line in (DATA / name).read_text().splitlines():
            case = msgspec.json.decode(line, type=Case)
            rows.append((str(case.id), outcome_of(case, Thresholds())))
    return rows


def assert_gates(report: Report, rows: list[tuple[str, Outcome]]) -> None:
    assert report.top1_accuracy >= 0.96
    assert report.bands["auto"].recall >= 0.80
    assert report.wrong_autos == []
    absent_auto = [case for case, o in rows if o.decision == "auto" and not o.findable]
    assert absent_auto == []


def test_held_out_part_of_the_outside_set_meets_the_gates() -> None:
    rows = outcomes("outside_heldout.jsonl")
    report = evaluate(rows)
    assert report.cases >= 150
    assert_gates(report, rows)


def test_the_old_set_still_meets_the_gates() -> None:
    rows = outcomes("devset.jsonl", "hard_cases.jsonl")
    report = evaluate(rows)
    assert report.cases >= 180
    assert_gates(report, rows)
    assert report.bands["auto"].recall >= 0.90


def test_hard_cases_from_user_reports_each_behave() -> None:
    wrong = [
        case
        for case, outcome in outcomes("hard_cases.jsonl")
        if (outcome.decision == "auto") != outcome.best_is_right
        and not (outcome.decision == "review" and outcome.best_is_right)
        and not (outcome.decision == "none" and not outcome.findable)
    ]
    assert wrong == []
