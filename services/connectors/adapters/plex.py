"""Plex Media Server, by URL and token: library sections, tracks, search, playlists.

JSON is asked for (``Accept: application/json``); lists are paged with the
``X-Plex-Container-Start``/``-Size`` parameters (plexapi pages 100 at a time). Playlist
items are added by ``server://<machine>/com.plexapp.plugins.library/library/metadata/<keys>``
URIs and removed by their ``playlistItemID``; smart playlists cannot be edited. A like is
a rating of 10 (the common mapping; Plex has no "like").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from services.connectors.adapters.http import ProviderHttp
from services.connectors.adapters.provider import PlaylistInfo, Profile, Provider
from services.connectors.domain.limits import Bucket
from services.connectors.domain.providers import PROVIDERS, Capability
from services.kernel.contracts import Track

PAGE_SIZE = 100
WRITE_BATCH = 100
TRACK_TYPE = 10
#: A home server: no published limit; stay gentle anyway.
PLEX_BUCKET = Bucket("plex:server", capacity=20, per_second=20)


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
    )


class PlexProvider(Provider):
    """One Plex server's music."""

    name: ClassVar[str] = "plex"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        next(p for p in PROVIDERS if p.name == "plex").capabilities
    )
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

    async def _pages(
        self, path: str, endpoint: str, **params: Any
    ) -> AsyncIterator[Mapping[str, Any]]:
        start = 0
        while True:
            page = await self._get(
                path,
                endpoint,
                **params,
                **{"X-Plex-Container-Start": start, "X-Plex-Container-Size": PAGE_SIZE},
            )
            items = page.get("Metadata") or []
            for item in items:
                yield item
            start += len(items)
            total = page.get("totalSize")
            if not items or (isinstance(total, int) and start >= total) or total is None:
                return

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
