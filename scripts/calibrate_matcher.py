"""Fit the matcher's calibration on the development set: ``python scripts/calibrate_matcher.py``.

The scorer adds named contributions in log-odds; this fits the slope and offset of the
logistic that turns their sum into a probability (Platt scaling), over every labelled
(source, candidate) pair of ``tests/data/matcher``, and prints the reliability table
before and after. Copy the printed constants into ``services/matcher/domain/scoring.py``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import msgspec
import numpy as np

from services.matcher.api.cli import Case
from services.matcher.domain import scoring

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "matcher"


def pairs() -> tuple[np.ndarray, np.ndarray]:
    logits, labels = [], []
    for name in ("devset.jsonl", "hard_cases.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            case = msgspec.json.decode(line, type=Case)
            source = case.source.to_track()
            for candidate in case.candidates:
                result = scoring.score(source, candidate.to_track(), explain=True)
                logit = sum(c.contribution for c in result.contributions)
                if math.isfinite(logit):  # equal ISRCs decide outright
                    logits.append(logit)
                    labels.append(candidate.id in (case.expected or ()))
    return np.array(logits), np.array(labels, dtype=float)


def fit(z: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[float, float]:
    """Newton's method on the regularised log loss of sigmoid(a * z + b)."""
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * z + b)))
        w = p * (1 - p)
        grad = np.array([np.sum((p - y) * z) + l2 * (a - 1), np.sum(p - y)])
        hess = np.array(
            [[np.sum(w * z * z) + l2, np.sum(w * z)], [np.sum(w * z), np.sum(w) + 1e-9]]
        )
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < 1e-8:
            break
    return float(a), float(b)


def reliability(p: np.ndarray, y: np.ndarray) -> None:
    edges = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0001]
    for low, high in itertools.pairwise(edges):
        mask = (p >= low) & (p < high)
        if mask.any():
            print(
                f"  {low:.2f}-{min(high, 1):.2f}  n={mask.sum():<5} "
                f"mean={p[mask].mean():.3f}  right={y[mask].mean():.3f}"
            )
    print(f"  log loss {-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)):.4f}")


def main() -> None:
    z, y = pairs()
    current = scoring.CALIBRATION_SLOPE * z + scoring.CALIBRATION_OFFSET
    print(f"{len(z)} pairs, {int(y.sum())} same-recording")
    print("with the current constants:")
    reliability(1 / (1 + np.exp(-current)), y)
    a, b = fit(z, y)
    print(f"fitted: CALIBRATION_SLOPE = {a:.3f}, CALIBRATION_OFFSET = {b:.3f}")
    reliability(1 / (1 + np.exp(-(a * z + b))), y)


if __name__ == "__main__":
    main()
