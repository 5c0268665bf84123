"""The provider interface: one protocol for reading, writing, searching and ISRC look-up.

Each provider declares its capabilities and implements what it can; the rest raises
``NotSupported`` with the capability named. Shared work lives here, as in beets' metadata
plugins: paging through a provider's lists, and cutting writes into the provider's
largest allowed batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from services.connectors.adapters.http import ProviderError
from services.connectors.domain.providers import Capability
from services.kernel.contracts import Track

T = TypeVar("T")


class NotSupported(Exception):
    """The provider cannot do this (its API has no such call, or not for this account)."""

    def __init__(self, provider: str, capability: Capability) -> None:
        super().__init__(f"{provider} cannot {capability.value.replace('_', ' ')}")
        self.capability = capability


@dataclass(frozen=True)
class Profile:
    """Who the connected account is."""

    provider: str
    account_id: str
    display_name: str | None = None


@dataclass(frozen=True)
class AlbumInfo:
    """A saved album."""

    provider: str
    album_id: str
    title: str
    artists: tuple[str, ...]
    track_count: int | None = None
    release_date: str | None = None
    artwork_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlaylistInfo:
    """A playlist without its items.

    Attributes:
        snapshot: The provider's version of it (Spotify's ``snapshot_id``, Deezer's
            checksum), to detect change without reading the items.
    """

    provider: str
    playlist_id: str
    name: str
    track_count: int | None = None
    owned: bool = True
    snapshot: str | None = None


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """Consecutive slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


class Provider:
    """Base of every provider adapter."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    #: Largest number of items one write call may carry.
    write_batch: ClassVar[int] = 100
    #: Tries of one batch whose outcome stays unknown (each after looking at the target).
    write_attempts: ClassVar[int] = 5

    def _unsupported(self, capability: Capability) -> NotSupported:
        return NotSupported(self.name, capability)

    async def profile(self) -> Profile:
        raise self._unsupported(Capability.READ_PROFILE)

    def playlists(self) -> AsyncIterator[PlaylistInfo]:
        raise self._unsupported(Capability.READ_PLAYLISTS)

    def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        raise self._unsupported(Capability.READ_PLAYLISTS)

    def liked_tracks(self) -> AsyncIterator[Track]:
        raise self._unsupported(Capability.READ_LIKED)

    def recently_played(self) -> AsyncIterator[Track]:
        raise self._unsupported(Capability.READ_RECENT)

    def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        raise self._unsupported(Capability.READ_ALBUMS)

    def library(self) -> AsyncIterator[Track]:
        """Every track of a media server's music library."""
        raise self._unsupported(Capability.SCAN_LIBRARY)

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        """Put a playlist's tracks in ``order`` (the ids it holds, each once)."""
        raise self._unsupported(Capability.REORDER_ITEMS)

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        raise self._unsupported(Capability.CREATE_PLAYLIST)

    async def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Append tracks in the provider's largest batches, never one twice: a batch whose
        fate is unknown (server error, timeout) is looked for before it is sent again."""
        if Capability.ADD_ITEMS not in self.capabilities:
            raise self._unsupported(Capability.ADD_ITEMS)
        for batch in batches(list(track_ids), self.write_batch):
            for attempt in range(self.write_attempts):
                try:
                    await self._append(playlist_id, batch)
                    break
                except ProviderError as error:
                    if error.verdict.outcome not in ("server_error", "timeout"):
                        raise
                    if attempt + 1 == self.write_attempts:
                        raise
                    # The batch may have landed although its answer did not. (A playlist
                    # that already ended with exactly these tracks reads as landed too:
                    # the sync never appends a run of tracks the target already ends with.)
                    if await self.playlist_tail(playlist_id, len(batch)) == list(batch):
                        break

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """One append call of at most ``write_batch`` tracks."""
        raise self._unsupported(Capability.ADD_ITEMS)

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        """The ids of the last ``count`` tracks of a playlist."""
        raise self._unsupported(Capability.READ_PLAYLISTS)

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.REMOVE_ITEMS)

    async def like(self, track_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.LIKE)

    async def unlike(self, track_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.UNLIKE)

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        raise self._unsupported(Capability.SEARCH)

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        raise self._unsupported(Capability.ISRC_LOOKUP)

    async def track(self, track_id: str) -> Track | None:
        """One track's full record, or None if the provider has no such track."""
        raise self._unsupported(Capability.SEARCH)
