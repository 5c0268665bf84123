"""``tunebridge match ...``: the matcher offline, for scripts, debugging and evaluation.

``rank`` reads one case per line and writes one result per line, in input order:

    in:  {"id", "source": TRACK, "candidates": [TRACK + {"id"}, ...]}
    out: {"id", "decision": "auto"|"review"|"none", "best": id|null,
          "ranked": [{"id", "confidence"}, ...]}     (best first; --explain adds "explain")

A line that cannot be read is reported on stderr with its number and skipped; the rest
are processed, and the exit status is 1 if any line was skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import marshal
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec
import numpy as np

from services.kernel.contracts import TrackDocument
from services.matcher.domain.scoring import (
    Batch,
    Thresholds,
    gc_paused,
    prepare_columns,
    score_columns,
)

if TYPE_CHECKING:
    from services.matcher.domain.evaluation import Outcome

#: Ids are strings by contract; numeric ids are accepted and echoed back as they came.
Id = str | int


class CandidateDocument(TrackDocument, kw_only=True):
    """A candidate: a track with an id."""

    id: Id


class Case(msgspec.Struct, kw_only=True):
    """One input line."""

    id: Id
    source: TrackDocument
    candidates: list[CandidateDocument] = msgspec.field(default_factory=list)
    expected: list[Id] | None = None  # only read by ``evaluate``


class Explained(msgspec.Struct):
    feature: str
    value: float | str | None
    contribution: float


class Ranked(msgspec.Struct, omit_defaults=True):
    id: Id
    confidence: float
    explain: list[Explained] | None = None


class Result(msgspec.Struct):
    id: Id
    decision: str
    best: Id | None
    ranked: list[Ranked]


MAX_CANDIDATES = 10_000
#: Cases scored together (one batch of string comparisons); bounds memory on huge inputs.
#: Small enough for a batch's readings and arrays to stay in the processor's caches: a
#: half of the benchmark (5,000 cases) took 1.09 s CPU in batches of 500, 1.18 s in
#: batches of 2,000 (150 to 750 are alike); the readings are cached across batches.
BATCH = 500
#: Below this many lines one process is quicker than starting a second.
PARALLEL_FROM = 3_000
_decoder = msgspec.json.Decoder(Case)
_encoder = msgspec.json.Encoder()


def _explained(batch: Batch, case: int, index: int) -> list[Explained]:
    return [
        Explained(c.feature, c.value, c.contribution if c.contribution != float("inf") else 99.0)
        for c in batch.explain(case, index)
    ]


def rank_cases(cases: list[Case], thresholds: Thresholds, explain: bool = False) -> list[Result]:
    """The ranking and decision for each case, scored in one batch."""
    with gc_paused():
        tracks: list[TrackDocument] = [case.source for case in cases]
        for case in cases:
            tracks.extend(case.candidates)
        batch = score_columns(
            prepare_columns(tracks), [len(case.candidates) for case in cases], explain
        )
    order = batch.order()
    # Every case's ranking in one pass over flat lists (no numpy call per case): the
    # candidates of all cases, best first case by case.
    flat_order = order.tolist()
    ids = [candidate.id for case in cases for candidate in case.candidates]
    bounds = batch.bounds
    if explain:
        case_of = np.repeat(np.arange(len(cases)), np.diff(bounds)).tolist()
        ranked_all = [
            Ranked(
                ids[flat],
                confidence,
                _explained(batch, case_of[flat], flat - bounds[case_of[flat]]),
            )
            for flat, confidence in zip(flat_order, batch.confidence[order].tolist(), strict=True)
        ]
    else:
        ranked_all = list(
            map(Ranked, map(ids.__getitem__, flat_order), batch.confidence[order].tolist())
        )
    results = []
    for number, case in enumerate(cases):
        ranked = ranked_all[bounds[number] : bounds[number + 1]]
        decision = thresholds.decide(ranked[0].confidence) if ranked else "none"
        best = ranked[0].id if ranked and decision != "none" else None
        results.append(Result(id=case.id, decision=decision, best=best, ranked=ranked))
    return results


def rank_case(case: Case, thresholds: Thresholds, explain: bool = False) -> Result:
    """The ranking and decision for one case."""
    return rank_cases([case], thresholds, explain)[0]


def _decode(
    lines: Iterable[tuple[int, str | bytes]], on_error: Callable[[str], None]
) -> Iterator[Case]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            case = _decoder.decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            on_error(f"line {number}: {error}")
            continue
        if len(case.candidates) > MAX_CANDIDATES:
            on_error(f"line {number}: more than {MAX_CANDIDATES} candidates")
            continue
        yield case


def read_cases(stream: TextIO, on_error: Callable[[str], None]) -> Iterator[Case]:
    """Cases from JSON lines; a bad line is reported (with its number) and skipped."""
    return _decode(enumerate(stream, start=1), on_error)


def _rank_lines(
    lines: list[bytes], first: int, thresholds: Thresholds, explain: bool
) -> tuple[bytes, list[str]]:
    """Rank JSON lines (numbered from ``first``): the output lines and the errors."""
    errors: list[str] = []
    cases = list(_decode(enumerate(lines, start=first), errors.append))
    out = bytearray()
    for start in range(0, len(cases), BATCH):
        out += _encoder.encode_lines(rank_cases(cases[start : start + BATCH], thresholds, explain))
    return bytes(out), errors


def _fork_rank(
    lines: list[bytes], start: int, thresholds: Thresholds, explain: bool
) -> tuple[int, int]:
    """Rank ``lines[start:]`` in a forked child (it inherits the lines: they are not
    copied across, and no process pool is imported or started): its id, and the pipe
    its ``_rank_lines`` result comes back through (``_child_result``)."""
    sys.stdout.flush()
    sys.stderr.flush()
    readable, writable = os.pipe()
    child = os.fork()
    if child:
        os.close(writable)
        return child, readable
    status = 0
    try:
        os.close(readable)
        try:
            reply: tuple[bool, tuple[bytes, list[str]] | str] = (
                True,
                _rank_lines(lines[start:], start + 1, thresholds, explain),
            )
        except BaseException:  # handed to the parent, which raises it
            import traceback  # only here: 2 ms of every start-up otherwise

            reply, status = (False, traceback.format_exc()), 1
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(marshal.dumps(reply))
    finally:
        os._exit(status)  # no teardown, and no return into the parent's code


def _child_result(child: int, readable: int) -> tuple[bytes, list[str]]:
    """What ``_fork_rank``'s child ranked, once it has ended (it is reaped here)."""
    with os.fdopen(readable, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(child, 0)
    if not data:
        raise RuntimeError(f"match rank: the second process ended with status {status}")
    ok, value = marshal.loads(data)
    if not ok:
        raise RuntimeError(f"match rank: the second process failed:\n{value}")
    text, errors = value
    return text, errors


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _report(message: str) -> None:
    print(message, file=sys.stderr)


def _open(path: str, mode: str, stack: contextlib.ExitStack[bool | None]) -> TextIO:
    if path == "-":
        return sys.stdin if mode == "r" else sys.stdout
    # The stack closes it.
    handle: TextIO = stack.enter_context(Path(path).open(mode, encoding="utf-8"))  # type: ignore[assignment]  # noqa: SIM115
    return handle


def command_rank(options: argparse.Namespace) -> int:
    # A short-lived process that allocates millions of small objects and frees none:
    # the cyclic collector would only re-scan them, over and over.
    gc.disable()
    thresholds = Thresholds(auto=options.auto, review=options.review)
    skipped: list[str] = []

    def skip(message: str) -> None:
        skipped.append(message)
        _report(message)

    with contextlib.ExitStack() as stack:
        source = _open(options.input, "r", stack)
        output = _open(options.output, "w", stack)
        lines = source.buffer.readlines() if hasattr(source, "buffer") else source.readlines()
        lines = [line if isinstance(line, bytes) else line.encode() for line in lines]
        # Both cores: a forked second process takes the second half of a large input.
        parallel = len(lines) >= PARALLEL_FROM and _cores() > 1 and hasattr(os, "fork")
        half = len(lines) // 2 if parallel else len(lines)
        later = _fork_rank(lines, half, thresholds, options.explain) if parallel else None
        parts = []
        try:
            parts.append(_rank_lines(lines[:half], 1, thresholds, options.explain))
        finally:
            if later:  # reaped even when this half failed
                parts.append(_child_result(*later))
        for text, errors in parts:
            for error in errors:
                skip(error)
            output.flush()
            if hasattr(output, "buffer"):
                output.buffer.write(text)
            else:
                output.write(text.decode())
    if skipped:
        _report(f"{len(skipped)} line(s) skipped")
    return 1 if skipped else 0


def outcome_of(case: Case, thresholds: Thresholds) -> Outcome:
    """How the matcher did on one labelled case."""
    # Imported here, as in ``command_evaluate``: ``match rank`` never needs it.
    from services.matcher.domain.evaluation import Outcome

    result = rank_case(case, thresholds)
    top = result.ranked[0] if result.ranked else None
    return Outcome(
        decision=result.decision,
        best=top.id if top else None,
        confidence=top.confidence if top else 0.0,
        expected=frozenset(case.expected or ()),
    )


def command_evaluate(options: argparse.Namespace) -> int:
    from services.matcher.domain.evaluation import evaluate

    thresholds = Thresholds(auto=options.auto, review=options.review)
    outcomes = []
    for path in options.input:
        with contextlib.ExitStack() as stack:
            for case in read_cases(_open(path, "r", stack), _report):
                if case.expected is None:
                    print(f"{case.id}: no 'expected' label, left out", file=sys.stderr)
                    continue
                outcomes.append((case.id, outcome_of(case, thresholds)))
    report = evaluate(outcomes)
    print(f"cases: {report.cases} ({report.findable} with the right recording among candidates)")
    print(f"right candidate first: {report.top1_accuracy:.1%} of those")
    print("band    decisions  precision  recall")
    for name, band in report.bands.items():
        print(f"{name:<7} {band.decisions:>9}  {band.precision:>9.1%}  {band.recall:>6.1%}")
    print("calibration (confidence of the top candidate -> share right):")
    for label, count, mean, right in report.calibration:
        print(f"  {label}  n={count:<4} mean={mean:.3f}  right={right:.3f}")
    if report.wrong_autos:
        print("wrong auto decisions:", ", ".join(report.wrong_autos))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``match rank`` and ``match evaluate`` under the main ``tunebridge`` parser."""
    match = commands.add_parser("match", help="the matcher, offline")
    sub = match.add_subparsers(dest="match_command", required=True)
    defaults = Thresholds()
    for name, handler, help_text in (
        ("rank", command_rank, "rank candidates for each case of a JSON-lines file"),
        ("evaluate", command_evaluate, "precision and recall per band on labelled cases"),
    ):
        parser = sub.add_parser(name, help=help_text)
        if name == "rank":
            parser.add_argument("--input", required=True, help="JSON lines, or - for stdin")
            parser.add_argument("--output", default="-", help="JSON lines (default stdout)")
            parser.add_argument("--explain", action="store_true", help="add each feature's part")
        else:
            parser.add_argument("--input", required=True, nargs="+", help="labelled JSON lines")
        parser.add_argument("--auto", type=_unit, default=defaults.auto, help="auto threshold")
        parser.add_argument(
            "--review", type=_unit, default=defaults.review, help="review threshold"
        )
        parser.set_defaults(handler=handler)


def _unit(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value
