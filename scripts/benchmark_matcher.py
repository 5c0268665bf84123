"""Matcher benchmark: ``python scripts/benchmark_matcher.py [--scale 1.0] [--before TREE]
[--runs N]``.

Prints figures, asserts nothing (speed is measured, not tested):
- ``tunebridge match rank`` as a whole process (start-up, reading, ranking, writing) on
  10,000 generated cases of 10 to 20 candidates: wall and CPU seconds (the machine is
  shared: the load average is printed beside each run), cases/s, comparisons/s and peak
  RSS, beside the figure measured before the batch scorer (issue #15); whether the output
  is byte for byte the one the scorer before #15's batch redesign wrote (its SHA-256), or
  with ``--before TREE`` (older code, e.g. ``git archive 4c11311 services | tar -x -C
  TREE``) both run alternately on the same input and their outputs compared;
- the library index: 10,000 playlist tracks against a 100,000-track library (half of the
  playlist present), index build and look-up times, tracks/s, and how many were found;
- peak memory (RSS) of the process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from services.kernel.contracts import Track
from services.matcher.api.cli import _rank_lines as rank_lines
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


#: ``tunebridge match rank`` on this file's 10,000 cases of 10-20 candidates, whole
#: process, before the batch scorer (commit 490e8ec, /usr/bin/time, quiet machine).
BEFORE_SECONDS = 24.2
BEFORE_RSS_MIB = 329
#: SHA-256 of that run's output as the scorer of commit 6f44ee7 (before #15 part 5's
#: batch-level redesign) wrote it: the output must stay the same byte for byte.
BEFORE_OUTPUT_SHA256 = "7c6c25f2a2f7bf9a24ff155f5956f314809aca96ee1d40d7799b7f840bd48c32"


def whole_process_file(cases: int, rng: random.Random) -> str:
    lines = []
    for number in range(cases):
        source = track(rng)
        count = rng.randint(10, 20)
        pool = []
        for index in range(count):
            other = dict(source) if index < count // 2 else track(rng)
            other["title"] = f"{other['title']}{rng.choice(DECORATIONS)}"
            other["duration_ms"] = int(other["duration_ms"]) + rng.randint(-20_000, 20_000)
            pool.append({**other, "id": f"c{index}"})
        lines.append(json.dumps({"id": f"case{number}", "source": source, "candidates": pool}))
    return "\n".join(lines) + "\n"


def _run_rank(source: Path, target: Path, tree: str | None) -> tuple[float, float, float]:
    """One ``tunebridge match rank`` process (from ``tree``, a source checkout, when
    given): wall seconds, CPU seconds (user + system, both processes) and peak RSS (MiB)."""
    command = [sys.executable, "-m", "services.cli", "match", "rank", "--input", str(source)]
    started = time.perf_counter()
    with subprocess.Popen([*command, "--output", str(target)], cwd=tree) as process:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"match rank failed ({process.returncode})")
    # The forked second half is the rank process's child: its CPU is in its own
    # usage only once reaped, which the rank process does before it exits.
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bench_whole_process(cases: int, before_tree: str | None, runs: int) -> None:
    document = whole_process_file(cases, random.Random(7))
    comparisons = sum(len(json.loads(line)["candidates"]) for line in document.splitlines())
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "cases.jsonl"
        source.write_text(document)
        for run in range(runs):
            for label, tree in (("now", None), ("before", before_tree)):
                if label == "before" and tree is None:
                    continue
                target = Path(folder) / f"{label}.jsonl"
                load = os.getloadavg()[0]
                elapsed, cpu, peak = _run_rank(source, target, tree)
                print(
                    f"tunebridge match rank ({label}), whole process, run {run + 1}: "
                    f"{cases:,} cases ({comparisons:,} candidates) in {elapsed:.2f} s wall, "
                    f"{cpu:.2f} s CPU: {cases / elapsed:,.0f} cases/s, "
                    f"{comparisons / elapsed:,.0f} comparisons/s, peak RSS {peak:.0f} MiB "
                    f"(load average {load:.1f})"
                )
        output = (Path(folder) / "now.jsonl").read_bytes()
        if before_tree is not None:
            same = output == (Path(folder) / "before.jsonl").read_bytes()
            print(f"  output byte for byte the same as before's: {'yes' if same else 'NO'}")
        elif cases == 10_000:
            same = hashlib.sha256(output).hexdigest() == BEFORE_OUTPUT_SHA256
            print(f"  output byte for byte the same as commit 6f44ee7's: {'yes' if same else 'NO'}")
    if cases == 10_000:
        print(
            f"  before the batch scorer: {BEFORE_SECONDS:.1f} s "
            f"({cases / BEFORE_SECONDS:,.0f} cases/s), peak RSS {BEFORE_RSS_MIB} MiB"
        )


def bench_rank(cases: int, candidates: int) -> None:
    document = rank_file(cases, candidates, random.Random(7))
    lines = document.encode().splitlines()
    started = time.perf_counter()
    _, errors = rank_lines(lines, 1, Thresholds(), False)  # one process, batched
    elapsed = time.perf_counter() - started
    assert not errors
    print(
        f"match rank in process, one core: {cases} cases x {candidates} candidates in "
        f"{elapsed:.2f} s: "
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
    parser.add_argument(
        "--before",
        metavar="TREE",
        help="a source checkout of older code (e.g. from git archive) to run side by side",
    )
    parser.add_argument("--runs", type=int, default=1, help="whole-process runs of each")
    options = parser.parse_args()
    scale = options.scale
    bench_whole_process(int(10_000 * scale), options.before, options.runs)
    bench_rank(int(5_000 * scale), 20)
    bench_library(int(10_000 * scale), int(100_000 * scale))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
