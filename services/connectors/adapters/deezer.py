"""Deezer: the public catalog without an account (search, ISRC look-up), and a user's
library with an access token from a legacy app (Deezer closed new app registration in 2024).

The token travels as the ``access_token`` query parameter, and Deezer copies it into its
``next`` paging URLs; we page by ``index`` ourselves and never log URLs with queries.
Errors arrive as HTTP 200 with an ``error`` object (``domain.limits.classify_deezer``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from services.connectors.adapters.cache import LookupCache
from services.connectors.adapters.http import ProviderError, ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.domain.limits import Bucket, Verdict
from services.connectors.domain.providers import PROVIDERS, Capability
from services.kernel.contracts import Track

#: Deezer counts 50 requests per 5 seconds (per IP, as far as anyone can tell).
DEEZER_BUCKET = Bucket("deezer:ip", capacity=50, per_second=10)
PAGE_SIZE = 100
#: Track ids per playlist write; Deezer does not publish its limit.
WRITE_BATCH = 100
LOOKUP_TTL_S = 7 * 86400.0


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
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        next(p for p in PROVIDERS if p.name == "deezer").capabilities
    )
    write_batch: ClassVar[int] = WRITE_BATCH

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
            raise ProviderError(self.name, endpoint, _needs_account())
        params["access_token"] = self._token
        return await self.http.call(
            method,
            path,
            endpoint=endpoint,
            params=params,
            buckets=self._buckets,
            idempotent=idempotent,
        )

    async def _pages(self, path: str, endpoint: str) -> AsyncIterator[Mapping[str, Any]]:
        index = 0
        while True:
            page = await self._get(path, endpoint, index=index, limit=PAGE_SIZE)
            items = page.get("data") or [] if isinstance(page, Mapping) else []
            for item in items:
                yield item
            total = page.get("total") if isinstance(page, Mapping) else None
            index += len(items)
            if not items or not page.get("next") or (isinstance(total, int) and index >= total):
                return

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
            artist = (item.get("artist") or {}).get("name")
            covers = [item.get(k) for k in ("cover_xl", "cover_big", "cover_medium")]
            yield AlbumInfo(
                self.name,
                str(item["id"]),
                str(item.get("title") or ""),
                (artist,) if artist else (),
                item.get("nb_tracks"),
                item.get("release_date"),
                tuple(url for url in covers if isinstance(url, str)),
            )

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

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        for batch in batches(list(track_ids), self.write_batch):
            await self._write(
                "DELETE",
                f"/playlist/{int(playlist_id)}/tracks",
                "playlist_remove",
                songs=",".join(str(int(t)) for t in batch),
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
        return track_from_deezer(item) if isinstance(item, Mapping) else None

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


def _needs_account() -> Verdict:
    return Verdict("unauthorized", None, "this needs a Deezer account connection")
