"""The matcher on its development set: the gates of the matcher issue, measured.

The set (tests/data/matcher) is built from real Spotify, Deezer and YouTube Music
payloads by scripts/build_matcher_devset.py, plus hand-written hard cases from what users
report. The README reports the full figures (``tunebridge match evaluate``).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from services.matcher.api.cli import Case, outcome_of
from services.matcher.domain.evaluation import Outcome, evaluate
from services.matcher.domain.scoring import Thresholds

DATA = Path(__file__).resolve().parents[1] / "data" / "matcher"


def outcomes() -> list[tuple[str, Outcome]]:
    rows = []
    for name in ("devset.jsonl", "hard_cases.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            case = msgspec.json.decode(line, type=Case)
            rows.append((str(case.id), outcome_of(case, Thresholds())))
    return rows


def test_auto_is_right_at_least_995_in_1000_and_the_right_candidate_comes_first() -> None:
    report = evaluate(outcomes())
    assert report.cases >= 180
    assert report.bands["auto"].precision >= 0.995, report.wrong_autos
    assert report.top1_accuracy >= 0.96
    assert report.bands["auto"].recall >= 0.90  # conservative, but not uselessly so


def test_hard_cases_from_user_reports_each_behave() -> None:
    wrong = [
        case
        for case, outcome in outcomes()
        if not case.startswith("case")
        and (outcome.decision == "auto") != outcome.best_is_right
        and not (outcome.decision == "review" and outcome.best_is_right)
        and not (outcome.decision == "none" and not outcome.findable)
    ]
    assert wrong == []
