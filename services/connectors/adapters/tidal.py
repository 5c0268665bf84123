"""TIDAL through its official v2 API (JSON:API at ``openapi.tidal.com/v2``).

Documents are compound: a page of relationship links (``data``) and, with ``include=``,
the resources they name (``included``). Paging is by cursor only (``links.next`` carries
``page[cursor]``; ``meta.total`` may be approximate, so it is never trusted). Playlist
entries have their own ``meta.itemId``, which removals and moves name; writes take at
most 50 items (moves 20). Every mutation carries an ``Idempotency-Key``: TIDAL replays the
first answer to a repeat within the hour, so a call whose answer was lost is simply sent
again with the same key and lands once.

Users sign in with OAuth 2.1 and PKCE (their own client id); the tokens are refreshed by
the same single-flight keeper as Spotify's. The public catalog (search, ISRCs) can also be
reached with the installation's client credentials, without any user.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import msgspec

from services.connectors.adapters.http import ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Linked,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.adapters.spotify import SpotifyAuth
from services.connectors.domain.limits import Bucket, classify_tidal
from services.connectors.domain.oauth import OAuthProvider
from services.connectors.domain.ordering import moves
from services.connectors.domain.providers import (
    ACCOUNT_WRITES,
    LIBRARY_SETS,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

T = TypeVar("T")

MEDIA_TYPE = "application/vnd.api+json"
#: TIDAL's spec: at most 50 items per add or removal, 20 per move (OpenAPI ``maxItems``).
ADD_BATCH = 50
MOVE_BATCH = 20
#: Pages of one ISRC's tracks read at most (one ISRC rarely has more than a handful).
ISRC_PAGES = 3

INFO = ProviderInfo(
    "tidal",
    "TIDAL",
    (
        Capability.SEARCH,
        Capability.ISRC_LOOKUP,
        Capability.READ_PROFILE,
        Capability.READ_PLAYLISTS,
        Capability.READ_LIKED,
        # No recently played: TIDAL's v2 API has no such endpoint.
        *ACCOUNT_WRITES,
        *LIBRARY_SETS,
    ),
    AuthStrategy.OAUTH_PKCE,
)


class TidalSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``TIDAL``.

    Attributes:
        api_url: The v2 API (an emulator's in tests).
        auth_url: Where tokens are traded (``/v1/oauth2/token``).
        login_url: Where a person gives consent (``/authorize``).
        client_id: The installation's own TIDAL app, for users who bring none.
        catalog_client_id: An app whose client credentials reach the public catalog.
        catalog_client_secret: That app's secret.
        country: The catalog's country where a user's is unknown.
        calls_per_s: The app's calls per second (TIDAL publishes no figure: UNVERIFIED).
        tracks_per_lookup: Track ids per ``/tracks?filter[id]=`` call (UNVERIFIED).
        add_batch: Items per add or removal (the spec says 50).
        move_batch: Items per move (the spec says 20).
    """

    api_url: str = "https://openapi.tidal.com/v2"
    auth_url: str = "https://auth.tidal.com"
    login_url: str = "https://login.tidal.com"
    client_id: str | None = None
    catalog_client_id: str | None = None
    catalog_client_secret: str | None = None
    country: str = "US"
    calls_per_s: float = 5.0
    tracks_per_lookup: int = 20
    add_batch: int = ADD_BATCH
    move_batch: int = MOVE_BATCH


#: Album or artist ids per ``filter[id]`` look-up (UNVERIFIED; as for tracks).
LOOKUP_IDS = 20
TOKEN_PATH = "/v1/oauth2/token"
SCOPES = (
    "user.read",
    "collection.read",
    "collection.write",
    "playlists.read",
    "playlists.write",
    "search.read",
)
_DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def duration_ms(value: object) -> int | None:
    """An ISO 8601 duration (``PT3M20S``) in milliseconds."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    if not found or value == "P":
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    return round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000)


def _linked(resource: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data") or []
    return [(str(d.get("type")), str(d.get("id"))) for d in data if isinstance(d, Mapping)]


def _included(document: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {
        (str(r.get("type")), str(r.get("id"))): r
        for r in document.get("included") or []
        if isinstance(r, Mapping)
    }


def track_from_tidal(
    resource: Mapping[str, Any], included: Mapping[tuple[str, str], Mapping[str, Any]]
) -> Track:
    """A track resource (with its included artists and album) as a provider-neutral track."""
    attributes = resource.get("attributes") or {}
    artists = [
        str((included.get(key) or {}).get("attributes", {}).get("name") or "")
        for key in _linked(resource, "artists")
    ]
    album = next(
        (included[key] for key in _linked(resource, "albums") if key in included),
        {},
    ).get("attributes", {})
    title = str(attributes.get("title") or "")
    if attributes.get("version"):
        title = f"{title} ({attributes['version']})"
    return Track(
        title=title,
        artists=tuple(a for a in artists if a),
        album=album.get("title"),
        duration_ms=duration_ms(attributes.get("duration")),
        isrc=attributes.get("isrc"),
        explicit=attributes.get("explicit"),
        release_date=album.get("releaseDate"),
        provider="tidal",
        provider_id=str(resource.get("id")),
    )


def album_from_tidal(
    resource: Mapping[str, Any], included: Mapping[tuple[str, str], Mapping[str, Any]]
) -> AlbumInfo:
    """An album resource (with its included artists) as an album: its UPC is the
    ``barcodeId``, its track count ``numberOfItems``."""
    attributes = resource.get("attributes") or {}
    artists = [
        str((included.get(key) or {}).get("attributes", {}).get("name") or "")
        for key in _linked(resource, "artists")
    ]
    title = str(attributes.get("title") or "")
    if attributes.get("version"):
        title = f"{title} ({attributes['version']})"
    count = attributes.get("numberOfItems")
    return AlbumInfo(
        "tidal",
        str(resource.get("id")),
        title,
        tuple(a for a in artists if a),
        count if isinstance(count, int) else None,
        attributes.get("releaseDate"),
        (),
        attributes.get("barcodeId") or None,
    )


def _ids_of(kind: str) -> Callable[[Mapping[str, Any]], list[str]]:
    """The ids of one type in a page of relationship links."""

    def read(document: Mapping[str, Any]) -> list[str]:
        return [str(e["id"]) for e in document.get("data") or [] if e.get("type") == kind]

    return read


def _track_ids(document: Mapping[str, Any]) -> list[str]:
    """The track ids of a page of relationship links."""
    return [str(e["id"]) for e in document.get("data") or [] if e.get("type") == "tracks"]


def _cursor(document: Mapping[str, Any]) -> str | None:
    """The next page's cursor, from ``links.next`` (a URL with ``page[cursor]``)."""
    following = (document.get("links") or {}).get("next")
    if not isinstance(following, str) or not following:
        return None
    found = parse_qs(urlsplit(following).query).get("page[cursor]")
    return found[0] if found else None


class ClientCredentials:
    """The installation's catalog token (client credentials), renewed before it expires."""

    def __init__(self, auth_url: str, client_id: str, secret: str) -> None:
        self._client = httpx.AsyncClient(base_url=auth_url, timeout=20)
        self.client_id, self.secret = client_id, secret
        self.token, self.expires_at = "", 0.0
        self._renewing = asyncio.Lock()

    async def bearer(self) -> str:
        if time.time() >= self.expires_at - 60:
            await self.refresh()
        return self.token

    async def refresh(self, refused: str | None = None) -> None:
        async with self._renewing:  # one refresh for every caller refused together
            if refused and self.token != refused and time.time() < self.expires_at - 60:
                return
            await self._renew()

    async def _renew(self) -> None:
        answer = await self._client.post(
            TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.secret),
        )
        answer.raise_for_status()
        body = answer.json()
        self.token = str(body["access_token"])
        self.expires_at = time.time() + float(body.get("expires_in", 3600))


Auth = SpotifyAuth | ClientCredentials


class TidalProvider(Provider):
    """A user's TIDAL account (or the catalog alone, with client credentials)."""

    name: ClassVar[str] = "tidal"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    write_batch: ClassVar[int] = ADD_BATCH

    def __init__(
        self,
        http: ProviderHttp,
        auth: Auth,
        buckets: Sequence[Bucket],
        settings: TidalSettings | None = None,
    ) -> None:
        self.http = http
        self.auth = auth
        self.buckets = list(buckets)
        self.settings = settings = settings or TidalSettings()
        # Per instance: the learned batch size stays the base class's business.
        self.write_batch = settings.add_batch  # type: ignore[misc]
        self._country: str | None = None

    async def _call(
        self, method: str, path: str, endpoint: str, json: Any = None, **params: Any
    ) -> Any:
        headers = {"Accept": MEDIA_TYPE}
        mutation = method != "GET"
        if mutation:
            # One key per write, kept across its retries: a repeat within the hour is
            # answered with the first answer, never carried out twice.
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["Content-Type"] = MEDIA_TYPE

        async def send(bearer: str) -> Any:
            return await self.http.call(
                method,
                path,
                endpoint=endpoint,
                buckets=self.buckets,
                headers={**headers, "Authorization": f"Bearer {bearer}"},
                params=params or None,
                json=json,
                # With its key, a mutation is safe to send again.
                idempotent=True,
            )

        return await self._authorised(self.auth, send)

    def _documents(
        self,
        path: str,
        endpoint: str,
        read: Callable[[Mapping[str, Any]], Sequence[T]],
        params: Mapping[str, Any] | None = None,
        pages: int | None = None,
    ) -> AsyncIterator[T]:
        """What ``read`` finds in every page of a cursor-paged list (``meta.total`` is not
        trusted), up to ``pages`` pages."""
        seen = 0

        async def page(cursor: str | None, _size: int) -> Linked[T, str]:
            nonlocal seen
            document = await self._call(
                "GET",
                path,
                endpoint,
                **(params or {}),
                **({"page[cursor]": cursor} if cursor else {}),
            )
            seen += 1
            following = None if pages is not None and seen >= pages else _cursor(document or {})
            return Linked(read(document or {}), following)

        return self._linked_pages(endpoint, page)

    async def country(self) -> str:
        """The user's country (the catalog's answers depend on it)."""
        if self._country is None:
            if isinstance(self.auth, ClientCredentials):
                self._country = self.settings.country
            else:
                me = await self._call("GET", "/users/me", "me")
                found = ((me or {}).get("data") or {}).get("attributes", {}).get("country")
                self._country = str(found or self.settings.country)
        return self._country

    async def profile(self) -> Profile:
        me = (await self._call("GET", "/users/me", "me") or {}).get("data") or {}
        attributes = me.get("attributes") or {}
        self._country = attributes.get("country") or self._country
        return Profile(self.name, str(me.get("id")), attributes.get("username"))

    def playlists(self) -> AsyncIterator[PlaylistInfo]:
        def read(document: Mapping[str, Any]) -> list[PlaylistInfo]:
            found = []
            for item in document.get("data") or []:
                attributes = item.get("attributes") or {}
                found.append(
                    PlaylistInfo(
                        self.name,
                        str(item["id"]),
                        str(attributes.get("name") or ""),
                        attributes.get("numberOfItems"),
                        snapshot=attributes.get("lastModifiedAt"),
                    )
                )
            return found

        return self._documents("/playlists", "my_playlists", read, {"filter[owners.id]": "me"})

    async def _entries(self, playlist_id: str) -> list[tuple[str, str]]:
        """A playlist's ``(track id, item id)`` in order."""

        def read(document: Mapping[str, Any]) -> list[tuple[str, str]]:
            return [
                (str(entry["id"]), str((entry.get("meta") or {}).get("itemId")))
                for entry in document.get("data") or []
                if entry.get("type") == "tracks"
            ]

        path = f"/playlists/{quote(playlist_id, safe='')}/relationships/items"
        return [entry async for entry in self._documents(path, "playlist_items", read)]

    async def tracks(self, track_ids: Sequence[str]) -> list[Track]:
        """Full records (artists and album included) of tracks, in the order asked; ids
        TIDAL no longer has are left out."""
        country = await self.country()
        found: dict[str, Track] = {}
        for batch in batches(list(dict.fromkeys(track_ids)), self.settings.tracks_per_lookup):
            document = await self._call(
                "GET",
                "/tracks",
                "tracks",
                **{"filter[id]": list(batch), "include": "artists,albums", "countryCode": country},
            )
            included = _included(document or {})
            for resource in (document or {}).get("data") or []:
                track = track_from_tidal(resource, included)
                found[track.provider_id or ""] = track
        return [found[t] for t in track_ids if t in found]

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        for track in await self.tracks([t for t, _ in await self._entries(playlist_id)]):
            yield track

    async def liked_tracks(self) -> AsyncIterator[Track]:
        ids = [
            track_id
            async for track_id in self._documents(
                "/userCollectionTracks/me/relationships/items", "favourite_tracks", _track_ids
            )
        ]
        for track in await self.tracks(ids):
            yield track

    async def _albums(self, album_ids: Sequence[str], **query: Any) -> list[AlbumInfo]:
        """Albums by id (in the order asked), or by ``query`` (``filter[barcodeId]``)."""
        country = await self.country()
        found: dict[str, AlbumInfo] = {}
        asked = [list(b) for b in batches(list(dict.fromkeys(album_ids)), LOOKUP_IDS)]
        for batch in asked if album_ids else [[]]:
            params = {"filter[id]": batch} if batch else query
            document = await self._call(
                "GET", "/albums", "albums", include="artists", countryCode=country, **params
            )
            included = _included(document or {})
            for resource in (document or {}).get("data") or []:
                album = album_from_tidal(resource, included)
                found[album.album_id] = album
        return [found[a] for a in album_ids if a in found] if album_ids else list(found.values())

    async def _artists(self, artist_ids: Sequence[str]) -> list[ArtistInfo]:
        country = await self.country()
        found: dict[str, ArtistInfo] = {}
        for batch in batches(list(dict.fromkeys(artist_ids)), LOOKUP_IDS):
            document = await self._call(
                "GET", "/artists", "artists", countryCode=country, **{"filter[id]": list(batch)}
            )
            for resource in (document or {}).get("data") or []:
                name = str((resource.get("attributes") or {}).get("name") or "")
                found[str(resource.get("id"))] = ArtistInfo("tidal", str(resource.get("id")), name)
        return [found[a] for a in artist_ids if a in found]

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        path = "/userCollectionAlbums/me/relationships/items"
        ids = [a async for a in self._documents(path, "favourite_albums", _ids_of("albums"))]
        for album in await self._albums(ids):
            yield album

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        path = "/userCollectionArtists/me/relationships/items"
        ids = [a async for a in self._documents(path, "favourite_artists", _ids_of("artists"))]
        for artist in await self._artists(ids):
            yield artist

    async def _collection(self, method: str, kind: str, ids: Sequence[str]) -> None:
        """Add to or take out of the user's collection of albums or artists (50 a call)."""
        collection = "userCollectionAlbums" if kind == "albums" else "userCollectionArtists"
        verb = "add" if method == "POST" else "remove"

        async def send(batch: Sequence[str]) -> None:
            await self._call(
                method,
                f"/{collection}/me/relationships/items",
                f"favourite_{kind}_{verb}",
                json={"data": [{"id": i, "type": kind} for i in batch]},
            )

        await self._batched(list(ids), send, call=kind, noun=kind)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        await self._collection("POST", "albums", album_ids)

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        await self._collection("DELETE", "albums", album_ids)

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._collection("POST", "artists", artist_ids)

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._collection("DELETE", "artists", artist_ids)

    async def lookup_upc(self, upc: str) -> list[Track]:
        upc = upc.strip()
        if not upc.isdigit():
            return []
        return [a.record() for a in await self._albums([], **{"filter[barcodeId]": upc})]

    async def _search_ids(self, text: str, kind: str, limit: int) -> list[str]:
        if not text.strip():
            return []
        document = await self._call(
            "GET",
            f"/searchResults/{quote(text.strip(), safe='')}/relationships/{kind}",
            f"search_{kind}",
            countryCode=await self.country(),
        )
        return _ids_of(kind)(document or {})[:limit]

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        text = " ".join([query.title.strip(), *query.artists[:1]])
        ids = await self._search_ids(text, "albums", limit)
        return [a.record() for a in await self._albums(ids)] if ids else []

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # The first page of its albums relationship, the albums included (title,
        # ``barcodeId``, ``releaseDate``).
        document = await self._call(
            "GET",
            f"/artists/{quote(artist_id, safe='')}/relationships/albums",
            "artist_albums",
            include="albums",
            countryCode=await self.country(),
        )
        included = _included(document or {})
        found = []
        for album_id in _ids_of("albums")(document or {})[:limit]:
            attributes = (included.get(("albums", album_id)) or {}).get("attributes") or {}
            if attributes.get("title"):
                found.append(
                    ArtistAlbum(
                        title=str(attributes["title"]),
                        release_date=attributes.get("releaseDate"),
                        upc=attributes.get("barcodeId") or None,
                    )
                )
        return found

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        ids = await self._search_ids(query.title, "artists", limit)
        return [a.record() for a in await self._artists(ids)] if ids else []

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        attributes = {"name": name, "accessType": "UNLISTED"}
        if description:
            attributes["description"] = description
        created = await self._call(
            "POST",
            "/playlists",
            "create_playlist",
            json={"data": {"type": "playlists", "attributes": attributes}},
        )
        return PlaylistInfo(self.name, str(created["data"]["id"]), name, 0)

    def _items_path(self, playlist_id: str) -> str:
        return f"/playlists/{quote(playlist_id, safe='')}/relationships/items"

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._call(
            "POST",
            self._items_path(playlist_id),
            "playlist_add",
            json={"data": [{"id": t, "type": "tracks"} for t in track_ids]},
        )

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        entries = await self._entries(playlist_id)
        return [t for t, _ in entries[-count:]] if count else []

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        # Removal names entries: each of the tracks' entries is removed, by its item id.
        wanted = set(track_ids)
        entries = [(t, i) for t, i in await self._entries(playlist_id) if t in wanted]
        if not entries:
            return

        async def send(batch: Sequence[str]) -> None:
            pairs = [entry.split(" ", 1) for entry in batch]
            await self._call(
                "DELETE",
                self._items_path(playlist_id),
                "playlist_remove",
                json={
                    "data": [{"id": t, "type": "tracks", "meta": {"itemId": i}} for t, i in pairs]
                },
            )

        # Each entry travels as "track item": the shared sender takes strings.
        await self._batched([f"{t} {i}" for t, i in entries], send, call="remove")

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        entries = await self._entries(playlist_id)
        item_of = {t: i for t, i in entries}
        working = [t for t, _ in entries]
        # Consecutive single moves that land one after another go before the same entry:
        # one call carries up to ``move_batch`` of them.
        runs: list[tuple[str, list[str]]] = []
        last_target = -2
        for start, before in moves(working, list(order)):
            moved = working.pop(start)
            anchor = working[before]
            working.insert(before, moved)
            if runs and before == last_target + 1 and len(runs[-1][1]) < self.settings.move_batch:
                runs[-1][1].append(moved)
            else:
                runs.append((anchor, [moved]))
            last_target = before
        for anchor, moved_ids in runs:
            await self._call(
                "PATCH",
                self._items_path(playlist_id),
                "playlist_reorder",
                json={
                    "data": [
                        {"id": t, "type": "tracks", "meta": {"itemId": item_of[t]}}
                        for t in moved_ids
                    ],
                    "meta": {"positionBefore": item_of[anchor]},
                },
            )

    async def like(self, track_ids: Sequence[str]) -> None:
        await self._favourites("POST", track_ids)

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._favourites("DELETE", track_ids)

    async def _favourites(self, method: str, track_ids: Sequence[str]) -> None:

        async def send(batch: Sequence[str]) -> None:
            await self._call(
                method,
                "/userCollectionTracks/me/relationships/items",
                "favourites_add" if method == "POST" else "favourites_remove",
                json={"data": [{"id": t, "type": "tracks"} for t in batch]},
            )

        await self._batched(list(track_ids), send, call="favourites")

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        text = " ".join([query.title.strip(), *query.artists[:1]]).strip()
        if not text:
            return []
        document = await self._call(
            "GET",
            f"/searchResults/{quote(text, safe='')}/relationships/tracks",
            "search",
            countryCode=await self.country(),
        )
        ids = [
            str(e["id"]) for e in (document or {}).get("data") or [] if e.get("type") == "tracks"
        ]
        return await self.tracks(ids[:limit])

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        """Every track TIDAL has for one ISRC (there may be several: the matcher chooses)."""
        isrc = isrc.replace("-", "").upper()
        if not isrc.isalnum() or len(isrc) != 12:
            return []

        def read(document: Mapping[str, Any]) -> list[Track]:
            included = _included(document)
            return [track_from_tidal(r, included) for r in document.get("data") or []]

        pages = self._documents(
            "/tracks",
            "track_isrc",
            read,
            {
                "filter[isrc]": isrc,
                "include": "artists,albums",
                "countryCode": await self.country(),
            },
            pages=ISRC_PAGES,
        )
        return [track async for track in pages]

    async def track(self, track_id: str) -> Track | None:
        found = await self.tracks([track_id])
        return found[0] if found else None


def _buckets(settings: TidalSettings, app: str) -> list[Bucket]:
    rate = float(settings.calls_per_s)
    return [Bucket(f"tidal:app:{app}", capacity=max(1.0, rate * 2), per_second=rate)]


def _token_url(settings: TidalSettings) -> str:
    return f"{settings.auth_url.rstrip('/')}{TOKEN_PATH}"


def consent(settings: TidalSettings) -> OAuthProvider:
    """TIDAL's OAuth 2.1 consent with PKCE (the person's own client id, or the
    installation's)."""
    return OAuthProvider(
        "tidal",
        f"{settings.login_url.rstrip('/')}/authorize",
        SCOPES,
        token_url=_token_url(settings),
        shown="TIDAL",
        default_client_id=settings.client_id,
    )


def build(building: Building, record: ConnectionRecord, settings: TidalSettings) -> Provider:
    """One connection's account, its tokens refreshed (single-flight) and kept sealed."""
    auth = building.accounts.oauth_auth(
        record, settings.auth_url, settings.client_id, _token_url(settings), "TIDAL"
    )
    app = record.client_id or settings.client_id or "default"
    return TidalProvider(
        building.http("tidal", settings.api_url), auth, _buckets(settings, app), settings
    )


def catalog(building: Building, settings: TidalSettings) -> Provider | None:
    """The public catalog with the installation's client credentials, where configured."""
    if not (settings.catalog_client_id and settings.catalog_client_secret):
        return None
    auth = ClientCredentials(
        settings.auth_url, settings.catalog_client_id, settings.catalog_client_secret
    )
    return TidalProvider(
        building.http("tidal", settings.api_url),
        auth,
        _buckets(settings, settings.catalog_client_id),
        settings,
    )


SPEC = ProviderSpec(INFO, TidalSettings, build, classify_tidal, catalog, oauth=consent)
