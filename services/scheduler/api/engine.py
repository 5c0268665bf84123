"""The flow engine: a run of any flow moved through its table of phases the same way.

A flow (a sync run, a missing-tracks run) is a table of phases, in order: what entering
each sends, when each is done, what of it is still outstanding. The engine does the rest,
once for every flow:

- entering a phase is one compare-and-set of the run, guarded by the phase it leaves being
  done, so whoever sees a phase end first moves the run on, once; its requests carry ids
  that make a repeat a duplicate JetStream drops;
- a reply is taken by one compare-and-set (the flow's change is None when it was taken
  before), then the run moves on if its phase is done;
- a redelivered message whose change was made already may mean the last handler died
  before sending what came next: the phase's outstanding requests are sent again;
- a run asked to stop stops before anything more is sent; a request given up on ends the
  run saying, in a person's words, which step it was;
- every change is told to live views (``RunChanges``), and an ended run to the flow once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Generic, Protocol, TypeVar

from services.kernel.records import RunRecord, SyncRunRecord
from services.scheduler.api.progress import RunChanges

R = TypeVar("R", RunRecord, SyncRunRecord)
#: What a flow's phases need besides the run (a sync run's job).
C = TypeVar("C")

Change = Callable[[R], "R | None"]


@dataclass(frozen=True)
class Request:
    """One request of a run: its key (what the run waits for), and how it is sent."""

    key: str
    send: Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Entry(Generic[R]):
    """Entering a phase: the change it makes to the run, and the requests sent once that
    change is made (by this delivery: another that made it sends them)."""

    change: Callable[[R], R | None]
    requests: Sequence[Request] = ()


async def _none(run: object, context: object) -> Sequence[Request]:
    return ()


@dataclass(frozen=True)
class Phase(Generic[R, C]):
    """One phase of a flow.

    Attributes:
        enter: What entering it changes and sends, worked out from the run as the phase
            before left it (it may read the store: a playlist's tracks for match batches).
        done: True once nothing of it is waited for.
        outstanding: Its requests still unanswered, sent again after a redelivery.
    """

    name: str
    #: None for a first phase its flow enters itself (from the request that starts it).
    enter: Callable[[R, C], Awaitable[Entry[R]]] | None
    done: Callable[[R, C], bool]
    outstanding: Callable[[R, C], Awaitable[Sequence[Request]]] = _none


class Flow(Protocol[R, C]):
    """What a flow tells the engine besides its phases."""

    @property
    def doing(self) -> Mapping[str, str]:
        """Each step's name as a person would say it, for a run that failed on it."""

    def key(self, user_id: str, run_id: str) -> str:
        """The run's key in its bucket."""

    def phase_of(self, run: R) -> str:
        """The phase the run is in."""

    def ended(self, run: R) -> bool:
        """True once the run has stopped for good."""

    def fail(self, run: R, reason: str, now: datetime) -> R | None:
        """The run, ended with ``reason`` (None if it had ended)."""

    async def context(self, run: R) -> C | None:
        """What the phases need besides the run; None ends it (the flow says why)."""

    async def stopped(self, run: R) -> bool:
        """True if the run has ended, or was asked to stop (and now has)."""

    async def finish(self, run: R, context: C) -> None:
        """The last phase is done: end the run with what it did."""

    async def ended_run(self, run: R, first: bool) -> None:
        """The run has ended (``first``: by the change just made, not by an earlier one)."""


class FlowEngine(Generic[R, C]):
    """Moves one flow's runs through its ``phases``."""

    def __init__(
        self,
        flow: Flow[R, C],
        phases: Sequence[Phase[R, C]],
        runs: RunChanges[R],
        clock: Callable[[], datetime],
    ) -> None:
        self.flow: Flow[R, C] = flow
        self.phases: dict[str, Phase[R, C]] = {phase.name: phase for phase in phases}
        self.following: dict[str, Phase[R, C]] = {a.name: b for a, b in pairwise(phases)}
        self.first: Phase[R, C] = phases[0]
        self.runs: RunChanges[R] = runs
        self.clock = clock

    async def change(self, user_id: str, run_id: str, change: Change[R]) -> tuple[R | None, bool]:
        """The run after ``change``, and whether this call made it; an ended run is told
        to the flow."""
        run, applied = await self.runs.change(self.flow.key(user_id, run_id), change)
        if run is not None and self.flow.ended(run):
            await self.flow.ended_run(run, first=applied)
        return run, applied

    async def begin(self, run: R, fresh: Callable[[R], bool]) -> None:
        """Enter the first phase, if the run is still ``fresh`` (nothing asked yet)."""
        if await self.flow.stopped(run):
            return
        context = await self.flow.context(run)
        if context is None:
            return
        entered = await self._enter(run, context, self.first, fresh)
        if entered is not None:
            await self._advance(entered, context, redelivered=False)

    async def answer(
        self,
        user_id: str,
        run_id: str,
        change: Change[R],
        then: Callable[[R, C], Awaitable[Sequence[Request]]] | None = None,
    ) -> None:
        """Take a reply (``change``: None if it was taken before), send what it leads to
        (``then``, on a redelivery too: their ids make that safe), and move the run on."""
        run, applied = await self.change(user_id, run_id, change)
        if run is not None:
            await self.proceed(run, applied, then)

    async def proceed(
        self,
        run: R,
        applied: bool,
        then: Callable[[R, C], Awaitable[Sequence[Request]]] | None = None,
    ) -> None:
        """After a reply was taken (``applied``: by this delivery), what ``answer`` does."""
        if await self.flow.stopped(run):
            return
        context = await self.flow.context(run)
        if context is None:
            return
        if then is not None:
            await _send(await then(run, context))
        await self._advance(run, context, redelivered=not applied)

    async def advance(self, run: R, redelivered: bool = False) -> None:
        """Move the run on if its phase is done (a redelivery: send what it still waits for)."""
        if await self.flow.stopped(run):
            return
        context = await self.flow.context(run)
        if context is not None:
            await self._advance(run, context, redelivered)

    async def fail(self, user_id: str, run_id: str, reason: str) -> None:
        now = self.clock()
        await self.change(user_id, run_id, lambda r: self.flow.fail(r, reason, now))

    async def given_up(self, user_id: str, run_id: str, step: str) -> None:
        """A request of the run was given up on: the run fails, naming the step in a
        person's words. Why it was given up on (an exception, maybe a provider's answer)
        stays in the operator's log, never in the run's report."""
        doing = self.flow.doing.get(step, "a part of the run")
        reason = f"{doing} was given up on after several tries; an operator can inspect it"
        await self.fail(user_id, run_id, reason)

    async def _advance(self, run: R, context: C, redelivered: bool) -> None:
        while not self.flow.ended(run):
            phase = self.phases[self.flow.phase_of(run)]
            if not phase.done(run, context):
                if redelivered:
                    await _send(await phase.outstanding(run, context))
                return
            following = self.following.get(phase.name)
            if following is None:
                await self.flow.finish(run, context)
                return

            entered = await self._enter(run, context, following, self._left(phase, context))
            if entered is None:
                return  # another delivery moved it on, and sends what follows
            run, redelivered = entered, False

    def _left(self, phase: Phase[R, C], context: C) -> Callable[[R], bool]:
        """Whether a run is (still) at the end of ``phase``."""
        return lambda run: self.flow.phase_of(run) == phase.name and phase.done(run, context)

    async def _enter(
        self, run: R, context: C, phase: Phase[R, C], guard: Callable[[R], bool]
    ) -> R | None:
        """Enter ``phase`` if ``guard`` still holds of the stored run; the run entered, or
        None if it was not (another delivery did, or the run ended)."""
        assert phase.enter is not None, "only a first phase is entered by its flow"
        entry = await phase.enter(run, context)
        entered, applied = await self.change(
            run.user_id,
            run.run_id,
            lambda r: entry.change(r) if guard(r) and not self.flow.ended(r) else None,
        )
        if entered is None or not applied:
            return None
        await _send(entry.requests)
        return None if self.flow.ended(entered) else entered


async def _send(requests: Sequence[Request]) -> None:
    for request in requests:
        await request.send()
