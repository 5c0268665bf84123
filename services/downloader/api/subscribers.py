"""Bus edge of the downloader: plan downloads for tracks a run found missing."""

from __future__ import annotations

from services.downloader.domain.paths import DEFAULT_LAYOUT, Layout
from services.downloader.domain.planning import plan
from services.kernel.bus import Bus, Unprocessable
from services.kernel.contracts import DownloadPlanned, DownloadPlanRequested, reply_to


class PlanHandler:
    """Handles ``DownloadPlanRequested``: a plan only, nothing is fetched yet."""

    def __init__(self, bus: Bus, audio_format: str, layout: Layout = DEFAULT_LAYOUT) -> None:
        self.bus = bus
        self.audio_format = audio_format
        self.layout = layout

    async def __call__(self, request: DownloadPlanRequested) -> None:
        if len(request.tracks) != len(request.positions):
            raise Unprocessable("tracks and positions differ in length")
        items = plan(request.tracks, request.positions, self.audio_format, self.layout)
        await self.bus.publish(
            DownloadPlanned(
                **reply_to(request),
                run_id=request.run_id,
                batch_index=request.batch_index,
                items=tuple(items),
            )
        )
