"""Matcher benchmark: ``python scripts/benchmark_matcher.py [--scale 1.0]``.

Prints figures, asserts nothing (speed is measured, not tested):
- ``match rank`` over a large generated file: cases/s and candidate comparisons/s,
  through the same code path as the CLI (read, rank, write JSON lines);
- the library index: 10,000 playlist tracks against a 100,000-track library (half of the
  playlist present), index build and look-up times, tracks/s, and how many were found;
- peak memory (RSS) of the process.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import time

import msgspec

from services.kernel.contracts import Track
from services.matcher.api.cli import rank_case, read_cases
from services.matcher.domain.library import LibraryIndex
from services.matcher.domain.scoring import Thresholds

LETTERS = "abcdefghijklmnopqrstuvwxyz"
DECORATIONS = [
    "",
    " (Live)",
    " (Remix)",
    " - Remastered 2011",
    " (Official Video)",
    " (Karaoke Version)",
    " (Sped Up)",
    " (feat. Someone)",
    " (Acoustic)",
]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9))).title()


def track(rng: random.Random) -> dict[str, object]:
    return {
        "title": " ".join(word(rng) for _ in range(rng.randint(1, 4))),
        "artists": [f"{word(rng)} {word(rng)}" for _ in range(rng.randint(1, 2))],
        "album": word(rng),
        "duration_ms": rng.randint(120_000, 400_000),
    }


def rank_file(cases: int, candidates: int, rng: random.Random) -> str:
    lines = []
    for number in range(cases):
        source = track(rng)
        pool = []
        for index in range(candidates):
            other = dict(source) if index < candidates // 2 else track(rng)
            other["title"] = f"{other['title']}{rng.choice(DECORATIONS)}"
            other["duration_ms"] = int(other["duration_ms"]) + rng.randint(-20_000, 20_000)
            pool.append({**other, "id": f"c{index}"})
        lines.append(json.dumps({"id": f"case{number}", "source": source, "candidates": pool}))
    return "\n".join(lines) + "\n"


def bench_rank(cases: int, candidates: int) -> None:
    document = rank_file(cases, candidates, random.Random(7))
    output = io.StringIO()
    started = time.perf_counter()
    thresholds = Thresholds()
    for case in read_cases(io.StringIO(document), print):
        output.write(msgspec.json.encode(rank_case(case, thresholds)).decode())
    elapsed = time.perf_counter() - started
    print(
        f"match rank: {cases} cases x {candidates} candidates in {elapsed:.2f} s: "
        f"{cases / elapsed:,.0f} cases/s, {cases * candidates / elapsed:,.0f} comparisons/s"
    )


def bench_library(playlist_size: int, library_size: int) -> None:
    rng = random.Random(11)
    library = [
        Track(
            title=str(t["title"]),
            artists=tuple(t["artists"]),  # type: ignore[arg-type]
            duration_ms=int(t["duration_ms"]),
        )  # type: ignore[call-overload]
        for t in (track(rng) for _ in range(library_size))
    ]
    present = rng.sample(library, playlist_size // 2)
    absent = [
        Track(title=str(t["title"]), artists=tuple(t["artists"]))  # type: ignore[arg-type]
        for t in (track(rng) for _ in range(playlist_size - len(present)))
    ]
    started = time.perf_counter()
    index = LibraryIndex(library)
    built = time.perf_counter() - started
    started = time.perf_counter()
    results = index.best_matches(present + absent)
    looked = time.perf_counter() - started
    found = sum(1 for s, (b, c) in zip(present, results, strict=False) if b is s and c >= 0.8)
    false = sum(1 for _, c in results[len(present) :] if c >= 0.8)
    print(
        f"library index: {library_size:,} tracks indexed in {built:.1f} s; "
        f"{playlist_size:,} look-ups in {looked:.1f} s ({playlist_size / looked:,.0f} tracks/s); "
        f"present found {found}/{len(present)}, absent called present {false}/{len(absent)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink or grow every size")
    scale = parser.parse_args().scale
    bench_rank(int(5_000 * scale), 20)
    bench_library(int(10_000 * scale), int(100_000 * scale))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
