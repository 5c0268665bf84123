"""Searching YouTube Music, then YouTube, through yt-dlp (no page scraping of our own)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import quote_plus

import yt_dlp

from services.downloader.domain.sources import Source, source_from_entry

RESULTS = 8


class AudioSearch(Protocol):
    """Where candidate uploads come from."""

    async def __call__(self, query: str) -> Sequence[Source]:
        """Candidates for a search, best guess first."""
        ...


class YtDlpSearch:
    """YouTube Music's songs, then plain YouTube results, as yt-dlp lists them."""

    def __init__(self, results: int = RESULTS) -> None:
        self.results = results

    def _entries(self, target: str) -> list[dict[str, Any]]:
        options = {
            "quiet": True,
            "no_warnings": True,
            "extract_flat": "in_playlist",
            "playlistend": self.results,
            "skip_download": True,
        }
        with yt_dlp.YoutubeDL(options) as downloader:
            info = downloader.extract_info(target, download=False) or {}
        return [e for e in info.get("entries") or [] if isinstance(e, dict)]

    async def __call__(self, query: str) -> Sequence[Source]:
        targets = (
            f"https://music.youtube.com/search?q={quote_plus(query)}#songs",
            f"ytsearch{self.results}:{query}",
        )
        found: list[Source] = []
        for target in targets:
            try:
                entries = await asyncio.to_thread(self._entries, target)
            except yt_dlp.utils.DownloadError:
                continue  # one source failing is not the end: try the next
            found += [s for s in map(source_from_entry, entries) if s]
        return found
