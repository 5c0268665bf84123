"""Searching YouTube Music, then YouTube, through yt-dlp (no page scraping of our own)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import quote_plus

import yt_dlp

from services.downloader.domain.sources import DEFAULT_TARGETS, Source, source_from_entry
from services.kernel.telemetry import LibraryLogger

RESULTS = 8


class AudioSearch(Protocol):
    """Where candidate uploads come from."""

    async def __call__(self, query: str) -> Sequence[Source]:
        """Candidates for a search, best guess first."""
        ...


class YtDlpSearch:
    """Search results as yt-dlp lists them, from each target in turn."""

    def __init__(self, targets: Sequence[str] = DEFAULT_TARGETS, results: int = RESULTS) -> None:
        self.targets = tuple(targets)
        self.results = results

    def _entries(self, target: str) -> list[dict[str, Any]]:
        options = {
            "quiet": True,
            "no_warnings": True,
            "logger": LibraryLogger("yt_dlp"),  # redacted like every other line
            "extract_flat": "in_playlist",
            "playlistend": self.results,
            "skip_download": True,
        }
        with yt_dlp.YoutubeDL(options) as downloader:
            info = downloader.extract_info(target, download=False) or {}
        return [e for e in info.get("entries") or [] if isinstance(e, dict)]

    async def __call__(self, query: str) -> Sequence[Source]:
        found: list[Source] = []
        for template in self.targets:
            target = template.format(query=quote_plus(query), raw=query, results=self.results)
            try:
                entries = await asyncio.to_thread(self._entries, target)
            except yt_dlp.utils.DownloadError:
                continue  # one source failing is not the end: try the next
            found += [s for s in map(source_from_entry, entries) if s]
        return found
