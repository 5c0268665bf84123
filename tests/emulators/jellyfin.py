"""A Jellyfin server emulator for the calls Tunebridge makes, following Jellyfin's OpenAPI
document (``/Users/Me``, ``/Users``, ``/UserViews``, ``/Items``, ``/Playlists``,
``/UserFavoriteItems``: songs, and the albums and artists made from their tags, as
``MusicAlbum`` and ``MusicArtist`` items, an artist's albums by ``albumArtistIds``) and
Jellyfin 12's authentication: a token is
accepted only in ``Authorization: MediaBrowser ..., Token="…"``; the legacy
``X-Emby-Token`` and ``X-Emby-Authorization`` headers and the ``api_key``/``ApiKey``
query parameters are refused with 401 (and counted), as Jellyfin 12 refuses them.
``/Users/AuthenticateByName`` trades the user's name and password for a fresh access
token.

A user's access token acts as that user; the administrator's API key acts as whichever
user a request names (``userId``), and has no ``/Users/Me``. Lists page with
``startIndex``/``limit``; playlist entries carry their own ``PlaylistItemId``, the id that
removals (``entryIds``) and moves (``/Move/{newIndex}``) name.

Run it alone for a demo: ``python -m tests.emulators.jellyfin --port 8769``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import uvicorn
from litestar import Litestar, Request, Response, delete, get, post
from litestar.params import FromPath

TOKEN = "emulator-jellyfin-user-token"
API_KEY = "emulator-jellyfin-api-key"
USER_ID = "4f1c8a2b9d3e4f5a8b7c6d5e4f3a2b1c"
USER_NAME = "alice"
PASSWORD = "jellyfin password"
MUSIC_VIEW = "7e64e319657a9516ec78490da03edccb"
MOVIES_VIEW = "f137a2dd21bbc1b99aa5c0f6bf02a805"
TICKS_PER_MS = 10_000
_PAIR = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class JellyfinState:
    """The emulator's world; tests shape it and read it back."""

    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    favourites: set[str] = field(default_factory=set)
    #: Requests that tried a legacy way of sending a token (refused).
    legacy_auth: int = 0
    #: Requests whose auth header was the one Jellyfin 12 takes.
    calls: int = 0
    #: Access tokens handed out by log-ins (each acts as the user, like ``TOKEN``).
    sessions: set[str] = field(default_factory=set)
    #: Songs on disk the library has not scanned yet (``/Library/Refresh`` takes them in).
    unscanned: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Answers of the scan task still to say "Running" (a scan takes a while).
    scan_polls_left: int = 0
    refreshes: int = 0
    #: The library's folder on disk, when it has one: a refresh reads the tags of audio
    #: files it does not know yet and adds them, as Jellyfin's library scan does.
    folder: Path | None = None
    #: The files already in the library (path -> item id).
    scanned_files: dict[str, str] = field(default_factory=dict)

    def add_track(
        self, title: str, artist: str, album: str = "Tunebridge Tests", seconds: int = 200
    ) -> str:
        """A song in the music library; its item id."""
        item_id = secrets.token_hex(16)
        self.tracks[item_id] = {
            "Id": item_id,
            "Name": title,
            "Type": "Audio",
            "MediaType": "Audio",
            "Album": album,
            "AlbumArtist": artist,
            "AlbumArtists": [{"Name": artist, "Id": secrets.token_hex(16)}],
            "Artists": [artist],
            "ArtistItems": [{"Name": artist, "Id": secrets.token_hex(16)}],
            "IndexNumber": len(self.tracks) + 1,
            "ParentIndexNumber": 1,
            "RunTimeTicks": seconds * 1000 * TICKS_PER_MS,
            "ProductionYear": 2024,
            "ParentId": MUSIC_VIEW,
        }
        return item_id

    def land(self, title: str, artist: str, album: str = "Tunebridge Tests") -> str:
        """A song whose file arrived (downloaded, say): in the library after the next scan."""
        item_id = self.add_track(title, artist, album)
        self.unscanned[item_id] = self.tracks.pop(item_id)
        return item_id

    def scan_folder(self) -> int:
        """Add the audio files of ``folder`` not in the library yet (title, artist, album
        and length from their tags, as mutagen reads them); how many were added."""
        if self.folder is None:
            return 0
        added = 0
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or str(path) in self.scanned_files:
                continue
            audio = mutagen.File(path, easy=True)
            if audio is None or audio.info is None:
                continue
            tags = audio.tags or {}

            def tag(name: str, tags: Any = tags) -> str:
                values = tags.get(name) or [""]
                return str(values[0])

            title, artist = tag("title") or path.stem, tag("artist")
            item_id = self.add_track(
                title, artist, tag("album") or "", max(1, round(audio.info.length))
            )
            self.scanned_files[str(path)] = item_id
            self.tracks[item_id]["Path"] = str(path)  # asked for in Fields, as Jellyfin's
            added += 1
        return added

    def items_of(self, playlist_id: str) -> list[str]:
        """A playlist's item ids, in order."""
        return [item for _, item in self.playlists[playlist_id]["entries"]]

    def titles(self) -> dict[str, list[str]]:
        """Each playlist's song titles, in order."""
        return {
            p["name"]: [self.tracks[i]["Name"] for _, i in p["entries"]]
            for p in self.playlists.values()
        }


def _id(*names: str) -> str:
    return hashlib.md5("\0".join(names).encode()).hexdigest()


def releases(state: JellyfinState) -> tuple[dict[str, Any], dict[str, Any]]:
    """The library's albums and artists, as Jellyfin makes them from its songs' tags: an
    album per album artist and title (``ChildCount`` its songs), an artist per name."""
    albums: dict[str, dict[str, Any]] = {}
    artists: dict[str, dict[str, Any]] = {}
    for t in state.tracks.values():
        if t.get("Album"):
            album_id = _id("album", t["AlbumArtist"], t["Album"])
            album = albums.setdefault(
                album_id,
                {
                    "Id": album_id,
                    "Name": t["Album"],
                    "Type": "MusicAlbum",
                    "AlbumArtist": t["AlbumArtist"],
                    "AlbumArtists": [
                        {"Name": t["AlbumArtist"], "Id": _id("artist", t["AlbumArtist"])}
                    ],
                    "ProductionYear": t.get("ProductionYear"),
                    "ChildCount": 0,
                },
            )
            album["ChildCount"] += 1
        for name in t.get("Artists") or []:
            artist_id = _id("artist", name)
            artists.setdefault(artist_id, {"Id": artist_id, "Name": name, "Type": "MusicArtist"})
    return albums, artists


def _page(request: Request[Any, Any, Any], items: list[Any]) -> dict[str, Any]:
    start = int(request.query_params.get("startIndex") or 0)
    limit = request.query_params.get("limit")
    end = start + int(limit) if limit else len(items)
    return {"Items": items[start:end], "TotalRecordCount": len(items), "StartIndex": start}


def jellyfin_app(state: JellyfinState) -> Litestar:
    def caller(request: Request[Any, Any, Any]) -> str | Response[Any]:
        """``"user"`` or ``"key"``, or the 401 Jellyfin 12 answers."""
        legacy = (
            "x-emby-token" in request.headers
            or "x-emby-authorization" in request.headers
            or "x-mediabrowser-token" in request.headers
            or any(k.lower() in ("api_key", "apikey") for k in request.query_params)
        )
        if legacy:
            state.legacy_auth += 1
            return Response(status_code=401, content="Unauthorized")
        header = request.headers.get("authorization", "")
        if not header.startswith("MediaBrowser "):
            return Response(status_code=401, content="Unauthorized")
        token = dict(_PAIR.findall(header)).get("Token")
        state.calls += 1
        if token == TOKEN or token in state.sessions:
            return "user"
        if token == API_KEY:
            return "key"
        return Response(status_code=401, content="Unauthorized")

    def as_user(request: Request[Any, Any, Any]) -> Response[Any] | None:
        """A refusal, or None when the request may act as the one user."""
        who = caller(request)
        if isinstance(who, Response):
            return who
        wanted = request.query_params.get("userId") or request.query_params.get("UserId")
        if who == "key" and not wanted:
            return Response(status_code=400, content="userId is required with an API key")
        if wanted and wanted != USER_ID:
            return Response(status_code=404, content="no such user")
        return None

    def user() -> dict[str, Any]:
        return {"Id": USER_ID, "Name": USER_NAME, "Policy": {"IsAdministrator": False}}

    def with_user_data(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "UserData": {"IsFavorite": item["Id"] in state.favourites}}

    @get("/System/Info/Public")
    async def public_info() -> dict[str, Any]:
        return {"ServerName": "Emulated Jellyfin", "Version": "12.0.0", "Id": "emulated"}

    @post("/Users/AuthenticateByName", status_code=200)
    async def authenticate(request: Request[Any, Any, Any]) -> Any:
        # A log-in names its client in the MediaBrowser header, with no token yet.
        if not request.headers.get("authorization", "").startswith("MediaBrowser "):
            return Response(status_code=401, content="Unauthorized")
        body = await request.json()
        if (body.get("Username"), body.get("Pw")) != (USER_NAME, PASSWORD):
            return Response(status_code=401, content="Invalid username or password")
        token = secrets.token_hex(16)
        state.sessions.add(token)
        return {"AccessToken": token, "User": user(), "ServerId": "emulated"}

    @post("/Library/Refresh", status_code=200)
    async def refresh(request: Request[Any, Any, Any]) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        state.refreshes += 1
        state.tracks.update(state.unscanned)
        state.unscanned.clear()
        state.scan_folder()
        state.scan_polls_left = 2
        return Response(status_code=204, content=b"")

    @get("/ScheduledTasks")
    async def tasks(request: Request[Any, Any, Any]) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        running = state.scan_polls_left > 0
        state.scan_polls_left = max(0, state.scan_polls_left - 1)
        task = {"Name": "Scan Media Library", "Key": "RefreshLibrary"}
        return [{**task, "State": "Running" if running else "Idle"}]

    @get("/Users/Me")
    async def me(request: Request[Any, Any, Any]) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        if who == "key":  # an API key is no user
            return Response(status_code=400, content="no user is signed in with an API key")
        return user()

    @get("/Users")
    async def users(request: Request[Any, Any, Any]) -> Any:
        who = caller(request)
        return who if isinstance(who, Response) else [user()]

    @get("/UserViews")
    async def views(request: Request[Any, Any, Any]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        found = [
            {"Id": MUSIC_VIEW, "Name": "Music", "CollectionType": "music", "Type": "Folder"},
            {"Id": MOVIES_VIEW, "Name": "Movies", "CollectionType": "movies", "Type": "Folder"},
        ]
        return {"Items": found, "TotalRecordCount": len(found)}

    @get("/Items")
    async def items(request: Request[Any, Any, Any]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        query = request.query_params
        kinds = set((query.get("includeItemTypes") or "").split(","))
        if "Playlist" in kinds:
            found = [
                {"Id": pid, "Name": p["name"], "Type": "Playlist", "ChildCount": len(p["entries"])}
                for pid, p in state.playlists.items()
            ]
            return _page(request, found)
        if kinds & {"MusicAlbum", "MusicArtist"}:
            albums, artists = releases(state)
            found = [
                with_user_data(r)
                for r in [*albums.values(), *artists.values()]
                if r["Type"] in kinds
            ]
            if "IsFavorite" in (query.get("filters") or ""):
                found = [r for r in found if r["Id"] in state.favourites]
            term = (query.get("searchTerm") or "").casefold()
            found = [r for r in found if term in r["Name"].casefold()]
            by = {i for i in (query.get("albumArtistIds") or "").split(",") if i}
            if by:
                found = [r for r in found if {a["Id"] for a in r.get("AlbumArtists") or []} & by]
            return _page(request, found)
        parent = query.get("parentId")
        if parent == MOVIES_VIEW:
            return _page(request, [{"Id": "m1", "Name": "A film", "Type": "Movie"}])
        songs = [with_user_data(t) for t in state.tracks.values()]
        if "IsFavorite" in (query.get("filters") or ""):
            songs = [s for s in songs if s["Id"] in state.favourites]
        term = (query.get("searchTerm") or "").casefold()
        if term:
            songs = [s for s in songs if term in s["Name"].casefold()]
        return _page(request, songs)

    @get("/Items/{item_id:str}")
    async def item(request: Request[Any, Any, Any], item_id: FromPath[str]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        if item_id not in state.tracks:
            return Response(status_code=404, content="not found")
        return with_user_data(state.tracks[item_id])

    @post("/Playlists", status_code=200)
    async def create(request: Request[Any, Any, Any]) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        body = await request.json()
        if body.get("UserId") not in (None, USER_ID) or (who == "key" and not body.get("UserId")):
            return Response(status_code=400, content="UserId")
        playlist_id = secrets.token_hex(16)
        state.playlists[playlist_id] = {"name": body["Name"], "entries": []}
        for item_id in body.get("Ids") or []:
            state.playlists[playlist_id]["entries"].append((secrets.token_hex(16), item_id))
        return {"Id": playlist_id}

    @get("/Playlists/{playlist_id:str}/Items")
    async def entries(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        if playlist_id not in state.playlists:
            return Response(status_code=404, content="not found")
        found = [
            {**with_user_data(state.tracks[i]), "PlaylistItemId": entry}
            for entry, i in state.playlists[playlist_id]["entries"]
        ]
        return _page(request, found)

    @post("/Playlists/{playlist_id:str}/Items", status_code=200)
    async def add(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        if playlist_id not in state.playlists:
            return Response(status_code=404, content="not found")
        for item_id in (request.query_params.get("ids") or "").split(","):
            if item_id not in state.tracks:
                return Response(status_code=400, content="unknown item")
            state.playlists[playlist_id]["entries"].append((secrets.token_hex(16), item_id))
        return Response(status_code=204, content=b"")

    @delete("/Playlists/{playlist_id:str}/Items", status_code=200)
    async def remove(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        if playlist_id not in state.playlists:
            return Response(status_code=404, content="not found")
        doomed = set((request.query_params.get("entryIds") or "").split(","))
        playlist = state.playlists[playlist_id]
        playlist["entries"] = [e for e in playlist["entries"] if e[0] not in doomed]
        return Response(status_code=204, content=b"")

    @post("/Playlists/{playlist_id:str}/Items/{entry:str}/Move/{index:int}", status_code=200)
    async def move(
        request: Request[Any, Any, Any],
        playlist_id: FromPath[str],
        entry: FromPath[str],
        index: FromPath[int],
    ) -> Any:
        who = caller(request)
        if isinstance(who, Response):
            return who
        listed = state.playlists.get(playlist_id, {}).get("entries")
        found = [e for e in listed or [] if e[0] == entry]
        if not found:
            return Response(status_code=404, content="not found")
        listed.remove(found[0])
        listed.insert(min(index, len(listed)), found[0])
        return Response(status_code=204, content=b"")

    @post("/UserFavoriteItems/{item_id:str}", status_code=200)
    async def favourite(request: Request[Any, Any, Any], item_id: FromPath[str]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        albums, artists = releases(state)
        if item_id not in state.tracks and item_id not in albums and item_id not in artists:
            return Response(status_code=404, content="not found")
        state.favourites.add(item_id)
        return {"IsFavorite": True, "ItemId": item_id}

    @delete("/UserFavoriteItems/{item_id:str}", status_code=200)
    async def unfavourite(request: Request[Any, Any, Any], item_id: FromPath[str]) -> Any:
        refused = as_user(request)
        if refused:
            return refused
        state.favourites.discard(item_id)
        return {"IsFavorite": False, "ItemId": item_id}

    return Litestar(
        [
            public_info,
            authenticate,
            refresh,
            tasks,
            me,
            users,
            views,
            items,
            item,
            create,
            entries,
            add,
            remove,
            move,
            favourite,
            unfavourite,
        ],
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8769)
    options = parser.parse_args()
    state = JellyfinState()
    for number in range(120):
        state.add_track(f"Song {number}", f"Artist {number % 7}")
    print(f"Jellyfin emulator on http://127.0.0.1:{options.port} (token: {TOKEN})")
    uvicorn.run(jellyfin_app(state), host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
