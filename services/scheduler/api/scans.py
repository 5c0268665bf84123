"""Bus edge of library scans after downloads: the scheduler counts each user's downloads
as they land (``downloads.finished``) or are awaited (``sync.downloads_queued``), asks the
connectors for one scan of the user's media servers once they have settled
(``library.media_scan_requested``), and lets the sync runs held meanwhile go on when the
scan has ended (``library.media_scanned``). The debouncing itself is pure
(``services/scheduler/domain/scans.py``); the state is the scheduler's ``library_scans``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from services.kernel.bus import Bus
from services.kernel.contracts import (
    DownloadFinished,
    MediaScanned,
    MediaScanRequested,
    SyncDownloadsQueued,
    new_id,
    utcnow,
)
from services.kernel.store import Store
from services.scheduler.domain import scans
from services.scheduler.records import LibraryScanState

log = logging.getLogger("tunebridge.scheduler.scans")

BUCKET = "library_scans"

#: Go on with a held run (user id, run id).
Resume = Callable[[str, str], Awaitable[None]]


class LibraryScans:
    """Debounced scans after downloads, and the runs that wait for them."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        debounce: scans.Debounce,
        tick_s: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.bus = bus
        self.store = store
        self.debounce = debounce
        self.tick_s = tick_s
        self.clock = clock
        self.resume: Resume | None = None

    async def _change(
        self, user_id: str, change: Callable[[LibraryScanState], LibraryScanState | None]
    ) -> LibraryScanState:
        await self.store.create(BUCKET, user_id, LibraryScanState())
        found = await self.store.update(BUCKET, user_id, LibraryScanState, change)
        return found or LibraryScanState()

    async def downloads_queued(self, event: SyncDownloadsQueued) -> None:
        now = self.clock()
        await self._change(event.user_id, lambda s: scans.queued(s, event.download_ids, now))

    async def download_finished(self, event: DownloadFinished) -> None:
        if event.place != "library":
            return  # a plain download is not in any server's folders
        now = self.clock()
        filed = event.status == "done"
        state = await self._change(
            event.user_id, lambda s: scans.finished(s, event.download_id, filed, now)
        )
        if not filed:
            await self._release(event.user_id, state)

    async def media_scanned(self, event: MediaScanned) -> None:
        state = await self._change(event.user_id, lambda s: scans.scanned(s, event.scan_id))
        log.info("media servers scanned", extra={"servers": len(event.servers)})
        await self._release(event.user_id, state)

    async def hold(self, user_id: str, run_id: str) -> bool:
        """Hold a run until the user's library is current; False when it already is."""
        found = await self.store.get(BUCKET, user_id, LibraryScanState)
        if not scans.busy(found):
            return False
        state = await self._change(user_id, lambda s: scans.waits(s, run_id))
        return run_id in state.runs

    async def _release(self, user_id: str, state: LibraryScanState) -> None:
        if not state.runs or scans.busy(state) or self.resume is None:
            return
        # Resumed before they are let go (resuming twice goes on once): a scheduler that
        # dies in between resumes them again on the redelivered message, never loses one.
        for run_id in state.runs:
            await self.resume(user_id, run_id)
        runs: list[str] = []

        def take(current: LibraryScanState) -> LibraryScanState | None:
            nonlocal runs
            changed, runs = scans.released(current)
            return changed

        await self.store.update(BUCKET, user_id, LibraryScanState, take)
        for run_id in runs:
            if run_id not in state.runs:  # held since the state above was read
                await self.resume(user_id, run_id)

    async def tick_once(self) -> None:
        """Ask the scans that are due; let go of scans whose answer never came."""
        now = self.clock()
        for user_id in await self.store.keys(BUCKET):
            await self._tick_user(user_id, now)

    async def _tick_user(self, user_id: str, now: datetime) -> None:
        state = await self.store.get(BUCKET, user_id, LibraryScanState)
        if state is None:
            return
        lost = state.scan_id
        if lost is not None and scans.timed_out(state, now):
            state = await self._change(user_id, lambda s: scans.scanned(s, lost))
            await self._release(user_id, state)
        if scans.stalled(state, now, self.debounce):
            log.info("downloads awaited for too long are no longer waited for")
            state = await self._change(user_id, scans.given_up)
            await self._release(user_id, state)
        if not scans.due(state, now, self.debounce):
            return
        scan_id, landed = new_id(), state.landed
        after = await self._change(user_id, lambda s: scans.asked(s, scan_id, now))
        if after.scan_id == scan_id:  # this replica asked it
            await self.bus.publish(
                MediaScanRequested(
                    user_id=user_id, event_id=scan_id, scan_id=scan_id, downloads=landed
                )
            )

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick_once()
            except Exception:  # a bad tick must not stop the next ones
                log.exception("library scan tick failed")
            await asyncio.sleep(self.tick_s)
