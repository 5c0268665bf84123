"""Replies and dead requests, each to the flow its correlation names (one place for all
flows: a sync run's, a missing-tracks run's), instead of each flow trying in turn."""

from __future__ import annotations

from services.kernel.bus import DeadLetter
from services.kernel.contracts import ProviderRead
from services.scheduler.api.subscribers import RunHandlers
from services.scheduler.api.sync import SyncHandlers
from services.scheduler.domain import flows


class FlowRouter:
    """Routes what several flows share: provider reads and dead letters."""

    def __init__(self, sync: SyncHandlers, missing: RunHandlers) -> None:
        self.sync = sync
        self.missing = missing

    async def provider_read(self, event: ProviderRead) -> None:
        asked = flows.routed(event.correlation, event.request_id, event.provider)
        if asked is None:
            return  # a read no flow of ours asked for
        if asked.flow == "sync":
            await self.sync.provider_read(event, asked)
        elif asked.flow == "missing":
            await self.missing.provider_read(event, asked)

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
        if asked.flow == "sync":
            await self.sync.given_up(user_id, asked, letter.reason)
        elif asked.flow == "missing":
            await self.missing.given_up(user_id, asked)
