"""gRPC edge of the downloader: a person's search over the audio sources.

Every source the administrator configured is searched at once, each within a deadline; a
source that cannot be searched is named with the reason, in words, beside the others'
results. The results are kept an hour (``audio_searches``), so a download can name one by
the search's id and its index and get that very upload or file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc

from services.downloader.adapters.sources import AudioSource, SourceUnavailable
from services.downloader.domain.soulseek import folder_of, peer_order
from services.downloader.domain.sources import Source
from services.downloader.records import AudioSearchRecord, audio_search_key
from services.kernel.contracts import new_id
from services.kernel.rpc.tunebridge.downloader.v1 import downloader_pb2, downloader_pb2_grpc
from services.kernel.store import Store

#: Results per source unless the request asks fewer (a Soulseek search finds hundreds).
RESULTS_PER_SOURCE = 25
MAX_QUERY = 500
#: The sources as people know them.
SOURCE_NAMES = {"youtube": "YouTube", "soulseek": "Soulseek"}


def source_name(origin: str) -> str:
    return SOURCE_NAMES.get(origin, origin.capitalize())


def best_first(found: Sequence[Source]) -> list[Source]:
    """A source's results as a person would want them: shared files that would start at
    once and are lossless first (Soulseek); uploads in the order their search gave them."""
    if not any(s.peer for s in found):
        return list(found)
    return sorted(found, key=lambda s: (not (s.quality and s.quality.lossless), *peer_order(s)))


def as_result(index: int, source: Source) -> downloader_pb2.AudioResult:
    quality = source.quality
    peer = source.peer
    return downloader_pb2.AudioResult(
        index=index,
        origin=source.origin,
        title=source.upload_title or source.track.title,
        uploader=peer.username if peer else ", ".join(source.track.artists),
        duration_ms=source.track.duration_ms or 0,
        codec=quality.format if quality else "",
        bitrate_kbps=(quality.bitrate_kbps or 0) if quality else 0,
        lossless=bool(quality and quality.lossless),
        size_bytes=peer.size if peer else 0,
        folder=folder_of(source) or "",
        track_title=source.track.title,
        artists=list(source.track.artists),
        album=source.track.album or "",
        track_number=source.track.track_number or 0,
        free_slot=bool(peer and peer.free_slot),
    )


class AudioSearchServicer(downloader_pb2_grpc.DownloaderServiceServicer):
    """Implements ``tunebridge.downloader.v1.DownloaderService``."""

    def __init__(self, store: Store, sources: Sequence[AudioSource], deadline_s: float) -> None:
        self.store = store
        self.sources = list(sources)
        self.deadline_s = deadline_s

    async def _one(self, source: AudioSource, query: str) -> Sequence[Source] | str:
        """A source's results, or why there are none (in words)."""
        name = source_name(source.name)
        try:
            return await asyncio.wait_for(source.search(query), self.deadline_s)
        except TimeoutError:
            return f"{name} did not answer in time"
        except SourceUnavailable as error:
            if error.kind == "network":
                return f"{name} could not be reached"
            return f"{name} refused the search: {error}"

    async def SearchAudio(
        self, request: downloader_pb2.SearchAudioRequest, context: grpc.aio.ServicerContext
    ) -> downloader_pb2.SearchAudioResponse:
        query = " ".join(request.query.split())
        if not query or len(query) > MAX_QUERY or not request.user_id:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"a search of 1 to {MAX_QUERY} characters"
            )
        limit = min(request.limit or RESULTS_PER_SOURCE, RESULTS_PER_SOURCE)
        answers = await asyncio.gather(*(self._one(s, query) for s in self.sources))
        kept: list[Source] = []
        unavailable = []
        for source, answer in zip(self.sources, answers, strict=True):
            if isinstance(answer, str):
                unavailable.append(
                    downloader_pb2.UnavailableSource(origin=source.name, reason=answer)
                )
            else:
                kept += best_first(answer)[:limit]
        search_id = new_id()
        record = AudioSearchRecord(user_id=request.user_id, query=query, results=kept)
        await self.store.put("audio_searches", audio_search_key(request.user_id, search_id), record)
        return downloader_pb2.SearchAudioResponse(
            search_id=search_id,
            results=[as_result(i, s) for i, s in enumerate(kept)],
            unavailable=unavailable,
            sources=[s.name for s in self.sources],
        )
