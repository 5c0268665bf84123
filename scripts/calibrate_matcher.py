"""Fit the matcher's calibration: ``python scripts/calibrate_matcher.py``.

The scorer adds named contributions in log-odds; this fits the slope and offset of the
logistic that turns their sum into a probability (Platt scaling) over every labelled
(source, candidate) pair of the fitting part of the outside development set
(``tests/data/matcher/outside_fit.jsonl``) only, and prints the reliability table on
that part and on the held-out part (``outside_heldout.jsonl``), which the fit never
sees. Copy the printed constants into ``services/matcher/domain/scoring.py``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import msgspec
import numpy as np

from services.matcher.api.cli import Case
from services.matcher.domain import scoring

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "matcher"


def pairs(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Summed log-odds and labels of every (source, candidate) pair of one file."""
    cases = [
        msgspec.json.decode(line, type=Case) for line in (DATA / name).read_text().splitlines()
    ]
    batch = scoring.score_batch(
        [
            (scoring.prepare(case.source), [scoring.prepare(c) for c in case.candidates])
            for case in cases
        ]
    )
    # A pair is labelled by whether it is the same recording ("same"), not whether it is
    # the preferred copy of it ("expected"): calibration is about the former.
    same = [
        set(msgspec.json.decode(line).get("same", ()))
        for line in (DATA / name).read_text().splitlines()
    ]
    labels = [
        c.id in (found or case.expected or ())
        for case, found in zip(cases, same, strict=True)
        for c in case.candidates
    ]
    keep = ~batch.decided  # equal catalog ISRCs decide outright
    return batch.logits[keep], np.array(labels, dtype=float)[keep]


def _loss(a: float, b: float, z: np.ndarray, y: np.ndarray, l2: float) -> float:
    t = a * z + b
    # log(1 + e^t) - y t, written to stay finite for large |t|.
    return float(np.sum(np.logaddexp(0, t) - y * t) + 0.5 * l2 * (a - 1) ** 2)


def fit(z: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[float, float]:
    """Newton's method with step halving on the regularised log loss of sigmoid(a z + b)."""
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(a * z + b, -50, 50)))
        w = p * (1 - p)
        grad = np.array([np.sum((p - y) * z) + l2 * (a - 1), np.sum(p - y)])
        hess = np.array(
            [[np.sum(w * z * z) + l2, np.sum(w * z)], [np.sum(w * z), np.sum(w) + 1e-9]]
        )
        step = np.linalg.solve(hess, grad)
        current, scale = _loss(a, b, z, y, l2), 1.0
        while scale > 1e-6 and _loss(a - scale * step[0], b - scale * step[1], z, y, l2) > current:
            scale /= 2
        a, b = a - scale * step[0], b - scale * step[1]
        if np.max(np.abs(scale * step)) < 1e-8:
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
    z, y = pairs("outside_fit.jsonl")
    held_z, held_y = pairs("outside_heldout.jsonl")
    print(f"fitting part: {len(z)} pairs, {int(y.sum())} same-recording")
    print(f"held-out part: {len(held_z)} pairs, {int(held_y.sum())} same-recording")

    def both(slope: float, offset: float) -> None:
        for label, logits, labels in (("fitting", z, y), ("held-out", held_z, held_y)):
            print(f" {label}:")
            reliability(1 / (1 + np.exp(-np.clip(slope * logits + offset, -50, 50))), labels)

    print("with the current constants:")
    both(scoring.CALIBRATION_SLOPE, scoring.CALIBRATION_OFFSET)
    a, b = fit(z, y)
    print(f"fitted on the fitting part: CALIBRATION_SLOPE = {a:.3f}, CALIBRATION_OFFSET = {b:.3f}")
    both(a, b)


if __name__ == "__main__":
    main()
