"""Replies and dead requests, each to the flow its correlation names (one place for all
flows: a sync run's, a missing-tracks run's), instead of each flow trying in turn."""

from __future__ import annotations

from typing import Protocol

from services.kernel.bus import DeadLetter
from services.kernel.contracts import Correlation, ProviderRead
from services.scheduler.domain import flows


class Routed(Protocol):
    """What a flow takes from the replies and dead letters flows share."""

    async def provider_read(self, event: ProviderRead, asked: Correlation) -> None: ...

    async def given_up(self, user_id: str, asked: Correlation) -> None: ...


class FlowRouter:
    """Routes what several flows share: provider reads and dead letters."""

    def __init__(self, **by_name: Routed) -> None:
        self.flows = by_name

    async def provider_read(self, event: ProviderRead) -> None:
        asked = flows.routed(event.correlation, event.request_id, event.provider)
        flow = self.flows.get(asked.flow) if asked is not None else None
        if asked is not None and flow is not None:  # else a read no flow of ours asked for
            await flow.provider_read(event, asked)

    async def message_dead(self, letter: DeadLetter) -> None:
        """A request given up on ends its run with the step named, so that no run waits
        for ever; the message stays in its stream, read from there once."""
        data = await letter.payload()
        if data is None:
            return  # expired: nothing left to say which run it was
        found = flows.given_up(data)
        if found is None:
            return  # not a run's
        user_id, asked = found
        flow = self.flows.get(asked.flow)
        if flow is not None:
            await flow.given_up(user_id, asked)
