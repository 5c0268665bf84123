"""Spotify with the 2026 development-mode rules.

Endpoints: ``/me/playlists``, ``/playlists/{id}/items`` (the old ``/tracks`` is gone),
``/me/tracks`` to read liked songs and ``/me/library`` to save or remove them (40 URIs a
call), search with at most 10 results and the ``isrc:`` filter, ``snapshot_id`` kept from
every playlist change. Tokens: refreshed before they expire and once on a 401; refresh
tokens are single-use under PKCE, so every new one is handed to ``on_rotate`` to be
stored; a refused refresh (``invalid_grant``: consent older than six months, or revoked)
raises ``NeedsReauthorisation`` for the user to see.

spotipy is not used: it is synchronous, and its own 429 handling can neither share our
Redis token buckets nor tell ``QUOTA_EXCEEDED`` from a rate limit.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from services.connectors.adapters.http import ProviderHttp, Unauthorized
from services.connectors.adapters.provider import (
    AlbumInfo,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.domain.limits import Bucket
from services.connectors.domain.ordering import moves
from services.connectors.domain.providers import PROVIDERS, Capability
from services.kernel.contracts import Track

PAGE_SIZE = 50
ADD_BATCH = 100
LIBRARY_BATCH = 40
SEARCH_LIMIT = 10
#: Refresh this long before the access token's announced expiry.
REFRESH_MARGIN_S = 60.0


class NeedsReauthorisation(Exception):
    """The user must connect the account again (the provider refused the refresh token)."""


@dataclass
class SpotifyToken:
    """A connection's current tokens (plaintext only in memory)."""

    access_token: str
    refresh_token: str | None
    expires_at: float


class SpotifyAuth:
    """Keeps an access token fresh for one connection."""

    def __init__(
        self,
        accounts_url: str,
        client_id: str,
        token: SpotifyToken,
        on_rotate: Callable[[SpotifyToken], Awaitable[None]],
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.client_id = client_id
        self.token = token
        self.on_rotate = on_rotate
        self.clock = clock
        self._client = client or httpx.AsyncClient(base_url=accounts_url, timeout=20)

    async def bearer(self) -> str:
        """An access token that is valid now, refreshed first if it is about to expire."""
        if self.token.expires_at - REFRESH_MARGIN_S <= self.clock():
            await self.refresh()
        return self.token.access_token

    async def refresh(self) -> None:
        """Trade the refresh token for new tokens, and have the new ones stored."""
        if not self.token.refresh_token:
            raise NeedsReauthorisation("Spotify gave no refresh token; connect the account again")
        response = await self._client.post(
            "/api/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.token.refresh_token,
                "client_id": self.client_id,
            },
        )
        body = response.json() if response.content else {}
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise NeedsReauthorisation(
                "Spotify no longer accepts this connection (consent expired after six months, "
                "or access was revoked): connect the account again"
            )
        response.raise_for_status()
        self.token = SpotifyToken(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or self.token.refresh_token,
            expires_at=self.clock() + float(body.get("expires_in", 3600)),
        )
        await self.on_rotate(self.token)

    async def close(self) -> None:
        await self._client.aclose()


def track_from_spotify(item: Mapping[str, Any]) -> Track:
    """A Spotify track object as a provider-neutral track."""
    album = item.get("album") or {}
    images = sorted(album.get("images") or [], key=lambda i: -(i.get("width") or 0))
    return Track(
        title=str(item.get("name") or ""),
        artists=tuple(a["name"] for a in item.get("artists") or [] if a.get("name")),
        album=album.get("name"),
        album_artists=tuple(a["name"] for a in album.get("artists") or [] if a.get("name")),
        track_number=item.get("track_number"),
        disc_number=item.get("disc_number"),
        duration_ms=item.get("duration_ms"),
        isrc=(item.get("external_ids") or {}).get("isrc"),
        explicit=item.get("explicit"),
        release_date=album.get("release_date"),
        artwork_urls=tuple(i["url"] for i in images if i.get("url")),
        provider="spotify",
        provider_id=item.get("id"),
    )


def _uri(track_id: str) -> str:
    return track_id if track_id.startswith("spotify:") else f"spotify:track:{track_id}"


def _search_text(text: str) -> str:
    return text.replace('"', " ").strip()


class SpotifyProvider(Provider):
    """A user's Spotify account, through one development-mode app."""

    name: ClassVar[str] = "spotify"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        next(p for p in PROVIDERS if p.name == "spotify").capabilities
    )
    write_batch: ClassVar[int] = ADD_BATCH

    def __init__(self, http: ProviderHttp, auth: SpotifyAuth, buckets: Sequence[Bucket]):
        self.http = http
        self.auth = auth
        self.buckets = list(buckets)
        self.snapshots: dict[str, str] = {}

    async def _call(self, method: str, path: str, endpoint: str, **options: Any) -> Any:
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {await self.auth.bearer()}"}
            try:
                return await self.http.call(
                    method,
                    path,
                    endpoint=endpoint,
                    buckets=self.buckets,
                    headers=headers,
                    **options,
                )
            except Unauthorized:
                if attempt:
                    raise
                await self.auth.refresh()  # once: an expired token is renewed invisibly
        raise AssertionError("unreachable")

    async def _pages(self, path: str, endpoint: str) -> AsyncIterator[Mapping[str, Any]]:
        offset = 0
        while True:
            page = await self._call(
                "GET", path, endpoint, params={"limit": PAGE_SIZE, "offset": offset}
            )
            items = page.get("items") or []
            for item in items:
                yield item
            offset += len(items)
            if not items or not page.get("next") or offset >= int(page.get("total") or 0):
                return

    async def profile(self) -> Profile:
        me = await self._call("GET", "/v1/me", "me")
        # account_id (May 2026) is stable; the old id is the fallback.
        return Profile(self.name, str(me.get("account_id") or me["id"]), me.get("display_name"))

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        me = await self._call("GET", "/v1/me", "me")
        async for item in self._pages("/v1/me/playlists", "my_playlists"):
            count = (item.get("items") or item.get("tracks") or {}).get("total")
            self.snapshots[item["id"]] = item.get("snapshot_id") or ""
            yield PlaylistInfo(
                self.name,
                item["id"],
                str(item.get("name") or ""),
                count,
                owned=(item.get("owner") or {}).get("id") == me.get("id"),
                snapshot=item.get("snapshot_id"),
            )

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        async for entry in self._pages(f"/v1/playlists/{playlist_id}/items", "playlist_items"):
            track = entry.get("item") or entry.get("track")  # renamed in 2026
            if track and track.get("type", "track") == "track" and not entry.get("is_local"):
                yield track_from_spotify(track)

    async def liked_tracks(self) -> AsyncIterator[Track]:
        async for entry in self._pages("/v1/me/tracks", "saved_tracks"):
            if entry.get("track"):
                yield track_from_spotify(entry["track"])

    async def recently_played(self) -> AsyncIterator[Track]:
        # Spotify keeps only the 50 most recent plays.
        page = await self._call(
            "GET", "/v1/me/player/recently-played", "recently_played", params={"limit": PAGE_SIZE}
        )
        for entry in page.get("items") or []:
            if entry.get("track"):
                yield track_from_spotify(entry["track"])

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        async for entry in self._pages("/v1/me/albums", "saved_albums"):
            album = entry.get("album") or {}
            if not album.get("id"):
                continue
            images = sorted(album.get("images") or [], key=lambda i: -(i.get("width") or 0))
            yield AlbumInfo(
                self.name,
                album["id"],
                str(album.get("name") or ""),
                tuple(a["name"] for a in album.get("artists") or [] if a.get("name")),
                album.get("total_tracks"),
                album.get("release_date"),
                tuple(i["url"] for i in images if i.get("url")),
            )

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        current = [t.provider_id or "" async for t in self.playlist_items(playlist_id)]
        for start, before in moves(current, list(order)):
            body: dict[str, Any] = {
                "range_start": start,
                "insert_before": before,
                "range_length": 1,
            }
            if self.snapshots.get(playlist_id):
                body["snapshot_id"] = self.snapshots[playlist_id]
            answer = await self._call(
                "PUT", f"/v1/playlists/{playlist_id}/items", "playlist_reorder", json=body
            )
            self.snapshots[playlist_id] = answer.get("snapshot_id") or ""

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        created = await self._call(
            "POST",
            "/v1/me/playlists",
            "create_playlist",
            json={"name": name, "description": description, "public": False},
        )
        self.snapshots[created["id"]] = created.get("snapshot_id") or ""
        return PlaylistInfo(self.name, created["id"], name, 0, snapshot=created.get("snapshot_id"))

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        answer = await self._call(
            "POST",
            f"/v1/playlists/{playlist_id}/items",
            "playlist_add",
            json={"uris": [_uri(t) for t in track_ids]},
        )
        self.snapshots[playlist_id] = answer.get("snapshot_id") or ""

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        path = f"/v1/playlists/{playlist_id}/items"
        first = await self._call("GET", path, "playlist_items", params={"limit": 1})
        total = int(first.get("total") or 0)
        tail: list[str] = []
        offset = max(0, total - count)
        while offset < total:
            page = await self._call(
                "GET", path, "playlist_items", params={"limit": PAGE_SIZE, "offset": offset}
            )
            entries = page.get("items") or []
            tail += [str((e.get("item") or e.get("track") or {}).get("id")) for e in entries]
            offset += len(entries) or total
        return tail

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        # Removal is by URI (every occurrence): repeating it changes nothing.
        for batch in batches(list(track_ids), ADD_BATCH):
            body: dict[str, Any] = {"items": [{"uri": _uri(t)} for t in batch]}
            if self.snapshots.get(playlist_id):
                body["snapshot_id"] = self.snapshots[playlist_id]
            answer = await self._call(
                "DELETE", f"/v1/playlists/{playlist_id}/items", "playlist_remove", json=body
            )
            self.snapshots[playlist_id] = answer.get("snapshot_id") or ""

    async def like(self, track_ids: Sequence[str]) -> None:
        for batch in batches(list(track_ids), LIBRARY_BATCH):
            await self._call(
                "PUT",
                "/v1/me/library",
                "library_save",
                params={"uris": ",".join(_uri(t) for t in batch)},
            )

    async def unlike(self, track_ids: Sequence[str]) -> None:
        for batch in batches(list(track_ids), LIBRARY_BATCH):
            await self._call(
                "DELETE",
                "/v1/me/library",
                "library_remove",
                params={"uris": ",".join(_uri(t) for t in batch)},
            )

    async def search(self, query: Track, limit: int = SEARCH_LIMIT) -> list[Track]:
        parts = [f'track:"{_search_text(query.title)}"'] if query.title.strip() else []
        if query.artists:
            parts.append(f'artist:"{_search_text(query.artists[0])}"')
        return await self._search(" ".join(parts), limit)

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        isrc = isrc.replace("-", "").upper()
        if not isrc.isalnum() or len(isrc) != 12:
            return []
        return await self._search(f"isrc:{isrc}", SEARCH_LIMIT)

    async def _search(self, q: str, limit: int) -> list[Track]:
        page = await self._call(
            "GET",
            "/v1/search",
            "search",
            params={"q": q, "type": "track", "limit": max(1, min(limit, SEARCH_LIMIT))},
        )
        return [track_from_spotify(t) for t in (page.get("tracks") or {}).get("items") or []]
