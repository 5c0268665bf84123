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

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import httpx
import msgspec

from services.connectors.adapters.http import ProviderError, ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Linked,
    Page,
    PlaylistInfo,
    Profile,
    Provider,
    Unreadable,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.domain.limits import Bucket, classify_spotify
from services.connectors.domain.ordering import moves
from services.connectors.domain.providers import (
    LIBRARY_SETS,
    STREAMING_SERVICE,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

PAGE_SIZE = 50
ADD_BATCH = 100
LIBRARY_BATCH = 40
#: Artist ids per follow or unfollow call (``/me/following`` takes at most 50).
FOLLOW_BATCH = 50
SEARCH_LIMIT = 10
#: Refresh this long before the access token's announced expiry.
REFRESH_MARGIN_S = 60.0


INFO = ProviderInfo(
    "spotify",
    "Spotify",
    (*STREAMING_SERVICE, *LIBRARY_SETS),
    AuthStrategy.OAUTH_PKCE,
)


class SpotifySettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``SPOTIFY``.

    Attributes:
        api_url: The Web API (an emulator's in tests).
        accounts_url: Where consent and tokens are (an emulator's in tests).
        client_id: The installation's own Spotify app, for users who bring none.
        calls_per_30s: This app's allowance per rolling 30 seconds (unpublished; a guess).
        page_size: Items asked for per page of a list (Spotify gives at most 50; a size it
            refuses is halved and remembered).
    """

    api_url: str = "https://api.spotify.com"
    accounts_url: str = "https://accounts.spotify.com"
    client_id: str | None = None
    calls_per_30s: int = 150
    page_size: Annotated[int, msgspec.Meta(ge=1, le=PAGE_SIZE)] = PAGE_SIZE


class NeedsReauthorisation(Exception):
    """The user must connect the account again (the provider refused the refresh token)."""


def refresh_margin(lifetime_s: float) -> float:
    """How long before expiry a token is renewed: a minute, or a tenth of the life of a
    shorter-lived token (a margin longer than the life would renew on every call)."""
    return min(REFRESH_MARGIN_S, max(0.0, lifetime_s) / 10)


@dataclass
class SpotifyToken:
    """A connection's current tokens (plaintext only in memory).

    Attributes:
        lifetime_s: How long the access token was given for (``expires_in``).
    """

    access_token: str
    refresh_token: str | None
    expires_at: float
    lifetime_s: float = 3600.0

    def due(self, now: float) -> bool:
        """True when the access token should be renewed before it is used."""
        return self.expires_at - refresh_margin(self.lifetime_s) <= now


#: Renews a connection's tokens once for all its callers: given the access token the
#: caller found stale and the trade to make, returns the connection's current tokens
#: (renewed by this caller, or by another meanwhile).
RefreshFlight = Callable[
    [str, Callable[[SpotifyToken], Awaitable[SpotifyToken]]], Awaitable[SpotifyToken]
]


class SpotifyAuth:
    """Keeps an access token fresh for one connection.

    Refresh tokens are single-use: two refreshes at once would spend one token twice and
    lose the connection. With a ``flight`` (the connectors give one per connection) one
    refresh runs at a time, and whoever waited takes its result.
    """

    def __init__(
        self,
        accounts_url: str,
        client_id: str,
        token: SpotifyToken,
        on_rotate: Callable[[SpotifyToken], Awaitable[None]],
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
        flight: RefreshFlight | None = None,
        token_path: str = "/api/token",
        shown: str = "Spotify",
    ) -> None:
        """``token_path`` and ``shown``: another provider's refresh-token grant (TIDAL's)."""
        self.token_path = token_path
        self.shown = shown
        self.client_id = client_id
        self.token = token
        self.on_rotate = on_rotate
        self.clock = clock
        self.flight = flight
        self._client = client or httpx.AsyncClient(base_url=accounts_url, timeout=20)
        self._renewing = asyncio.Lock()

    async def bearer(self) -> str:
        """An access token that is valid now, refreshed first if it is about to expire."""
        if self.token.due(self.clock()):
            await self.refresh(refused=self.token.access_token)
        return self.token.access_token

    async def refresh(self, refused: str | None = None) -> None:
        """Renew the tokens (``refused``: the access token found stale or refused), once
        however many callers ask at the same time: the flight (per connection, across
        replicas), or this keeper's own lock, lets one refresh and the others take it."""
        if self.flight is not None:
            self.token = await self.flight(refused or self.token.access_token, self.trade)
            return
        async with self._renewing:
            token = self.token
            if refused and token.access_token != refused and not token.due(self.clock()):
                return  # renewed meanwhile by a caller that saw the same refusal
            self.token = await self.trade(token)
            await self.on_rotate(self.token)

    async def trade(self, token: SpotifyToken) -> SpotifyToken:
        """Trade ``token``'s refresh token for new tokens."""
        if not token.refresh_token:
            raise NeedsReauthorisation(
                f"{self.shown} gave no refresh token; connect the account again"
            )
        response = await self._client.post(
            self.token_path,
            data={
                "grant_type": "refresh_token",
                "refresh_token": token.refresh_token,
                "client_id": self.client_id,
            },
        )
        body = response.json() if response.content else {}
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise NeedsReauthorisation(
                f"{self.shown} no longer accepts this connection (consent expired, "
                "or access was revoked): connect the account again"
            )
        response.raise_for_status()
        lifetime = float(body.get("expires_in", 3600))
        return SpotifyToken(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or token.refresh_token,
            expires_at=self.clock() + lifetime,
            lifetime_s=lifetime,
        )

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
        # Even the short album record a track carries has this (the label it does not have).
        track_total=album.get("total_tracks") or None,
    )


def _images(item: Mapping[str, Any]) -> tuple[str, ...]:
    images = sorted(item.get("images") or [], key=lambda i: -(i.get("width") or 0))
    return tuple(i["url"] for i in images if i.get("url"))


def album_from_spotify(album: Mapping[str, Any], upc: str | None = None) -> AlbumInfo:
    """A Spotify album object (full or simplified) as a saved album: the UPC is in a full
    one's ``external_ids`` (``upc``: the one it was found by, for a simplified one)."""
    return AlbumInfo(
        "spotify",
        str(album["id"]),
        str(album.get("name") or ""),
        tuple(a["name"] for a in album.get("artists") or [] if a.get("name")),
        album.get("total_tracks"),
        album.get("release_date"),
        _images(album),
        (album.get("external_ids") or {}).get("upc") or upc,
    )


def artist_from_spotify(artist: Mapping[str, Any]) -> ArtistInfo:
    """A Spotify artist object as a followed artist."""
    return ArtistInfo("spotify", str(artist["id"]), str(artist.get("name") or ""), _images(artist))


def _uri(track_id: str) -> str:
    return track_id if track_id.startswith("spotify:") else f"spotify:track:{track_id}"


def _search_text(text: str) -> str:
    return text.replace('"', " ").strip()


class SpotifyProvider(Provider):
    """A user's Spotify account, through one development-mode app."""

    name: ClassVar[str] = "spotify"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    write_batch: ClassVar[int] = ADD_BATCH
    page_size = PAGE_SIZE

    def __init__(self, http: ProviderHttp, auth: SpotifyAuth, buckets: Sequence[Bucket]):
        self.http = http
        self.auth = auth
        self.buckets = list(buckets)
        self.snapshots: dict[str, str] = {}

    async def _call(self, method: str, path: str, endpoint: str, **options: Any) -> Any:
        async def send(bearer: str) -> Any:
            return await self.http.call(
                method,
                path,
                endpoint=endpoint,
                buckets=self.buckets,
                headers={"Authorization": f"Bearer {bearer}"},
                **options,
            )

        # An expired token is renewed invisibly (or taken from whoever renewed it).
        return await self._authorised(self.auth, send)

    def _pages(self, path: str, endpoint: str, start: int = 0) -> AsyncIterator[Mapping[str, Any]]:
        async def page(offset: int, size: int) -> Page[Mapping[str, Any]]:
            found = await self._call(
                "GET", path, endpoint, params={"limit": size, "offset": offset}
            )
            return Page(
                found.get("items") or [],
                int(found.get("total") or 0),
                more=bool(found.get("next")),
            )

        return self._offset_pages(endpoint, page, start=start)

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
        pages = self._pages(f"/v1/playlists/{playlist_id}/items", "playlist_items")
        try:
            async for entry in pages:
                track = entry.get("item") or entry.get("track")  # renamed in 2026
                if track and track.get("type", "track") == "track" and not entry.get("is_local"):
                    yield track_from_spotify(track)
        except ProviderError as error:
            # Development-mode apps may read only playlists the user owns or collaborates
            # on: another's playlist answers 403, or 404 as if it did not exist.
            if error.verdict.outcome == "forbidden":
                raise Unreadable(
                    "this playlist belongs to someone else, and Spotify does not let this "
                    "app read it"
                ) from None
            if error.verdict.outcome == "not_found":
                raise Unreadable(
                    "Spotify says this playlist does not exist: it was deleted, or it "
                    "belongs to someone else and Spotify hides it from this app",
                    "not_found",
                ) from None
            raise

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
            if album.get("id"):
                yield album_from_spotify(album)

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        # Followed artists page by cursor: the last artist id read (``cursors.after``).
        async def page(after: str | None, size: int) -> Linked[Mapping[str, Any], str]:
            params: dict[str, Any] = {"type": "artist", "limit": size}
            if after:
                params["after"] = after
            found = await self._call("GET", "/v1/me/following", "followed_artists", params=params)
            artists = found.get("artists") or {}
            following = (artists.get("cursors") or {}).get("after") if artists.get("next") else None
            return Linked(artists.get("items") or [], following)

        async for artist in self._linked_pages("followed_artists", page, PAGE_SIZE):
            if artist.get("id"):
                yield artist_from_spotify(artist)

    async def _library(self, method: str, endpoint: str, uris: Sequence[str], noun: str) -> None:
        # The 2026 library call takes track and album URIs alike (40 a call, assumed).
        async def send(batch: Sequence[str]) -> None:
            await self._call(method, "/v1/me/library", endpoint, params={"uris": ",".join(batch)})

        await self._batched(uris, send, call="library", largest=LIBRARY_BATCH, noun=noun)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        uris = [f"spotify:album:{a}" for a in album_ids]
        await self._library("PUT", "library_save", uris, "albums")

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        uris = [f"spotify:album:{a}" for a in album_ids]
        await self._library("DELETE", "library_remove", uris, "albums")

    async def _following(self, method: str, endpoint: str, artist_ids: Sequence[str]) -> None:
        # The library call takes no artist URIs: following is still ``/me/following``.
        async def send(batch: Sequence[str]) -> None:
            params = {"type": "artist", "ids": ",".join(batch)}
            await self._call(method, "/v1/me/following", endpoint, params=params)

        await self._batched(
            list(artist_ids), send, call="follow", largest=FOLLOW_BATCH, noun="artists"
        )

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._following("PUT", "follow", artist_ids)

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._following("DELETE", "unfollow", artist_ids)

    async def search_albums(self, query: Track, limit: int = SEARCH_LIMIT) -> list[Track]:
        parts = [f'album:"{_search_text(query.title)}"'] if query.title.strip() else []
        if query.artists:
            parts.append(f'artist:"{_search_text(query.artists[0])}"')
        found = await self._search_kind(" ".join(parts), "album", limit)
        return [album_from_spotify(a).record() for a in found]

    async def lookup_upc(self, upc: str) -> list[Track]:
        upc = upc.strip()
        if not upc.isdigit():
            return []
        found = await self._search_kind(f"upc:{upc}", "album", SEARCH_LIMIT)
        return [album_from_spotify(a, upc).record() for a in found]

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # One page of its albums (Spotify gives at most 10 a call); simplified album
        # objects carry no UPC.
        found = await self._call(
            "GET",
            f"/v1/artists/{artist_id}/albums",
            "artist_albums",
            params={"include_groups": "album", "limit": min(limit, SEARCH_LIMIT)},
        )
        return [
            ArtistAlbum(
                title=str(a.get("name") or ""),
                release_date=a.get("release_date"),
                upc=(a.get("external_ids") or {}).get("upc"),
            )
            for a in found.get("items") or []
            if a
        ]

    async def search_artists(self, query: Track, limit: int = SEARCH_LIMIT) -> list[Track]:
        if not query.title.strip():
            return []
        found = await self._search_kind(f'artist:"{_search_text(query.title)}"', "artist", limit)
        return [artist_from_spotify(a).record() for a in found]

    async def _search_kind(self, q: str, kind: str, limit: int) -> list[Mapping[str, Any]]:
        """Albums or artists of a search, paged 10 at a time as Spotify gives them."""

        async def page(offset: int, size: int) -> Page[Mapping[str, Any]]:
            found = await self._call(
                "GET",
                "/v1/search",
                "search",
                params={"q": q, "type": kind, "limit": size, "offset": offset},
            )
            listed = found.get(f"{kind}s") or {}
            items = [i for i in listed.get("items") or [] if i and i.get("id")]
            return Page(items, more=bool(listed.get("next")))

        found: list[Mapping[str, Any]] = []
        async for item in self._offset_pages("search", page, min(limit, SEARCH_LIMIT)):
            found.append(item)
            if len(found) >= limit:
                break
        return found

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
        if not total:
            return []
        return [
            str((e.get("item") or e.get("track") or {}).get("id"))
            async for e in self._pages(path, "playlist_items", start=max(0, total - count))
        ]

    async def _remove(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        # Removal is by URI (every occurrence): repeating it changes nothing.
        body: dict[str, Any] = {"items": [{"uri": _uri(t)} for t in track_ids]}
        if self.snapshots.get(playlist_id):
            body["snapshot_id"] = self.snapshots[playlist_id]
        answer = await self._call(
            "DELETE", f"/v1/playlists/{playlist_id}/items", "playlist_remove", json=body
        )
        self.snapshots[playlist_id] = answer.get("snapshot_id") or ""

    async def like(self, track_ids: Sequence[str]) -> None:
        await self._library("PUT", "library_save", [_uri(t) for t in track_ids], "tracks")

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._library("DELETE", "library_remove", [_uri(t) for t in track_ids], "tracks")

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
        # Spotify gives at most 10 results a call: more are asked for page by page.
        async def page(offset: int, size: int) -> Page[Track]:
            found = await self._call(
                "GET",
                "/v1/search",
                "search",
                params={"q": q, "type": "track", "limit": size, "offset": offset},
            )
            tracks = found.get("tracks") or {}
            items = [track_from_spotify(t) for t in tracks.get("items") or []]
            return Page(items, more=bool(tracks.get("next")))

        found: list[Track] = []
        async for track in self._offset_pages("search", page, min(limit, SEARCH_LIMIT)):
            found.append(track)
            if len(found) >= limit:
                break
        return found


def build(building: Building, record: ConnectionRecord, settings: SpotifySettings) -> Provider:
    """One connection's account, sharing its app's allowance with the app's other users."""
    allowance = float(settings.calls_per_30s)
    app = record.client_id or settings.client_id or "default"
    return SpotifyProvider(
        building.http("spotify", settings.api_url),
        building.accounts.spotify_auth(record),
        [
            Bucket(f"spotify:app:{app}", capacity=allowance, per_second=allowance / 30),
            # One account may not spend its app's whole allowance.
            Bucket(
                f"spotify:account:{record.connection_id}",
                capacity=allowance / 2,
                per_second=allowance / 60,
            ),
        ],
    )


SPEC = ProviderSpec(INFO, SpotifySettings, build, classify_spotify)
