"""The provider interface: one protocol for reading, writing, searching and ISRC look-up.

Each provider declares its capabilities and implements what it can; the rest raises
``NotSupported`` with the capability named. Shared work lives here, as in beets' metadata
plugins: paging through a provider's lists, and cutting writes into the provider's
largest allowed batches. A write refused for its size (an adapter's classifier calls it
``too_large``) is sent again in smaller batches, and the size that worked is remembered
for that provider (``WriteLimits``: in memory, and in the store for later runs).

Paging is written here once, in two styles, each an async iterator over a hook that
fetches one page: ``_offset_pages`` for lists addressed by position (Spotify's
``offset``, Deezer's ``index``, Plex's container start, Jellyfin's ``startIndex``,
Subsonic's ``songOffset``), ended by the total, the provider's "more follow" or a short
page; ``_linked_pages`` for lists where each page says where the next is (TIDAL's cursor in
``links.next``, Apple Music's ``next`` link, YouTube Music's continuation tokens). A page
size is an assumption: one the provider refuses is halved, and the size that worked is
remembered per provider and endpoint, like write batches.

A refused token is handled here once too (``_authorised``): the call is sent with the
keeper's bearer, and on a 401 the keeper renews it (single-flight: one refresh however
many calls saw the 401, the others take its result) and the call is sent once more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, Generic, Protocol, TypeVar

import msgspec

from services.connectors.adapters.http import (
    ProviderError,
    ProviderHttp,
    QuotaExceeded,
    Unauthorized,
)
from services.connectors.domain.limits import Verdict
from services.connectors.domain.operations import smaller_batch
from services.connectors.domain.providers import Capability
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.store import Store

log = logging.getLogger("tunebridge.connectors.provider")

T = TypeVar("T")
C = TypeVar("C")

#: Outcomes that may mean "this page size is more than I give": a 400 or 413 on a list.
PAGE_REFUSED = ("too_large", "client_error")
#: Albums read of one artist to tell it from another of its name (one page's worth).
ARTIST_ALBUMS = 10


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
    upc: str | None = None

    def record(self) -> Track:
        """The album as the record that reads, matching and writes carry."""
        return Track(
            title=self.title,
            artists=self.artists,
            album=self.title,
            album_artists=self.artists,
            track_total=self.track_count or None,
            release_date=self.release_date,
            artwork_urls=self.artwork_urls,
            provider=self.provider,
            provider_id=self.album_id,
            entity="album",
            upc=self.upc or None,
        )


@dataclass(frozen=True)
class ArtistInfo:
    """A followed artist."""

    provider: str
    artist_id: str
    name: str
    artwork_urls: tuple[str, ...] = ()

    def record(self) -> Track:
        """The artist as the record that reads, matching and writes carry."""
        return Track(
            title=self.name,
            artists=(self.name,),
            artwork_urls=self.artwork_urls,
            provider=self.provider,
            provider_id=self.artist_id,
            entity="artist",
        )


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


class TokenKeeper(Protocol):
    """Keeps one connection's (or app's) bearer token fresh."""

    async def bearer(self) -> str:
        """A token valid now (renewed first if it is about to expire)."""
        ...

    async def refresh(self, refused: str | None = None) -> bool | None:
        """Renew the token ``refused`` was refused: once for all callers (single-flight),
        so one who finds it renewed meanwhile takes the new one. False: it cannot be
        renewed here (the refusal stands, and the call is not sent again)."""
        ...


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list addressed by position, as a hook read it.

    Attributes:
        items: What the page holds, in order.
        total: How many the whole list holds, when the provider says.
        more: Whether the provider says more follow (a ``next`` link), when it says.
            With neither, a page shorter than asked is the last.
    """

    items: Sequence[T]
    total: int | None = None
    more: bool | None = None


@dataclass(frozen=True)
class Linked(Generic[T, C]):
    """One page of a list whose pages say where the next one is.

    Attributes:
        items: What the page holds, in order.
        following: Where the next page is (a cursor, a token, an offset from a link);
            None when this was the last.
    """

    items: Sequence[T]
    following: C | None = None


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """Consecutive slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


class Unreadable(Exception):
    """A playlist this account may not read; the message says why, for a person, and
    ``outcome`` how the provider answered (``forbidden`` or ``not_found``)."""

    def __init__(self, message: str, outcome: str = "forbidden") -> None:
        super().__init__(message)
        self.outcome = outcome


class LearnedLimit(msgspec.Struct, kw_only=True):
    """The largest write a provider took, learned from its refusals."""

    write_batch: int
    learned_at: float


class LearnedPage(msgspec.Struct, kw_only=True):
    """The largest page a provider gave on one endpoint, learned from its refusals."""

    page_size: int
    learned_at: float


class WriteLimits:
    """Write batch and page sizes learned per provider: shared by every adapter of the
    process, and kept in the connectors' ``operations`` bucket so later runs (and other
    replicas) start with them. Re-learned (one refused call) should the record expire."""

    BUCKET = "operations"

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._sizes: dict[str, int] = {}

    @staticmethod
    def _key(provider: str) -> str:
        return f"limits.{provider}"

    async def write_batch(self, provider: str, default: int) -> int:
        """The batch size to send to ``provider``: what it took before, at most ``default``."""
        if provider not in self._sizes and self.store is not None:
            found = await self.store.get(self.BUCKET, self._key(provider), LearnedLimit)
            if found is not None:
                self._sizes[provider] = found.write_batch
        return min(default, self._sizes.get(provider, default))

    async def page_size(self, provider: str, endpoint: str, default: int) -> int:
        """The page size to ask ``provider`` for on ``endpoint``: at most ``default``."""
        key = f"{self._key(provider)}.page.{endpoint}"
        if key not in self._sizes and self.store is not None:
            found = await self.store.get(self.BUCKET, key, LearnedPage)
            if found is not None:
                self._sizes[key] = found.page_size
        return min(default, self._sizes.get(key, default))

    async def learn_page(self, provider: str, endpoint: str, size: int) -> None:
        """``provider`` refused pages larger than ``size`` on ``endpoint``."""
        key = f"{self._key(provider)}.page.{endpoint}"
        if size >= self._sizes.get(key, size + 1):
            return
        self._sizes[key] = size
        log.info(
            "page size learned", extra={"provider": provider, "endpoint": endpoint, "size": size}
        )
        if self.store is not None:
            await self.store.put(
                self.BUCKET, key, LearnedPage(page_size=size, learned_at=time.time())
            )

    async def learn(self, provider: str, size: int) -> None:
        """``provider`` refused more than ``size`` items in one write."""
        if size >= self._sizes.get(provider, size + 1):
            return
        self._sizes[provider] = size
        log.info("write batch size learned", extra={"provider": provider, "size": size})
        if self.store is not None:
            await self.store.put(
                self.BUCKET,
                self._key(provider),
                LearnedLimit(write_batch=size, learned_at=time.time()),
            )


def explain(shown: str, error: ProviderError) -> str:
    """A refusal of the provider people know as ``shown``, in their words (never the
    provider's body)."""
    outcome = error.verdict.outcome
    if error.ours:
        return error.ours
    if isinstance(error, QuotaExceeded) and error.verdict.retry_after:
        # A wait longer than a run may hold its place (a Retry-After of minutes).
        minutes = max(1, round(error.verdict.retry_after / 60))
        return f"{shown} asked us to wait {minutes} min before trying again; the next run does"
    if outcome == "not_found":
        return f"{shown} no longer has this playlist (it was deleted, or is hidden from this app)"
    if outcome == "forbidden":
        return f"{shown} does not let this app change or read it"
    if outcome == "quota_exceeded":
        return f"this app's {shown} allowance is spent for now; the next run tries again"
    if outcome == "unauthorized":
        return f"{shown} refused the connection's token; connect the account again"
    if outcome == "too_large":
        return f"{shown} refused even one track per request"
    if outcome in ("server_error", "timeout", "rate_limited"):
        return f"{shown} kept failing (it may be down); the next run tries again"
    return f"{shown} refused the request"


class Provider:
    """Base of every provider adapter."""

    name: ClassVar[str]
    #: How people know the service ("YouTube Music"), in every sentence shown to them.
    display_name: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]]
    #: Largest number of items one write call may carry.
    write_batch: ClassVar[int] = 100
    #: Tries of one batch whose outcome stays unknown (each after looking at the target).
    write_attempts: ClassVar[int] = 5
    #: Items asked for per page of a list (an assumption: a refused size is halved).
    page_size: int = 100
    #: Times a call refused for its token is sent again with a renewed one.
    RENEWALS: ClassVar[int] = 3
    #: Shared, learned batch sizes (the connectors give every adapter theirs).
    limits: WriteLimits | None = None

    def _unsupported(self, capability: Capability) -> NotSupported:
        return NotSupported(self.name, capability)

    @property
    def limits_scope(self) -> str:
        """What learned page and batch sizes are kept under: the provider, or for a server
        a person runs (Subsonic, Jellyfin, Plex), that server."""
        http = getattr(self, "http", None)
        return http.limits_scope if isinstance(http, ProviderHttp) else self.name

    @property
    def shown(self) -> str:
        """The service's name as people know it."""
        return self.display_name or self.name.title()

    async def _authorised(self, auth: TokenKeeper, call: Callable[[str], Awaitable[T]]) -> T:
        """``call(bearer)`` with the keeper's token; refused (401), the token is renewed
        (single-flight) and the call sent again, ``RENEWALS`` times at most: a token can
        die sooner than announced, or while its call waits for the rate limit. Refused
        with no renewal possible, or past them, it is raised."""
        for renewals in range(self.RENEWALS + 1):
            bearer = await auth.bearer()
            try:
                return await call(bearer)
            except Unauthorized:
                if renewals == self.RENEWALS or await auth.refresh(refused=bearer) is False:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _sized(
        self, endpoint: str, size: int | None, fetch: Callable[[int], Awaitable[T]]
    ) -> tuple[T, int]:
        """One page fetched with the largest size the provider gives on ``endpoint``: a
        size it refuses is halved until it answers, and remembered once it has (a 400 for
        another reason, refused at every size, teaches nothing)."""
        limits = self.limits or WriteLimits()
        size = await limits.page_size(self.limits_scope, endpoint, size or self.page_size)
        refused = False
        while True:
            try:
                page = await fetch(size)
            except ProviderError as error:
                if error.verdict.outcome not in PAGE_REFUSED or size <= 1:
                    raise
                size, refused = smaller_batch(size), True
                continue
            if refused:
                await limits.learn_page(self.limits_scope, endpoint, size)
            return page, size

    async def _offset_pages(
        self,
        endpoint: str,
        fetch: Callable[[int, int], Awaitable[Page[T]]],
        size: int | None = None,
        start: int = 0,
    ) -> AsyncIterator[T]:
        """Every item of a list addressed by position: ``fetch(offset, size)`` reads one
        page. It ends on an empty page, the provider saying no more follow, the total
        reached (unless the provider says more follow: a total can be stale), or (when it
        says neither) a page shorter than asked.

        A list that ends short of the provider's own total raises ``ProviderError`` once
        its items are given: read as whole, its missing part would look removed, and a
        sync would remove it from the other side."""
        offset = start
        while True:
            page, asked = await self._sized(endpoint, size, partial(fetch, offset))
            for item in page.items:
                yield item
            offset += len(page.items)
            if not page.items or page.more is False:
                break
            if page.more is True:
                continue
            if page.total is not None:
                if offset >= page.total:
                    break
            elif len(page.items) < asked:
                break
        if page.total is not None and offset < page.total:
            raise ProviderError(
                self.name,
                endpoint,
                Verdict("server_error"),
                ours=f"{self.shown} listed {offset} of the {page.total} items it "
                "counts in this list, so it was not synced this run (the next run reads it "
                "again)",
            )

    async def _linked_pages(
        self,
        endpoint: str,
        fetch: Callable[[C | None, int], Awaitable[Linked[T, C]]],
        size: int | None = None,
    ) -> AsyncIterator[T]:
        """Every item of a list whose pages say where the next one is:
        ``fetch(where, size)`` reads one page (``where`` None for the first). Without a
        ``size`` the provider chooses its pages' length (the hook is given 0), and no
        refusal is taken for a size's."""
        where: C | None = None
        while True:
            if size is None:
                page = await fetch(where, 0)
            else:
                page, _ = await self._sized(endpoint, size, partial(fetch, where))
            for item in page.items:
                yield item
            if page.following is None or page.following == where:
                return
            where = page.following

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

    def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        raise self._unsupported(Capability.READ_ARTISTS)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        """Save albums to the library (saving one saved already changes nothing)."""
        raise self._unsupported(Capability.SAVE_ALBUMS)

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.UNSAVE_ALBUMS)

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        """Follow artists (following one followed already changes nothing)."""
        raise self._unsupported(Capability.FOLLOW_ARTISTS)

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.UNFOLLOW_ARTISTS)

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        """Albums of the catalog like ``query`` (an album record), as album records."""
        raise self._unsupported(Capability.SEARCH)

    async def lookup_upc(self, upc: str) -> list[Track]:
        """The catalog's album with this UPC (none where it has no such album)."""
        return []

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        """Artists of the catalog named like ``query`` (an artist record)."""
        raise self._unsupported(Capability.SEARCH)

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        """The adapter's hook: one call's worth of an artist's albums (where it has none,
        the artist simply has no albums to tell it apart by)."""
        raise self._unsupported(Capability.SEARCH)

    async def artist_albums(self, artist: Track, limit: int = ARTIST_ALBUMS) -> Track:
        """``artist`` (an artist record of this provider) with a few of its albums
        (title, year, UPC where given) in ``albums``: what tells it from another of its
        name. Left as it is when the provider cannot list them."""
        if artist.entity != "artist" or not artist.provider_id:
            return artist
        try:
            found = await self._artist_albums(artist.provider_id, limit)
        except NotSupported:
            return artist
        albums = tuple(dict.fromkeys(a for a in found if a.title.strip()))[:limit]
        return msgspec.structs.replace(artist, albums=albums)

    async def search_releases(self, query: Track, limit: int = 10) -> list[Track]:
        """Albums or artists like ``query`` (a record of that ``entity``): an album by
        its UPC where the catalog knows it, else by title and artist; an artist by name.
        What a move looks for, and what a person's search for another one finds."""
        if query.entity == "artist":
            return await self.search_artists(query, limit)
        found = await self.lookup_upc(query.upc) if query.upc else []
        return found[:limit] or await self.search_albums(query, limit)

    def library(self) -> AsyncIterator[Track]:
        """Every track of a media server's music library."""
        raise self._unsupported(Capability.SCAN_LIBRARY)

    async def start_scan(self) -> None:
        """Ask a media server to scan its folders for files that came or went."""
        raise self._unsupported(Capability.SCAN_LIBRARY)

    async def scanning(self) -> bool:
        """Whether the server is scanning its folders now."""
        raise self._unsupported(Capability.SCAN_LIBRARY)

    async def rescan(self, poll_s: float = 0.5, within_s: float = 600.0) -> bool:
        """Have the server scan and wait until it says it is done; False if it was still
        scanning after ``within_s``."""
        await self.start_scan()
        deadline = time.monotonic() + within_s
        while await self.scanning():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(poll_s)
        return True

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        """Put a playlist's tracks in ``order`` (the ids it holds, each once)."""
        raise self._unsupported(Capability.REORDER_ITEMS)

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        raise self._unsupported(Capability.CREATE_PLAYLIST)

    @property
    def notes(self) -> list[str]:
        """What a person should know about the writes this adapter made (smaller
        batches, say)."""
        found: list[str] = self.__dict__.setdefault("_notes", [])
        return found

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    async def _batched(
        self,
        items: Sequence[str],
        send: Callable[[Sequence[str]], Awaitable[None]],
        sent: Callable[[int], Awaitable[None]] | None = None,
        *,
        call: str = "",
        largest: int | None = None,
        noun: str = "tracks",
    ) -> None:
        """Send ``items`` in the largest batches the provider takes, in order: a batch
        refused for its size is cut smaller and sent again (it was not carried out), and
        the size that worked is remembered for that ``call`` (each kind of write has its
        own limit; "": adding to a playlist), starting at ``largest`` (the adapter's
        ``write_batch``). ``sent`` hears how many went through."""
        limits = self.limits or WriteLimits()
        key = f"{self.limits_scope}.{call}" if call else self.limits_scope
        size = await limits.write_batch(key, largest or self.write_batch)
        refused_at: int | None = None
        done = 0
        while done < len(items):
            batch = items[done : done + size]
            try:
                await send(batch)
            except ProviderError as error:
                if error.verdict.outcome != "too_large" or len(batch) <= 1:
                    raise
                refused_at = len(batch)
                size = smaller_batch(len(batch))
                continue
            if refused_at is not None and len(batch) == size:
                await limits.learn(key, size)  # once a smaller batch has gone through
            done += len(batch)
            if sent is not None:
                await sent(done)
        if refused_at is not None:
            self._note(
                f"{self.shown} refused {refused_at} {noun} per request; sent {size} at a time"
            )

    async def add_items(
        self,
        playlist_id: str,
        track_ids: Sequence[str],
        sent: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """Append tracks in the provider's largest batches, in order, never one twice: a
        batch whose fate is unknown (server error, timeout) is looked for before it is
        sent again. ``sent`` hears how many of ``track_ids`` are confirmed so far."""
        if Capability.ADD_ITEMS not in self.capabilities:
            raise self._unsupported(Capability.ADD_ITEMS)

        async def append(batch: Sequence[str]) -> None:
            for attempt in range(self.write_attempts):
                try:
                    await self._append(playlist_id, batch)
                    return
                except ProviderError as error:
                    if error.verdict.outcome not in ("server_error", "timeout"):
                        raise
                    if attempt + 1 == self.write_attempts:
                        raise
                    # The batch may have landed although its answer did not. (A playlist
                    # that already ended with exactly these tracks reads as landed too:
                    # the sync never appends a run of tracks the target already ends with.)
                    if await self.playlist_tail(playlist_id, len(batch)) == list(batch):
                        return

        await self._batched(list(track_ids), append, sent)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """One append call of at most ``write_batch`` tracks."""
        raise self._unsupported(Capability.ADD_ITEMS)

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        """The ids of the last ``count`` tracks of a playlist."""
        raise self._unsupported(Capability.READ_PLAYLISTS)

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Remove tracks in the provider's largest batches (removing is by id, so a
        repeated batch changes nothing)."""
        if Capability.REMOVE_ITEMS not in self.capabilities:
            raise self._unsupported(Capability.REMOVE_ITEMS)
        await self._batched(
            list(track_ids), lambda batch: self._remove(playlist_id, batch), call="remove"
        )

    async def _remove(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """One removal call of at most ``write_batch`` tracks."""
        raise self._unsupported(Capability.REMOVE_ITEMS)

    async def like(self, track_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.LIKE)

    async def unlike(self, track_ids: Sequence[str]) -> None:
        raise self._unsupported(Capability.UNLIKE)

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        raise self._unsupported(Capability.SEARCH)

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        raise self._unsupported(Capability.ISRC_LOOKUP)

    async def prefetch_isrcs(self, isrcs: Sequence[str]) -> None:
        """Look many ISRCs up ahead, where the provider takes several in one call (Apple
        Music): ``lookup_isrc`` then answers from what was fetched. Others do nothing."""

    async def track(self, track_id: str) -> Track | None:
        """One track's full record, or None if the provider has no such track."""
        raise self._unsupported(Capability.SEARCH)
