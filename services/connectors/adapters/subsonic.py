"""Subsonic and OpenSubsonic servers (Navidrome, Gonic, Supysonic, Airsonic...): the
library, playlists, starred songs, albums and artists, by URL, user and password (or an
OpenSubsonic API key).

Through our HTTP layer rather than a client library (py-opensonic, py-sonic): those are
synchronous ``requests`` clients, which would bypass the shared token buckets, retries,
call metrics and the address guard every user-given server goes through.

Each call carries a fresh salt and ``t = md5(password + salt)``; the password itself goes
on the wire only to a server older than tokens (API < 1.13, Supysonic), hex-encoded as the
API asks and in a form body, never in a URL. A connection made with an API key (the
OpenSubsonic ``apiKey`` extension, checked with ``getOpenSubsonicExtensions``) sends only
``apiKey``. The whole library is ``search3`` with an empty query, paged; a playlist is
rewritten in order with ``createPlaylist`` + ``playlistId``; items are removed by index
(``updatePlaylist``); long lists travel as a form POST.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

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
from services.connectors.domain.subsonic import (
    API_VERSION,
    TOKENS_UNSUPPORTED,
    answer,
    classify_subsonic,
    extensions,
    password_auth,
    token_auth,
    track_from_song,
)
from services.kernel.contracts import ArtistAlbum, Track
from services.kernel.records import ConnectionRecord

#: Ids per write call: a form body has no URL length limit, the server's own is unknown.
WRITE_BATCH = 500
#: More ids than this go in a form body rather than the URL.
FORM_AFTER = 50
#: The scope that marks a connection made with an OpenSubsonic API key.
API_KEY_SCOPE = "api_key"

INFO = ProviderInfo(
    "subsonic",
    "Subsonic / Navidrome",
    (*MEDIA_SERVER, *LIBRARY_SETS),
    AuthStrategy.SUBSONIC_PASSWORD,
)


class SubsonicSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``SUBSONIC``.

    Attributes:
        url: The server used when a connection names none (Navidrome's default port).
        client_name: How Tunebridge names itself to the server (the ``c`` parameter).
        page_size: Songs per ``search3`` page when reading a whole library.
        calls_per_second: Calls per second to one server (a home server: be gentle).
    """

    url: str = "http://127.0.0.1:4533"
    client_name: str = "tunebridge"
    page_size: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 500
    calls_per_second: Annotated[float, msgspec.Meta(gt=0)] = 20.0


Mode = Literal["token", "password", "api_key"]
#: Servers (by their HTTP layer, one per address) known to take no salted tokens: learned
#: once, not by every adapter made for a request.
_NO_TOKENS: weakref.WeakSet[ProviderHttp] = weakref.WeakSet()


class SubsonicProvider(Provider):
    """One user's view of one Subsonic server."""

    name: ClassVar[str] = "subsonic"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    write_batch: ClassVar[int] = WRITE_BATCH

    def __init__(
        self,
        http: ProviderHttp,
        username: str | None,
        secret: str,
        *,
        api_key: bool = False,
        client_name: str = "tunebridge",
        page_size: int = 500,
        calls_per_second: float = 20.0,
    ) -> None:
        """``secret``: the password, or the API key when ``api_key``."""
        self.http = http
        self.username = username
        self._secret = secret
        self.mode: Mode = "api_key" if api_key else "token"
        self.client_name = client_name
        self.page_size = page_size
        self.bucket = Bucket("subsonic:server", calls_per_second, calls_per_second)
        self._extensions: frozenset[str] | None = None

    def __repr__(self) -> str:  # never the secret
        return f"SubsonicProvider(user={self.username!r}, mode={self.mode})"

    def _auth(self) -> dict[str, str]:
        if self.mode == "api_key":
            return {"apiKey": self._secret}
        if self.mode == "password":
            return password_auth(self.username or "", self._secret)
        return token_auth(self.username or "", self._secret)

    async def _call(
        self,
        method: str,
        idempotent: bool = True,
        form: bool = False,
        **params: Any,
    ) -> Mapping[str, Any]:
        """One API call; its ``subsonic-response``. A server that takes no token is asked
        again with the password (and remembered as such)."""
        if self.mode == "token" and self.http in _NO_TOKENS:
            self.mode = "password"
        sent_as = self.mode
        try:
            return await self._send(method, idempotent, form, params)
        except ProviderError as error:
            # Calls in flight together may each learn it: each is asked again.
            if sent_as != "token" or error.verdict.message != TOKENS_UNSUPPORTED:
                raise
            self.mode = "password"
            _NO_TOKENS.add(self.http)
            return await self._send(method, idempotent, form, params)

    async def _send(
        self, method: str, idempotent: bool, form: bool, params: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        fields = {"v": API_VERSION, "c": self.client_name, "f": "json", **params, **self._auth()}
        # A password never goes in a URL (access logs, proxies); nor do long lists.
        as_form = form or self.mode == "password"
        body = await self.http.call(
            "POST" if as_form else "GET",
            f"/rest/{method}",
            endpoint=method,
            params=None if as_form else fields,
            data=fields if as_form else None,
            buckets=[self.bucket],
            idempotent=idempotent,
        )
        return answer(body)

    async def server_extensions(self) -> frozenset[str]:
        """The OpenSubsonic extensions the server offers (none on a plain Subsonic)."""
        if self._extensions is None:
            try:
                self._extensions = extensions(
                    {"subsonic-response": await self._call("getOpenSubsonicExtensions")}
                )
            except ProviderError as error:
                if error.verdict.outcome not in ("client_error", "not_found"):
                    raise
                self._extensions = frozenset()
        return self._extensions

    async def profile(self) -> Profile:
        if self.mode == "api_key":
            if "apiKey" not in await self.server_extensions():
                # Plain words: this server has no API keys, so the key cannot be right.
                raise ProviderError(self.name, "getOpenSubsonicExtensions", Verdict("unauthorized"))
            info = (await self._call("tokenInfo")).get("tokenInfo") or {}
            self.username = str(info.get("username") or "") or None
        else:
            await self._call("ping")
        user = (await self._call("getUser", username=self.username or "")).get("user") or {}
        shown = str(user.get("username") or self.username or "")
        return Profile(self.name, shown, shown)

    async def _songs(self, method: str, key: str, **params: Any) -> list[Mapping[str, Any]]:
        found = (await self._call(method, **params)).get(key) or {}
        songs = found.get("song") or found.get("entry") or []
        return [s for s in songs if isinstance(s, Mapping)]

    async def library(self) -> AsyncIterator[Track]:
        """Every song: ``search3`` with an empty query, a page at a time (a song met twice
        across pages, as an unordered server may give it, counts once)."""

        async def page(offset: int, size: int) -> Page[Mapping[str, Any]]:
            songs = await self._songs(
                "search3",
                "searchResult3",
                query="",
                artistCount=0,
                albumCount=0,
                songCount=size,
                songOffset=offset,
            )
            # No total, and a server may give fewer than asked (found by an audit: one
            # capping pages at 100 had 150 of 250 present songs counted missing): only an
            # empty page is the last.
            return Page(songs, more=bool(songs))

        seen: set[str] = set()
        async for song in self._offset_pages("search3", page, self.page_size):
            song_id = str(song.get("id"))
            if song_id not in seen:
                seen.add(song_id)
                yield track_from_song(song, self.name)

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        found = (await self._call("getPlaylists")).get("playlists") or {}
        for item in found.get("playlist") or []:
            owner = item.get("owner")
            yield PlaylistInfo(
                self.name,
                str(item["id"]),
                str(item.get("name") or ""),
                item.get("songCount"),
                owned=owner is None or self.username is None or owner == self.username,
                snapshot=str(item["changed"]) if item.get("changed") else None,
            )

    async def _entries(self, playlist_id: str) -> list[str]:
        songs = await self._songs("getPlaylist", "playlist", id=playlist_id)
        return [str(s.get("id")) for s in songs]

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        for song in await self._songs("getPlaylist", "playlist", id=playlist_id):
            yield track_from_song(song, self.name)

    async def liked_tracks(self) -> AsyncIterator[Track]:
        for song in await self._songs("getStarred2", "starred2"):
            yield track_from_song(song, self.name)

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        before = {p.playlist_id async for p in self.playlists()}
        # Not repeated on its own: a lost answer would make a second playlist.
        created = (await self._call("createPlaylist", idempotent=False, name=name)).get("playlist")
        if isinstance(created, Mapping) and created.get("id") is not None:
            playlist_id = str(created["id"])
        else:  # API < 1.14 answers nothing: the new one is the playlist that was not there
            made = [p async for p in self.playlists() if p.name == name]
            fresh = [p for p in made if p.playlist_id not in before]
            if not fresh:
                raise ProviderError(self.name, "createPlaylist", Verdict("server_error"))
            playlist_id = fresh[-1].playlist_id
        if description:
            await self._call("updatePlaylist", playlistId=playlist_id, comment=description)
        return PlaylistInfo(self.name, playlist_id, name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._call(
            "updatePlaylist",
            idempotent=False,
            form=len(track_ids) > FORM_AFTER,
            playlistId=playlist_id,
            songIdToAdd=list(track_ids),
        )

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        return (await self._entries(playlist_id))[-count:] if count else []

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Every occurrence of these tracks, by index, in one call (indexes are those of
        the playlist as just read; a call whose fate is unknown is not repeated blindly)."""
        doomed = {str(t) for t in track_ids}
        indexes = [i for i, s in enumerate(await self._entries(playlist_id)) if s in doomed]
        if indexes:
            await self._call(
                "updatePlaylist",
                idempotent=False,
                form=len(indexes) > FORM_AFTER,
                playlistId=playlist_id,
                songIndexToRemove=indexes,
            )

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        if sorted(await self._entries(playlist_id)) != sorted(order):
            raise ValueError("a reorder cannot add or remove tracks")
        # Rewriting a playlist with the same list twice gives the same playlist.
        await self._call(
            "createPlaylist",
            form=len(order) > FORM_AFTER,
            playlistId=playlist_id,
            songId=list(order),
        )

    async def _star(self, method: str, track_ids: Sequence[str]) -> None:
        for batch in batches(list(track_ids), WRITE_BATCH):  # unstarring twice is harmless
            await self._call(method, form=len(batch) > FORM_AFTER, id=list(batch))

    async def like(self, track_ids: Sequence[str]) -> None:
        # Some servers (Supysonic) refuse to star a starred song: star only the others.
        starred = {t.provider_id async for t in self.liked_tracks()}
        await self._star("star", [t for t in dict.fromkeys(track_ids) if t not in starred])

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._star("unstar", track_ids)

    async def _starred(self, key: str) -> list[Mapping[str, Any]]:
        found = ((await self._call("getStarred2")).get("starred2") or {}).get(key) or []
        return [item for item in found if isinstance(item, Mapping) and item.get("id")]

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        for album in await self._starred("album"):
            yield album_from_subsonic(album, self.name)

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        for artist in await self._starred("artist"):
            yield ArtistInfo(self.name, str(artist["id"]), str(artist.get("name") or ""))

    async def _star_ids(self, method: str, key: str, ids: Sequence[str], held: set[str]) -> None:
        # Some servers (Supysonic) refuse to star what is starred: only the others.
        wanted = [i for i in dict.fromkeys(ids) if method == "unstar" or i not in held]
        for batch in batches(wanted, WRITE_BATCH):
            named: dict[str, Any] = {key: list(batch)}
            await self._call(method, form=len(batch) > FORM_AFTER, **named)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        held = {a.album_id async for a in self.saved_albums()}
        await self._star_ids("star", "albumId", album_ids, held)

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        await self._star_ids("unstar", "albumId", album_ids, set())

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        held = {a.artist_id async for a in self.followed_artists()}
        await self._star_ids("star", "artistId", artist_ids, held)

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        await self._star_ids("unstar", "artistId", artist_ids, set())

    async def _search3(self, text: str, key: str, limit: int) -> list[Mapping[str, Any]]:
        counts: dict[str, Any] = {"artistCount": 0, "albumCount": 0, "songCount": 0}
        counts[f"{key}Count"] = limit
        found = (await self._call("search3", query=text, **counts)).get("searchResult3") or {}
        return [i for i in found.get(key) or [] if isinstance(i, Mapping) and i.get("id")]

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        found = await self._search3(query.title, "album", limit)
        return [album_from_subsonic(a, self.name).record() for a in found]

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        found = await self._search3(query.title, "artist", limit)
        return [
            ArtistInfo(self.name, str(a["id"]), str(a.get("name") or "")).record() for a in found
        ]

    async def _artist_albums(self, artist_id: str, limit: int) -> list[ArtistAlbum]:
        # ``getArtist``: the artist with its albums (``AlbumID3``: a name and a year).
        artist = (await self._call("getArtist", id=artist_id)).get("artist") or {}
        albums = artist.get("album") if isinstance(artist, Mapping) else None
        found = []
        for album in (albums or [])[:limit]:
            if isinstance(album, Mapping):
                year = album.get("year")
                found.append(
                    ArtistAlbum(
                        title=str(album.get("name") or album.get("title") or ""),
                        release_date=str(year) if isinstance(year, int) and year > 0 else None,
                    )
                )
        return found

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        text = query.title or (query.artists[0] if query.artists else "")
        if not text:
            return []
        songs = await self._songs(
            "search3", "searchResult3", query=text, artistCount=0, albumCount=0, songCount=limit
        )
        tracks = [track_from_song(s, self.name) for s in songs]
        return exact_first(tracks, query, limit)

    async def scanning(self) -> bool:
        """Whether the server is scanning its folders now (``getScanStatus``)."""
        status = (await self._call("getScanStatus")).get("scanStatus") or {}
        return bool(status.get("scanning"))

    async def start_scan(self) -> None:
        """``startScan`` (an administrator's right). Servers start the scan before they
        answer, Supysonic and Navidrome alike; asking while one runs goes on with it."""
        await self._call("startScan")

    async def track(self, track_id: str) -> Track | None:
        try:
            song = (await self._call("getSong", id=track_id)).get("song")
        except ProviderError as error:
            if error.verdict.outcome == "not_found":
                return None
            raise
        return track_from_song(song, self.name) if isinstance(song, Mapping) else None


def album_from_subsonic(album: Mapping[str, Any], provider: str = "subsonic") -> AlbumInfo:
    """An ``AlbumID3`` (starred, or found by ``search3``) as an album: Subsonic gives no
    UPC; its year, and its ``songCount`` as the track count."""
    year = album.get("year")
    count = album.get("songCount")
    return AlbumInfo(
        provider,
        str(album["id"]),
        str(album.get("name") or album.get("title") or ""),
        (str(album["artist"]),) if album.get("artist") else (),
        count if isinstance(count, int) else None,
        str(year) if isinstance(year, int) and year > 0 else None,
    )


def build(building: Building, record: ConnectionRecord, settings: SubsonicSettings) -> Provider:
    """The server a connection names (else the installation's), as its user."""
    api_key = API_KEY_SCOPE in record.scopes
    return SubsonicProvider(
        # The installation's own server is the administrator's; a user's URL is guarded.
        building.http("subsonic", record.server_url or settings.url, bool(record.server_url)),
        record.account_id,
        building.tokens(record).access_token,
        api_key=api_key,
        client_name=settings.client_name,
        page_size=settings.page_size,
        calls_per_second=settings.calls_per_second,
    )


SPEC = ProviderSpec(INFO, SubsonicSettings, build, classify_subsonic)
