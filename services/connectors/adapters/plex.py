"""Plex Media Server, by URL and token: library sections, tracks, search, playlists; its
music sections' albums and artists, read as the albums and artists a person keeps (Plex
has no "saved" albums nor "followed" artists: its library is what one has), so that a
move can carry them to another service. Nothing is written to them.

JSON is asked for (``Accept: application/json``); lists are paged with the
``X-Plex-Container-Start``/``-Size`` parameters (plexapi pages 100 at a time). Playlist
items are added by ``server://<machine>/com.plexapp.plugins.library/library/metadata/<keys>``
URIs and removed by their ``playlistItemID``; smart playlists cannot be edited. A like is
a rating of 10 (the common mapping; Plex has no "like").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Annotated, Any, ClassVar

import msgspec

from services.connectors.adapters.http import ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Page,
    PlaylistInfo,
    Profile,
    Provider,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.domain.limits import Bucket
from services.connectors.domain.providers import (
    ACCOUNT_WRITES,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

PAGE_SIZE = 100
WRITE_BATCH = 100
TRACK_TYPE = 10
#: Plex's metadata types of a music section's artists and albums.
ARTIST_TYPE = 8
ALBUM_TYPE = 9
#: A home server: no published limit; stay gentle anyway.
PLEX_BUCKET = Bucket("plex:server", capacity=20, per_second=20)


INFO = ProviderInfo(
    "plex",
    "Plex",
    (
        Capability.READ_PROFILE,
        Capability.READ_PLAYLISTS,
        # The library's albums and artists, read only.
        Capability.READ_ALBUMS,
        Capability.READ_ARTISTS,
        Capability.SEARCH,
        *ACCOUNT_WRITES,
        Capability.SCAN_LIBRARY,
    ),
    AuthStrategy.SERVER_TOKEN,
)


class PlexSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``PLEX``.

    Attributes:
        url: The Plex server used when a connection names none.
        client_identifier: How Tunebridge names itself to Plex.
        page_size: Items asked for per page of a list (a size it refuses is halved and
            remembered).
    """

    url: str = "http://127.0.0.1:32400"
    client_identifier: str = "tunebridge"
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = PAGE_SIZE


def track_from_plex(item: Mapping[str, Any]) -> Track:
    """A Plex track (``type: track`` metadata) as a provider-neutral track."""
    album_artist = item.get("grandparentTitle")
    artist = item.get("originalTitle") or album_artist  # a track artist differing from the album's
    duration = item.get("duration")
    return Track(
        title=str(item.get("title") or ""),
        artists=(str(artist),) if artist else (),
        album=item.get("parentTitle"),
        album_artists=(str(album_artist),) if album_artist else (),
        track_number=item.get("index"),
        disc_number=item.get("parentIndex"),
        duration_ms=int(duration) if isinstance(duration, int | float) else None,
        release_date=str(item["parentYear"]) if item.get("parentYear") else None,
        provider="plex",
        provider_id=str(item.get("ratingKey")) if item.get("ratingKey") is not None else None,
        path=_file_of(item),
    )


def album_from_plex(item: Mapping[str, Any]) -> AlbumInfo:
    """A Plex album (``type: album`` metadata): its artist is its ``parentTitle``, its
    track count ``leafCount``, its date ``originallyAvailableAt`` else ``year``."""
    artist = item.get("parentTitle")
    count = item.get("leafCount")
    released = item.get("originallyAvailableAt") or item.get("year")
    return AlbumInfo(
        "plex",
        str(item.get("ratingKey")),
        str(item.get("title") or ""),
        (str(artist),) if artist else (),
        track_count=count if isinstance(count, int) and count > 0 else None,
        release_date=str(released) if released else None,
    )


def _file_of(item: Mapping[str, Any]) -> str | None:
    """The track's file, whole as the server sees it: its first media's first part's
    ``file`` (Plex lists every track with its ``Media`` and their ``Part``)."""
    for media in item.get("Media") or ():
        for part in (media or {}).get("Part") or ():
            if isinstance(part, Mapping) and part.get("file"):
                return str(part["file"])
    return None


class PlexProvider(Provider):
    """One Plex server's music."""

    name: ClassVar[str] = "plex"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    page_size = PAGE_SIZE
    write_batch: ClassVar[int] = WRITE_BATCH

    def __init__(self, http: ProviderHttp, token: str, client_id: str = "tunebridge") -> None:
        self.http = http
        self.headers = {
            "X-Plex-Token": token,
            "X-Plex-Client-Identifier": client_id,
            "X-Plex-Product": "Tunebridge",
            "Accept": "application/json",
        }
        self._machine: str | None = None

    async def _get(self, path: str, endpoint: str, **params: Any) -> Mapping[str, Any]:
        body = await self.http.call(
            "GET",
            path,
            endpoint=endpoint,
            params=params,
            headers=self.headers,
            buckets=[PLEX_BUCKET],
        )
        return (body or {}).get("MediaContainer") or {}

    async def _send(
        self, method: str, path: str, endpoint: str, idempotent: bool | None = None, **params: Any
    ) -> Any:
        body = await self.http.call(
            method,
            path,
            endpoint=endpoint,
            params=params,
            headers=self.headers,
            buckets=[PLEX_BUCKET],
            idempotent=idempotent,
        )
        return (body or {}).get("MediaContainer") or {}

    def _pages(self, path: str, endpoint: str, **params: Any) -> AsyncIterator[Mapping[str, Any]]:
        async def page(start: int, size: int) -> Page[Mapping[str, Any]]:
            found = await self._get(
                path,
                endpoint,
                **params,
                **{"X-Plex-Container-Start": start, "X-Plex-Container-Size": size},
            )
            total = found.get("totalSize")
            # No count: the one page is all there is.
            return Page(found.get("Metadata") or [], total if isinstance(total, int) else None)

        return self._offset_pages(endpoint, page)

    async def machine(self) -> str:
        """The server's machine identifier (playlist item URIs name it)."""
        if self._machine is None:
            self._machine = str((await self._get("/", "server"))["machineIdentifier"])
        return self._machine

    async def profile(self) -> Profile:
        server = await self._get("/", "server")
        return Profile(self.name, str(server.get("machineIdentifier")), server.get("friendlyName"))

    async def sections(self) -> list[tuple[str, str]]:
        """The music sections: (key, title)."""
        found = await self._get("/library/sections", "sections")
        return [
            (str(d["key"]), str(d.get("title") or ""))
            for d in found.get("Directory") or []
            if d.get("type") == "artist"
        ]

    async def start_scan(self) -> None:
        """Refresh every music section (Plex scans their folders for new files)."""
        for key, _ in await self.sections():
            await self._send(
                "GET", f"/library/sections/{int(key)}/refresh", "section_refresh", idempotent=True
            )

    async def scanning(self) -> bool:
        """Whether a music section is being refreshed now (its ``refreshing`` flag)."""
        found = await self._get("/library/sections", "sections")
        return any(
            d.get("type") == "artist" and d.get("refreshing") in (True, 1, "1")
            for d in found.get("Directory") or []
        )

    async def library_tracks(self, section: str) -> AsyncIterator[Track]:
        """Every track of a music section."""
        async for item in self._pages(
            f"/library/sections/{int(section)}/all", "section_tracks", type=TRACK_TYPE
        ):
            yield track_from_plex(item)

    async def library(self) -> AsyncIterator[Track]:
        for key, _ in await self.sections():
            async for track in self.library_tracks(key):
                yield track

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        """Every album of the music sections (the server's, not one person's choice).
        Their cover addresses are left out: Plex serves them only with the token."""
        for key, _ in await self.sections():
            async for item in self._pages(
                f"/library/sections/{int(key)}/all", "section_albums", type=ALBUM_TYPE
            ):
                if item.get("ratingKey") is not None and item.get("title"):
                    yield album_from_plex(item)

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        """Every artist of the music sections."""
        for key, _ in await self.sections():
            async for item in self._pages(
                f"/library/sections/{int(key)}/all", "section_artists", type=ARTIST_TYPE
            ):
                if item.get("ratingKey") is not None and item.get("title"):
                    yield ArtistInfo(self.name, str(item["ratingKey"]), str(item["title"]))

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # An artist's children are its albums (``type: album``): titles and dates.
        if not artist_id.isdigit():
            return []
        found = await self._get(
            f"/library/metadata/{artist_id}/children",
            "artist_albums",
            **{"X-Plex-Container-Start": 0, "X-Plex-Container-Size": limit},
        )
        albums = [
            album_from_plex(item)
            for item in found.get("Metadata") or []
            if isinstance(item, Mapping) and item.get("type") == "album" and item.get("title")
        ]
        return [ArtistAlbum(title=a.title, release_date=a.release_date) for a in albums[:limit]]

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        found = await self._get("/playlists", "playlists", playlistType="audio")
        for item in found.get("Metadata") or []:
            yield PlaylistInfo(
                self.name,
                str(item["ratingKey"]),
                str(item.get("title") or ""),
                item.get("leafCount"),
                owned=not item.get("smart"),
            )

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        async for item in self._pages(f"/playlists/{int(playlist_id)}/items", "playlist_items"):
            yield track_from_plex(item)

    async def _items(self, playlist_id: str) -> list[Mapping[str, Any]]:
        return [
            i async for i in self._pages(f"/playlists/{int(playlist_id)}/items", "playlist_items")
        ]

    async def _uri(self, keys: Sequence[str]) -> str:
        joined = ",".join(str(int(k)) for k in keys)
        return (
            f"server://{await self.machine()}/com.plexapp.plugins.library/library/metadata/{joined}"
        )

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        # Plex creates a playlist from its first items; an empty one is made from none.
        created = await self._send(
            "POST",
            "/playlists",
            "create_playlist",
            type="audio",
            title=name,
            smart=0,
            uri=await self._uri([]),
        )
        item = (created.get("Metadata") or [{}])[0]
        return PlaylistInfo(self.name, str(item["ratingKey"]), name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._send(
            "PUT",
            f"/playlists/{int(playlist_id)}/items",
            "playlist_add",
            uri=await self._uri(track_ids),
            idempotent=False,
        )

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        items = await self._items(playlist_id)
        return [str(i.get("ratingKey")) for i in items[-count:]] if count else []

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        doomed = {str(t) for t in track_ids}
        for item in await self._items(playlist_id):
            if str(item.get("ratingKey")) in doomed:
                await self._send(
                    "DELETE",
                    f"/playlists/{int(playlist_id)}/items/{int(item['playlistItemID'])}",
                    "playlist_remove",
                )

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        items = {str(i.get("ratingKey")): i for i in await self._items(playlist_id)}
        if sorted(items) != sorted(order):
            raise ValueError("a reorder cannot add or remove tracks")
        previous: str | None = None
        for key in order:  # each track after the one before it (the first to the top)
            item_id = int(items[key]["playlistItemID"])
            after = {"after": int(items[previous]["playlistItemID"])} if previous else {}
            await self._send(
                "PUT",
                f"/playlists/{int(playlist_id)}/items/{item_id}/move",
                "playlist_move",
                idempotent=True,
                **after,
            )
            previous = key

    async def _rate(self, track_ids: Sequence[str], rating: int) -> None:
        for track_id in track_ids:  # one rating per call; setting it twice changes nothing
            await self._send(
                "PUT",
                "/:/rate",
                "rate",
                key=int(track_id),
                identifier="com.plexapp.plugins.library",
                rating=rating,
            )

    async def like(self, track_ids: Sequence[str]) -> None:
        await self._rate(track_ids, 10)

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._rate(track_ids, 0)

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        found = await self._get("/hubs/search", "search", query=query.title, limit=limit)
        tracks = [
            track_from_plex(item)
            for hub in found.get("Hub") or []
            if hub.get("type") == "track"
            for item in hub.get("Metadata") or []
        ]
        if query.artists:
            wanted = query.artists[0].casefold()
            tracks.sort(key=lambda t: not any(wanted in a.casefold() for a in t.artists))
        return tracks[:limit]


def build(building: Building, record: ConnectionRecord, settings: PlexSettings) -> Provider:
    """The server a connection names (else the installation's), with its token."""
    return PlexProvider(
        # The installation's own server is the administrator's; a user's URL is guarded.
        building.http("plex", record.server_url or settings.url, bool(record.server_url)),
        building.tokens(record).access_token,
        settings.client_identifier,
    )


SPEC = ProviderSpec(INFO, PlexSettings, build)
