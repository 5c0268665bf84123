"""Audio sources as plug-ins: each searches, says what it can give, and fetches a file.

The pipeline tries them in the order the user set. yt-dlp (YouTube Music, then YouTube)
is one; Soulseek through slskd (``adapters.slskd``) is another.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from services.downloader.adapters.fetcher import Fetched, Progress, fetch
from services.downloader.domain.sources import Capabilities, Source
from services.kernel.contracts import PlannedDownload

Search = Callable[[str], Awaitable[Sequence[Source]]]


class SourceUnavailable(Exception):
    """A source could not be searched; ``kind`` is ``network`` or ``refused``."""

    def __init__(self, message: str, kind: str = "network") -> None:
        super().__init__(message)
        self.kind = kind


class AudioSource(Protocol):
    """One place audio can come from."""

    name: str
    capabilities: Capabilities

    def queries(self, item: PlannedDownload) -> Sequence[str]:
        """What to search for, in turn, until one finds the track."""
        ...

    async def search(self, query: str) -> Sequence[Source]:
        """Candidates for one query."""
        ...

    async def fetch(
        self,
        source: Source,
        folder: Path,
        audio_format: str | None,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> Fetched:
        """Download ``source`` into ``folder`` (raises ``FetchError`` saying why not)."""
        ...


class YtDlpSource:
    """YouTube Music, then YouTube, through yt-dlp: fast, lossy, single files."""

    name = "youtube"
    capabilities = Capabilities(lossless=False, album_folders=False, speed="fast")

    def __init__(self, search: Search) -> None:
        self._search = search

    def queries(self, item: PlannedDownload) -> Sequence[str]:
        return (item.search_query,)

    async def search(self, query: str) -> Sequence[Source]:
        return await self._search(query)

    async def fetch(
        self,
        source: Source,
        folder: Path,
        audio_format: str | None,
        on_progress: Callable[[Progress], None] | None,
        cancel: threading.Event | None,
    ) -> Fetched:
        return await asyncio.to_thread(
            fetch, source.url, folder, "audio", audio_format, on_progress, cancel
        )
