"""Jellyfin, by server URL and a token (or a user's log-in, traded for one at once): the
music libraries' tracks, playlists, favourites.

The token travels only as ``Authorization: MediaBrowser ..., Token="…"``: Jellyfin 12
refuses the legacy ``X-Emby-Token`` header and ``api_key=`` parameter. A user's access
token acts as that user (``/Users/Me``); the administrator's API key acts as the user the
connection names (its ``account_id``, a user name or id, found in ``/Users``). Lists page
with ``startIndex``/``limit``; the music libraries are the user's views whose
``CollectionType`` is ``music``. Playlist entries have their own ``PlaylistItemId``:
removals (``entryIds``) and moves (``/Move/{newIndex}``) name it. A like is a favourite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Annotated, Any, ClassVar

import msgspec

from services.connectors.adapters.http import ProviderError, ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Page,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.domain.limits import Bucket, Verdict
from services.connectors.domain.providers import (
    LIBRARY_SETS,
    MEDIA_SERVER,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.connectors.domain.search import exact_first
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

PAGE_SIZE = 500
#: Ids per call: they travel comma-separated in the URL.
WRITE_BATCH = 100
TICKS_PER_MS = 10_000
FIELDS = "ProviderIds,Genres,ParentId,Path"
#: What an album's or an artist's record needs besides its name.
RELEASE_FIELDS = "ProviderIds,ChildCount,ProductionYear,PremiereDate"

INFO = ProviderInfo(
    "jellyfin",
    "Jellyfin",
    (*MEDIA_SERVER, *LIBRARY_SETS),
    AuthStrategy.SERVER_TOKEN,
)


class JellyfinSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``JELLYFIN``.

    Attributes:
        url: The Jellyfin server used when a connection names none.
        device_id: How Tunebridge names its device to Jellyfin.
        calls_per_second: Calls per second to one server.
        page_size: Items asked for per page of a list (a size it refuses is halved and
            remembered).
    """

    url: str = "http://127.0.0.1:8096"
    device_id: str = "tunebridge"
    calls_per_second: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = PAGE_SIZE


def track_from_jellyfin(item: Mapping[str, Any]) -> Track:
    """A Jellyfin ``Audio`` item as a provider-neutral track."""
    artists = tuple(str(a) for a in item.get("Artists") or [] if a)
    album_artists = tuple(
        str(a["Name"]) for a in item.get("AlbumArtists") or [] if isinstance(a, Mapping)
    ) or ((str(item["AlbumArtist"]),) if item.get("AlbumArtist") else ())
    ticks = item.get("RunTimeTicks")
    ids = item.get("ProviderIds") or {}
    isrc = ids.get("ISRC") if isinstance(ids, Mapping) else None
    return Track(
        title=str(item.get("Name") or ""),
        artists=artists or album_artists,
        album=item.get("Album") or None,
        album_artists=album_artists,
        track_number=item.get("IndexNumber") if isinstance(item.get("IndexNumber"), int) else None,
        disc_number=(
            item.get("ParentIndexNumber")
            if isinstance(item.get("ParentIndexNumber"), int)
            else None
        ),
        duration_ms=int(ticks) // TICKS_PER_MS if isinstance(ticks, int | float) else None,
        isrc=str(isrc) if isrc else None,
        release_date=str(item["ProductionYear"]) if item.get("ProductionYear") else None,
        provider="jellyfin",
        provider_id=str(item["Id"]) if item.get("Id") is not None else None,
        genres=tuple(str(g) for g in item.get("Genres") or []),
        path=str(item["Path"]) if item.get("Path") else None,  # as the server sees it
    )


class JellyfinProvider(Provider):
    """One user's music on one Jellyfin server."""

    name: ClassVar[str] = "jellyfin"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    page_size = PAGE_SIZE
    write_batch: ClassVar[int] = WRITE_BATCH

    def __init__(
        self,
        http: ProviderHttp,
        token: str,
        user: str | None = None,
        device_id: str = "tunebridge",
        calls_per_second: float = 20.0,
    ) -> None:
        """``user``: the user (name or id) an API key acts as; None for a user's token."""
        self.http = http
        self.user = user
        self.headers = {
            "Authorization": _client_header(device_id, token),
            "Accept": "application/json",
        }
        self.bucket = Bucket("jellyfin:server", calls_per_second, calls_per_second)
        self._user: Mapping[str, Any] | None = None

    def __repr__(self) -> str:  # never the token
        return f"JellyfinProvider(user={self.user!r})"

    async def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        idempotent: bool | None = None,
        json: Any = None,
        **params: Any,
    ) -> Any:
        return await self.http.call(
            method,
            path,
            endpoint=endpoint,
            params=params,
            json=json,
            headers=self.headers,
            buckets=[self.bucket],
            idempotent=idempotent,
        )

    async def _me(self) -> Mapping[str, Any]:
        if self._user is None:
            try:
                self._user = await self._call("GET", "/Users/Me", "me") or {}
                return self._user
            except ProviderError as error:
                # An API key is no user (400): it acts as the one the connection names.
                if error.verdict.outcome != "client_error" or not self.user:
                    raise
            wanted = self.user.casefold()
            found = [
                u
                for u in await self._call("GET", "/Users", "users") or []
                if wanted in (str(u.get("Id")).casefold(), str(u.get("Name")).casefold())
            ]
            if not found:
                raise ProviderError(self.name, "users", Verdict("not_found"))
            self._user = found[0]
        return self._user

    async def _user_id(self) -> str:
        return str((await self._me())["Id"])

    def _pages(self, path: str, endpoint: str, **params: Any) -> AsyncIterator[Any]:
        async def page(start: int, size: int) -> Page[Any]:
            found = await self._call("GET", path, endpoint, startIndex=start, limit=size, **params)
            total = (found or {}).get("TotalRecordCount")
            # No count: the one page is all there is.
            return Page((found or {}).get("Items") or [], total if isinstance(total, int) else None)

        return self._offset_pages(endpoint, page)

    async def profile(self) -> Profile:
        me = await self._me()
        return Profile(self.name, str(me["Id"]), str(me.get("Name") or "") or None)

    async def music_libraries(self) -> list[tuple[str, str]]:
        """The user's music libraries: (id, name)."""
        views = await self._call("GET", "/UserViews", "views", userId=await self._user_id())
        return [
            (str(v["Id"]), str(v.get("Name") or ""))
            for v in (views or {}).get("Items") or []
            if v.get("CollectionType") == "music"
        ]

    async def _audio(self, endpoint: str, **params: Any) -> AsyncIterator[Track]:
        async for item in self._pages(
            "/Items",
            endpoint,
            userId=await self._user_id(),
            includeItemTypes="Audio",
            recursive="true",
            fields=FIELDS,
            **params,
        ):
            yield track_from_jellyfin(item)

    async def library(self) -> AsyncIterator[Track]:
        for library_id, _ in await self.music_libraries():
            async for track in self._audio("library_tracks", parentId=library_id):
                yield track

    async def liked_tracks(self) -> AsyncIterator[Track]:
        async for track in self._audio("favourites", filters="IsFavorite"):
            yield track

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        async for item in self._pages(
            "/Items",
            "playlists",
            userId=await self._user_id(),
            includeItemTypes="Playlist",
            recursive="true",
        ):
            yield PlaylistInfo(
                self.name, str(item["Id"]), str(item.get("Name") or ""), item.get("ChildCount")
            )

    async def _entries(self, playlist_id: str) -> list[Mapping[str, Any]]:
        return [
            item
            async for item in self._pages(
                f"/Playlists/{playlist_id}/Items",
                "playlist_items",
                userId=await self._user_id(),
                fields=FIELDS,
            )
        ]

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        for item in await self._entries(playlist_id):
            yield track_from_jellyfin(item)

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        created = await self._call(
            "POST",
            "/Playlists",
            "create_playlist",
            json={"Name": name, "Ids": [], "UserId": await self._user_id(), "MediaType": "Audio"},
        )
        return PlaylistInfo(self.name, str((created or {})["Id"]), name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._call(
            "POST",
            f"/Playlists/{playlist_id}/Items",
            "playlist_add",
            idempotent=False,
            ids=",".join(track_ids),
            userId=await self._user_id(),
        )

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        entries = await self._entries(playlist_id)
        return [str(e.get("Id")) for e in entries[-count:]] if count else []

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Every entry of these tracks, by entry id (removing one twice changes nothing)."""
        doomed = {str(t) for t in track_ids}
        entries = [
            str(e["PlaylistItemId"])
            for e in await self._entries(playlist_id)
            if str(e.get("Id")) in doomed
        ]
        for batch in batches(entries, WRITE_BATCH):
            await self._call(
                "DELETE",
                f"/Playlists/{playlist_id}/Items",
                "playlist_remove",
                entryIds=",".join(batch),
            )

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        """Each track moved to its place in turn; one already there is not moved."""
        current = [
            (str(e["PlaylistItemId"]), str(e.get("Id"))) for e in await self._entries(playlist_id)
        ]
        if sorted(item for _, item in current) != sorted(order):
            raise ValueError("a reorder cannot add or remove tracks")
        for index, wanted in enumerate(order):
            if current[index][1] == wanted:
                continue
            at = next(i for i in range(index + 1, len(current)) if current[i][1] == wanted)
            entry = current.pop(at)
            current.insert(index, entry)
            await self._call(
                "POST",
                f"/Playlists/{playlist_id}/Items/{entry[0]}/Move/{index}",
                "playlist_move",
                idempotent=True,  # moving an entry to an index twice leaves it there
            )

    async def _favourite(self, method: str, track_ids: Sequence[str]) -> None:
        user_id = await self._user_id()
        for track_id in track_ids:  # one per call; setting it twice changes nothing
            await self._call(
                method,
                f"/UserFavoriteItems/{track_id}",
                "favourite",
                idempotent=True,
                userId=user_id,
            )

    async def like(self, track_ids: Sequence[str]) -> None:
        await self._favourite("POST", track_ids)

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._favourite("DELETE", track_ids)

    def _of_type(self, kind: str, endpoint: str, user_id: str, **params: Any) -> AsyncIterator[Any]:
        return self._pages(
            "/Items",
            endpoint,
            userId=user_id,
            includeItemTypes=kind,
            recursive="true",
            fields=RELEASE_FIELDS,
            **params,
        )

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        user_id = await self._user_id()
        async for item in self._of_type(
            "MusicAlbum", "favourite_albums", user_id, filters="IsFavorite"
        ):
            yield album_from_jellyfin(item)

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        user_id = await self._user_id()
        async for item in self._of_type(
            "MusicArtist", "favourite_artists", user_id, filters="IsFavorite"
        ):
            yield ArtistInfo(self.name, str(item["Id"]), str(item.get("Name") or ""))

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        await self._favourite("POST", album_ids)

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        await self._favourite("DELETE", album_ids)

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._favourite("POST", artist_ids)

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._favourite("DELETE", artist_ids)

    async def _found(self, kind: str, text: str, limit: int) -> list[Mapping[str, Any]]:
        found = await self._call(
            "GET",
            "/Items",
            f"search_{kind.lower()}",
            userId=await self._user_id(),
            searchTerm=text,
            includeItemTypes=kind,
            recursive="true",
            limit=limit,
            fields=RELEASE_FIELDS,
        )
        return [i for i in (found or {}).get("Items") or [] if i.get("Id")]

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        found = await self._found("MusicAlbum", query.title, limit)
        return [album_from_jellyfin(item).record() for item in found]

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        found = await self._found("MusicArtist", query.title, limit)
        return [
            ArtistInfo(self.name, str(i["Id"]), str(i.get("Name") or "")).record() for i in found
        ]

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # The albums it is the album artist of (``albumArtistIds``): names and years.
        found = await self._call(
            "GET",
            "/Items",
            "artist_albums",
            userId=await self._user_id(),
            albumArtistIds=artist_id,
            includeItemTypes="MusicAlbum",
            recursive="true",
            limit=limit,
            fields=RELEASE_FIELDS,
        )
        albums = [album_from_jellyfin(i) for i in (found or {}).get("Items") or [] if i.get("Id")]
        return [ArtistAlbum(title=a.title, release_date=a.release_date) for a in albums]

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        text = query.title or (query.artists[0] if query.artists else "")
        if not text:
            return []
        found = await self._call(
            "GET",
            "/Items",
            "search",
            userId=await self._user_id(),
            searchTerm=text,
            includeItemTypes="Audio",
            recursive="true",
            limit=limit,
            fields=FIELDS,
        )
        tracks = [track_from_jellyfin(i) for i in (found or {}).get("Items") or []]
        return exact_first(tracks, query, limit)

    async def scanning(self) -> bool:
        """Whether the library scan task (``RefreshLibrary``) is running now."""
        tasks = await self._call("GET", "/ScheduledTasks", "scheduled_tasks") or []
        return any(
            t.get("Key") == "RefreshLibrary" and t.get("State") in ("Running", "Cancelling")
            for t in tasks
            if isinstance(t, Mapping)
        )

    async def start_scan(self) -> None:
        """``/Library/Refresh`` (an administrator's right); its ``RefreshLibrary`` task
        then runs until the libraries are scanned."""
        await self._call("POST", "/Library/Refresh", "library_refresh", idempotent=True)

    async def track(self, track_id: str) -> Track | None:
        try:
            item = await self._call(
                "GET", f"/Items/{track_id}", "item", userId=await self._user_id()
            )
        except ProviderError as error:
            if error.verdict.outcome == "not_found":
                return None
            raise
        return track_from_jellyfin(item) if isinstance(item, Mapping) else None


def album_from_jellyfin(item: Mapping[str, Any]) -> AlbumInfo:
    """A ``MusicAlbum`` item as an album: its album artist, year and track count
    (``ChildCount``); Jellyfin keeps no UPC."""
    artist = item.get("AlbumArtist") or next(
        (a.get("Name") for a in item.get("AlbumArtists") or [] if a.get("Name")), None
    )
    year = item.get("ProductionYear")
    count = item.get("ChildCount")
    return AlbumInfo(
        "jellyfin",
        str(item["Id"]),
        str(item.get("Name") or ""),
        (str(artist),) if artist else (),
        count if isinstance(count, int) else None,
        str(year) if isinstance(year, int) and year > 0 else None,
    )


def _client_header(device_id: str, token: str | None = None) -> str:
    """Jellyfin's ``Authorization: MediaBrowser`` header (with the token, once there is one)."""
    header = (
        f'MediaBrowser Client="Tunebridge", Device="Tunebridge", '
        f'DeviceId="{device_id}", Version="1"'
    )
    return f'{header}, Token="{token}"' if token else header


async def login(
    building: Building, server_url: str, username: str, password: str, settings: JellyfinSettings
) -> str:
    """A user's access token for a user name and password (``/Users/AuthenticateByName``):
    the password is sent once, and never kept."""
    http = building.http("jellyfin", server_url, True)
    answer = await http.call(
        "POST",
        "/Users/AuthenticateByName",
        endpoint="login",
        json={"Username": username, "Pw": password},
        headers={"Authorization": _client_header(settings.device_id), "Accept": "application/json"},
        buckets=[Bucket("jellyfin:server", settings.calls_per_second, settings.calls_per_second)],
    )
    token = (answer or {}).get("AccessToken")
    if not isinstance(token, str) or not token:
        raise ProviderError("jellyfin", "login", Verdict("unauthorized"))
    return token


def build(building: Building, record: ConnectionRecord, settings: JellyfinSettings) -> Provider:
    """The server a connection names (else the installation's), with its token; an API
    key acts as the user the connection names."""
    return JellyfinProvider(
        # The installation's own server is the administrator's; a user's URL is guarded.
        building.http("jellyfin", record.server_url or settings.url, bool(record.server_url)),
        building.tokens(record).access_token,
        record.account_id,
        settings.device_id,
        settings.calls_per_second,
    )


SPEC = ProviderSpec(INFO, JellyfinSettings, build, login=login)
