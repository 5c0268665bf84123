"""Deezer: the public catalog without an account (search, ISRC look-up), and a user's
library with an access token from a legacy app (Deezer closed new app registration in 2024).

The token travels as the ``access_token`` query parameter, and Deezer copies it into its
``next`` paging URLs; we page by ``index`` ourselves and never log URLs with queries.
Errors arrive as HTTP 200 with an ``error`` object (``domain.limits.classify_deezer``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Annotated, Any, ClassVar

import msgspec

from services.connectors.adapters.cache import LookupCache
from services.connectors.adapters.http import ProviderError, ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Page,
    PlaylistInfo,
    Profile,
    Provider,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.domain.limits import Bucket, Verdict, classify_deezer
from services.connectors.domain.providers import (
    LIBRARY_SETS,
    STREAMING_SERVICE,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

#: Deezer counts 50 requests per 5 seconds (per IP, as far as anyone can tell).
DEEZER_BUCKET = Bucket("deezer:ip", capacity=50, per_second=10)
PAGE_SIZE = 100
#: Track ids per playlist write; Deezer does not publish its limit.
WRITE_BATCH = 100
LOOKUP_TTL_S = 7 * 86400.0


INFO = ProviderInfo(
    "deezer",
    "Deezer",
    (*STREAMING_SERVICE, *LIBRARY_SETS),
    AuthStrategy.OAUTH_SECRET,
)


class DeezerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``DEEZER``.

    Attributes:
        api_url: Deezer's API (an emulator's in tests).
        connect_url: Deezer's consent pages and token endpoint.
        calls_per_5s: Deezer's allowance per 5 seconds (50, as documented by users).
        page_size: Items asked for per page of a list (a size it refuses is halved and
            remembered).
    """

    api_url: str = "https://api.deezer.com"
    connect_url: str = "https://connect.deezer.com"
    calls_per_5s: int = 50
    page_size: Annotated[int, msgspec.Meta(ge=1, le=2000)] = PAGE_SIZE


def track_from_deezer(item: Mapping[str, Any]) -> Track:
    """A Deezer track object as a provider-neutral track."""
    artist = item.get("artist") or {}
    album = item.get("album") or {}
    names = [artist.get("name")] if artist.get("name") else []
    names += [c.get("name") for c in item.get("contributors") or [] if c.get("name")]
    artists = tuple(dict.fromkeys(n for n in names if isinstance(n, str)))
    covers = [album.get(key) for key in ("cover_xl", "cover_big", "cover_medium")]
    duration = item.get("duration")
    return Track(
        title=str(item.get("title") or item.get("title_short") or ""),
        artists=artists,
        album=album.get("title"),
        album_artists=(artist["name"],) if artist.get("name") else (),
        track_number=item.get("track_position"),
        disc_number=item.get("disk_number"),
        duration_ms=int(duration) * 1000 if isinstance(duration, int | float) else None,
        isrc=item.get("isrc"),
        explicit=item.get("explicit_lyrics"),
        release_date=item.get("release_date") or album.get("release_date"),
        artwork_urls=tuple(url for url in covers if isinstance(url, str)),
        provider="deezer",
        provider_id=str(item["id"]) if item.get("id") is not None else None,
    )


def _covers(item: Mapping[str, Any], prefix: str) -> tuple[str, ...]:
    found = [item.get(f"{prefix}_{size}") for size in ("xl", "big", "medium")]
    return tuple(url for url in found if isinstance(url, str))


def album_from_deezer(item: Mapping[str, Any]) -> AlbumInfo:
    """A Deezer album object (a listing's, a search's or the full record) as an album;
    only the full record has its ``upc``."""
    artist = (item.get("artist") or {}).get("name")
    upc = item.get("upc")
    return AlbumInfo(
        "deezer",
        str(item["id"]),
        str(item.get("title") or ""),
        (artist,) if artist else (),
        item.get("nb_tracks"),
        item.get("release_date"),
        _covers(item, "cover"),
        str(upc) if upc else None,
    )


def artist_from_deezer(item: Mapping[str, Any]) -> ArtistInfo:
    """A Deezer artist object as a followed artist."""
    return ArtistInfo(
        "deezer", str(item["id"]), str(item.get("name") or ""), _covers(item, "picture")
    )


def search_query(track: Track) -> str:
    """Deezer's advanced search: ``artist:"…" track:"…"`` (quotes inside are dropped; an
    empty title searches by artist alone)."""
    parts = [f'track:"{_unquoted(track.title)}"'] if track.title.strip() else []
    if track.artists:
        parts.insert(0, f'artist:"{_unquoted(track.artists[0])}"')
    return " ".join(parts)


def _unquoted(text: str) -> str:
    return text.replace('"', " ").strip()


class DeezerProvider(Provider):
    """Deezer's public API, and a user's library when a token is given."""

    name: ClassVar[str] = "deezer"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    write_batch: ClassVar[int] = WRITE_BATCH
    page_size = PAGE_SIZE

    def __init__(
        self,
        http: ProviderHttp,
        cache: LookupCache,
        access_token: str | None = None,
        bucket: Bucket = DEEZER_BUCKET,
    ) -> None:
        self.http = http
        self.cache = cache
        self._token = access_token
        self._buckets = [bucket]

    async def _get(self, path: str, endpoint: str, **params: Any) -> Any:
        if self._token:
            params["access_token"] = self._token
        return await self.http.call(
            "GET", path, endpoint=endpoint, params=params, buckets=self._buckets
        )

    async def _write(
        self, method: str, path: str, endpoint: str, idempotent: bool = False, **params: Any
    ) -> Any:
        if not self._token:
            raise ProviderError(self.name, endpoint, _needs_account(), NEEDS_ACCOUNT)
        params["access_token"] = self._token
        return await self.http.call(
            method,
            path,
            endpoint=endpoint,
            params=params,
            buckets=self._buckets,
            idempotent=idempotent,
        )

    def _pages(self, path: str, endpoint: str) -> AsyncIterator[Mapping[str, Any]]:
        async def page(index: int, size: int) -> Page[Mapping[str, Any]]:
            found = await self._get(path, endpoint, index=index, limit=size)
            if not isinstance(found, Mapping):
                return Page([])
            total = found.get("total")
            return Page(
                found.get("data") or [],
                total if isinstance(total, int) else None,
                more=bool(found.get("next")),
            )

        return self._offset_pages(endpoint, page)

    async def profile(self) -> Profile:
        me = await self._get("/user/me", "user_me")
        return Profile(self.name, str(me["id"]), me.get("name"))

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        me = await self.profile()
        async for item in self._pages("/user/me/playlists", "user_playlists"):
            creator = (item.get("creator") or {}).get("id")
            yield PlaylistInfo(
                self.name,
                str(item["id"]),
                str(item.get("title") or ""),
                item.get("nb_tracks"),
                owned=creator is None or str(creator) == me.account_id,
                snapshot=item.get("checksum"),
            )

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        async for item in self._pages(f"/playlist/{int(playlist_id)}/tracks", "playlist_tracks"):
            yield track_from_deezer(item)

    async def liked_tracks(self) -> AsyncIterator[Track]:
        async for item in self._pages("/user/me/tracks", "user_tracks"):
            yield track_from_deezer(item)

    async def recently_played(self) -> AsyncIterator[Track]:
        async for item in self._pages("/user/me/history", "user_history"):
            yield track_from_deezer(item)

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        async for item in self._pages("/user/me/albums", "user_albums"):
            yield album_from_deezer(item)

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        async for item in self._pages("/user/me/artists", "user_artists"):
            yield artist_from_deezer(item)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        for album_id in album_ids:  # one album per call; saving it again changes nothing
            await self._write(
                "POST", "/user/me/albums", "save_album", idempotent=True, album_id=int(album_id)
            )

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        for album_id in album_ids:
            await self._write(
                "DELETE",
                "/user/me/albums",
                "unsave_album",
                idempotent=True,
                album_id=int(album_id),
            )

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        for artist_id in artist_ids:
            await self._write(
                "POST", "/user/me/artists", "follow", idempotent=True, artist_id=int(artist_id)
            )

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        for artist_id in artist_ids:
            await self._write(
                "DELETE", "/user/me/artists", "unfollow", idempotent=True, artist_id=int(artist_id)
            )

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        parts = [f'album:"{_unquoted(query.title)}"'] if query.title.strip() else []
        if query.artists:
            parts.insert(0, f'artist:"{_unquoted(query.artists[0])}"')
        page = await self._get("/search/album", "search_album", q=" ".join(parts), limit=limit)
        items = (page.get("data") or [])[:limit] if isinstance(page, Mapping) else []
        return [album_from_deezer(item).record() for item in items if item.get("id")]

    async def lookup_upc(self, upc: str) -> list[Track]:
        upc = upc.strip()
        if not upc.isdigit():
            return []
        try:
            item = await self._get(f"/album/upc:{upc}", "album_upc")
        except ProviderError as error:
            if error.verdict.outcome != "not_found":
                raise
            return []
        if not isinstance(item, Mapping) or not item.get("id"):
            return []
        return [album_from_deezer(item).record()]

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # One page of its albums (a listing: no UPC, which only an album's full record has).
        if not artist_id.isdigit():
            return []
        page = await self._get(f"/artist/{artist_id}/albums", "artist_albums", limit=limit)
        items = (page.get("data") or [])[:limit] if isinstance(page, Mapping) else []
        return [
            ArtistAlbum(
                title=str(item.get("title") or ""),
                release_date=item.get("release_date"),
                upc=str(item["upc"]) if item.get("upc") else None,
            )
            for item in items
            if isinstance(item, Mapping)
        ]

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        page = await self._get("/search/artist", "search_artist", q=query.title, limit=limit)
        items = (page.get("data") or [])[:limit] if isinstance(page, Mapping) else []
        return [artist_from_deezer(item).record() for item in items if item.get("id")]

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        # Deezer takes the whole new order in one call; sending it twice changes nothing.
        await self._write(
            "POST",
            f"/playlist/{int(playlist_id)}/tracks",
            "playlist_reorder",
            idempotent=True,
            order=",".join(str(int(t)) for t in order),
        )

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        created = await self._write("POST", "/user/me/playlists", "create_playlist", title=name)
        return PlaylistInfo(self.name, str(created["id"]), name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        songs = ",".join(str(int(t)) for t in track_ids)
        await self._write(
            "POST", f"/playlist/{int(playlist_id)}/tracks", "playlist_add", songs=songs
        )

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        path = f"/playlist/{int(playlist_id)}/tracks"
        first = await self._get(path, "playlist_tracks", index=0, limit=1)
        total = int(first.get("total") or 0) if isinstance(first, Mapping) else 0
        page = await self._get(path, "playlist_tracks", index=max(0, total - count), limit=count)
        items = page.get("data") or [] if isinstance(page, Mapping) else []
        return [str(item["id"]) for item in items]

    async def _remove(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._write(
            "DELETE",
            f"/playlist/{int(playlist_id)}/tracks",
            "playlist_remove",
            songs=",".join(str(int(t)) for t in track_ids),
        )

    async def like(self, track_ids: Sequence[str]) -> None:
        for track_id in track_ids:  # Deezer takes one track per call
            # A like is a set membership: repeating it changes nothing.
            await self._write(
                "POST", "/user/me/tracks", "like", idempotent=True, track_id=int(track_id)
            )

    async def unlike(self, track_ids: Sequence[str]) -> None:
        for track_id in track_ids:
            await self._write(
                "DELETE", "/user/me/tracks", "unlike", idempotent=True, track_id=int(track_id)
            )

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        q = search_query(query)
        key = f"deezer:search:{limit}:{q}"
        cached = await self.cache.get(key)
        if cached is not None:
            return [track_from_deezer(item) for item in json.loads(cached)]
        page = await self._get("/search", "search", q=q, limit=limit)
        items = (page.get("data") or [])[:limit] if isinstance(page, Mapping) else []
        await self.cache.put(key, json.dumps(items).encode(), LOOKUP_TTL_S)
        return [track_from_deezer(item) for item in items]

    async def track(self, track_id: str) -> Track | None:
        # Search results leave out the album numbering; the track itself has it.
        if not track_id.isdigit():
            return None
        try:
            item = await self._get(f"/track/{track_id}", "track")
        except ProviderError as error:
            if error.verdict.outcome != "not_found":
                raise
            return None
        if not isinstance(item, Mapping):
            return None
        return await self._with_release(track_from_deezer(item), item.get("album"))

    async def _with_release(self, track: Track, album: Any) -> Track:
        """The track with its release's label and numbering totals, which only the album
        knows: its record (label, track count) and its last track (the disc count)."""
        album_id = album.get("id") if isinstance(album, Mapping) else None
        if not isinstance(album_id, int):
            return track
        try:
            record = await self._get(f"/album/{album_id}", "album")
            total = record.get("nb_tracks") if isinstance(record, Mapping) else None
            last: Any = None
            if isinstance(total, int) and total > 0:
                page = await self._get(
                    f"/album/{album_id}/tracks", "album_tracks", index=total - 1, limit=1
                )
                last = next(iter(page.get("data") or []), None)
        except ProviderError:
            return track  # the track is still the right one without them
        label = record.get("label") if isinstance(record, Mapping) else None
        discs = last.get("disk_number") if isinstance(last, Mapping) else None
        return msgspec.structs.replace(
            track,
            track_total=total if isinstance(total, int) and total > 0 else None,
            disc_total=discs if isinstance(discs, int) and discs > 0 else None,
            label=label if isinstance(label, str) and label.strip() else None,
        )

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        isrc = isrc.replace("-", "").upper()
        if not isrc.isalnum() or len(isrc) != 12:
            return []
        key = f"deezer:isrc:{isrc}"
        cached = await self.cache.get(key)
        if cached is not None:
            return [track_from_deezer(item) for item in json.loads(cached)]
        try:
            item = await self._get(f"/track/isrc:{isrc}", "track_isrc")
            items = [item]
        except ProviderError as error:
            if error.verdict.outcome != "not_found":
                raise
            items = []
        await self.cache.put(key, json.dumps(items).encode(), LOOKUP_TTL_S)
        return [track_from_deezer(i) for i in items]


NEEDS_ACCOUNT = "this needs a Deezer account connection: connect one with its access token"


def _needs_account() -> Verdict:
    return Verdict("unauthorized", None, NEEDS_ACCOUNT)


def _catalog(
    building: Building, settings: DeezerSettings, token: str | None = None
) -> DeezerProvider:
    allowance = float(settings.calls_per_5s)
    return DeezerProvider(
        building.http("deezer", settings.api_url),
        building.cache,
        token,
        # Deezer counts per address: every connection shares one allowance.
        Bucket("deezer:ip", capacity=allowance, per_second=allowance / 5),
    )


def build(building: Building, record: ConnectionRecord, settings: DeezerSettings) -> Provider:
    """One connection's library, through its access token."""
    return _catalog(building, settings, building.tokens(record).access_token)


def catalog(building: Building, settings: DeezerSettings) -> Provider:
    """Deezer's public catalog: search and ISRC look-ups need no account."""
    return _catalog(building, settings)


SPEC = ProviderSpec(INFO, DeezerSettings, build, classify_deezer, catalog)
