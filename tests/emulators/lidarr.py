"""A Lidarr (API v1) emulator for the calls Tunebridge makes.

Written from our description of Lidarr's API (the OpenAPI document is GPL and is not
copied here): ``X-Api-Key`` or a 401; quality and metadata profiles and root folders to
choose among; artists and albums (with ``statistics``: ``trackCount``,
``trackFileCount``); an album look-up by a search term that finds the emulator's
"MusicBrainz" catalogue (``id`` 0 until added); adding an album adds its artist too;
monitoring albums; an ``AlbumSearch`` command that goes ``queued`` -> ``started`` ->
``completed`` over ``search_s`` and then marks the album's tracks imported (or
``failed`` for an album listed in ``unfindable``); any other command (``RescanFolders``)
completes likewise; each album's tracks (``/track?albumId=``, ``hasFile`` for the first
``trackFileCount``, titled from ``titles`` else "Track N"); ``/system/status``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response, get, post, put
from litestar.params import FromPath

API_KEY = "emulator-lidarr-key"


@dataclass
class LidarrState:
    #: What the look-up can find: artist name -> album title -> track count.
    catalogue: dict[str, dict[str, int]] = field(default_factory=dict)
    artists: dict[int, dict[str, Any]] = field(default_factory=dict)
    albums: dict[int, dict[str, Any]] = field(default_factory=dict)
    commands: dict[int, dict[str, Any]] = field(default_factory=dict)
    unfindable: set[str] = field(default_factory=set)
    #: Track titles of an album, by (artist, album), in order (else "Track N").
    titles: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    search_s: float = 1.0
    next_id: int = 1
    quality_profiles: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "Any"}, {"id": 4, "name": "Lossless"}]
    )
    metadata_profiles: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "name": "Standard"}]
    )
    root_folders: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 1, "path": "/music", "accessible": True}]
    )

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def own(self, artist: str, album: str, tracks: int, on_disk: int) -> None:
        """An album already in Lidarr's library, ``on_disk`` of its tracks imported."""
        artist_id = self._artist(artist, {})["id"]
        album_id = self.new_id()
        self.albums[album_id] = {
            "id": album_id,
            "title": album,
            "artistId": artist_id,
            "foreignAlbumId": f"mb-{artist}-{album}",
            "monitored": False,
            "statistics": {"trackCount": tracks, "trackFileCount": on_disk},
        }

    def _artist(self, name: str, extra: dict[str, Any]) -> dict[str, Any]:
        for artist in self.artists.values():
            if artist["artistName"] == name:
                return artist
        artist_id = self.new_id()
        self.artists[artist_id] = {
            "id": artist_id,
            "artistName": name,
            "foreignArtistId": f"mb-{name}",
            **{k: v for k, v in extra.items() if k != "id"},
        }
        return self.artists[artist_id]


def lidarr_app(state: LidarrState) -> Litestar:
    def refused(request: Request[Any, Any, Any]) -> Response[Any] | None:
        key = request.headers.get("x-api-key") or request.query_params.get("apikey")
        return None if key == API_KEY else Response({"message": "Unauthorized"}, status_code=401)

    def album_view(album: dict[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(album)
        view["artist"] = copy.deepcopy(state.artists.get(album["artistId"], {}))
        return view

    @get("/api/v1/qualityprofile")
    async def quality(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or state.quality_profiles

    @get("/api/v1/metadataprofile")
    async def metadata(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or state.metadata_profiles

    @get("/api/v1/rootfolder")
    async def roots(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or state.root_folders

    @get("/api/v1/artist")
    async def artists(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or list(state.artists.values())

    @get("/api/v1/album")
    async def albums(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or [album_view(a) for a in state.albums.values()]

    @get("/api/v1/album/{album_id:int}")
    async def album(request: Request[Any, Any, Any], album_id: FromPath[int]) -> Any:
        if (no := refused(request)) is not None:
            return no
        found = state.albums.get(album_id)
        return album_view(found) if found else Response({"message": "NotFound"}, status_code=404)

    @get("/api/v1/system/status")
    async def status(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or {"appName": "Lidarr", "instanceName": "Lidarr", "version": "2"}

    @get("/api/v1/track")
    async def tracks(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        album = state.albums.get(int(request.query_params.get("albumId") or 0))
        if album is None:
            return []
        artist = state.artists[album["artistId"]]["artistName"]
        titles = state.titles.get((artist, album["title"]), [])
        stats = album["statistics"]
        return [
            {
                "id": album["id"] * 1000 + n,
                "artistId": album["artistId"],
                "albumId": album["id"],
                "trackNumber": str(n),
                "absoluteTrackNumber": n,
                "title": titles[n - 1] if n <= len(titles) else f"Track {n}",
                "duration": 180_000,
                "hasFile": n <= stats["trackFileCount"],
            }
            for n in range(1, stats["trackCount"] + 1)
        ]

    @get("/api/v1/album/lookup")
    async def lookup(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        words = set(request.query_params.get("term", "").casefold().split())
        found = []
        for artist, titles in state.catalogue.items():
            for title, tracks in titles.items():
                if not words <= set(f"{artist} {title}".casefold().split()):
                    continue
                owned = next(
                    (
                        a
                        for a in state.albums.values()
                        if a["foreignAlbumId"] == f"mb-{artist}-{title}"
                    ),
                    None,
                )
                found.append(
                    album_view(owned)
                    if owned
                    else {
                        "id": 0,
                        "title": title,
                        "foreignAlbumId": f"mb-{artist}-{title}",
                        "artist": {"artistName": artist, "foreignArtistId": f"mb-{artist}"},
                        "statistics": {"trackCount": tracks, "trackFileCount": 0},
                    }
                )
        return found

    @post("/api/v1/album", status_code=201)
    async def add_album(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        body = await request.json()
        given = body.get("artist") or {}
        for needed in ("qualityProfileId", "metadataProfileId", "rootFolderPath"):
            if not given.get(needed):
                return Response(
                    [{"propertyName": needed, "errorMessage": f"'{needed}' must not be empty."}],
                    status_code=400,
                )
        artist = state._artist(given["artistName"], given)
        album_id = state.new_id()
        tracks = state.catalogue.get(artist["artistName"], {}).get(body["title"], 10)
        state.albums[album_id] = {
            "id": album_id,
            "title": body["title"],
            "artistId": artist["id"],
            "foreignAlbumId": body["foreignAlbumId"],
            "monitored": bool(body.get("monitored")),
            "statistics": {"trackCount": tracks, "trackFileCount": 0},
        }
        return album_view(state.albums[album_id])

    @put("/api/v1/album/monitor", status_code=202)
    async def monitor(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        body = await request.json()
        for album_id in body.get("albumIds", []):
            if album_id in state.albums:
                state.albums[album_id]["monitored"] = bool(body.get("monitored"))
        return None

    def command_view(command: dict[str, Any]) -> dict[str, Any]:
        elapsed = time.monotonic() - command["started_at"]
        view = {k: v for k, v in command.items() if k != "started_at"}
        if elapsed < state.search_s / 3:
            view["status"] = "queued"
        elif elapsed < state.search_s:
            view["status"] = "started"
        else:
            album_ids = command["body"].get("albumIds", [])
            titles = [state.albums[a]["title"] for a in album_ids if a in state.albums]
            if any(t in state.unfindable for t in titles):
                view.update(status="failed", message="No releases found")
            else:
                view["status"] = "completed"
                for album_id in album_ids:  # the release grabbed and imported
                    stats = state.albums[album_id]["statistics"]
                    stats["trackFileCount"] = stats["trackCount"]
        return view

    @post("/api/v1/command", status_code=201)
    async def command(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        body = await request.json()
        command_id = state.new_id()
        state.commands[command_id] = {
            "id": command_id,
            "name": body["name"],
            "commandName": body["name"],
            "body": body,
            "started_at": time.monotonic(),
        }
        return command_view(state.commands[command_id])

    @get("/api/v1/command/{command_id:int}")
    async def get_command(request: Request[Any, Any, Any], command_id: FromPath[int]) -> Any:
        if (no := refused(request)) is not None:
            return no
        found = state.commands.get(command_id)
        return command_view(found) if found else Response({"message": "NotFound"}, status_code=404)

    return Litestar(
        [
            status,
            tracks,
            quality,
            metadata,
            roots,
            artists,
            albums,
            lookup,
            album,
            add_album,
            monitor,
            command,
            get_command,
        ]
    )
