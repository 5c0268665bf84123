"""A Plex Media Server emulator for the calls Tunebridge makes.

Serves the recorded payloads of ``tests/data/providers/plex`` (JSON when asked with
``Accept: application/json``): a music section, its tracks, albums (``type=9``),
artists (``type=8``) and an artist's albums (``/library/metadata/{key}/children``), paged
by ``X-Plex-Container-Start``/``-Size``, hub search, audio playlists that are created from a
``server://`` URI, appended to, and emptied item by item by ``playlistItemID``; ratings.
A missing or wrong ``X-Plex-Token`` gets 401, as Plex answers. Given a ``folder``, the
music section also holds its tagged audio files, each listed like the recorded tracks with
its ``Media``/``Part`` ``file`` (its path as the server sees it); a section refresh takes in
files that arrived since.

Run it alone for a demo: ``python -m tests.emulators.plex --port 8767``.
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import uvicorn
from litestar import Litestar, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery

DATA = Path(__file__).resolve().parents[1] / "data" / "providers" / "plex"
TOKEN = "emulator-plex-token"
MACHINE = "emulated-machine-identifier"


def _recorded(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((DATA / name).read_text())["MediaContainer"][
        "Metadata"
    ]
    return items


def recorded_artists() -> list[dict[str, Any]]:
    """The recorded music section's artists (Skrillex, System of a Down)."""
    return _recorded("library_section_all_artists.json")


def recorded_albums() -> list[dict[str, Any]]:
    """The recorded album (Skrillex's "Try It Out", as the library search gave it, with
    its year), its ``leafCount`` the recorded tracks' count: album listings carry it."""
    album = _recorded("search_albums.json")[0]
    return [{**album, "leafCount": len(recorded_tracks())}]


def recorded_tracks() -> list[dict[str, Any]]:
    data = json.loads((DATA / "album_children_tracks.json").read_text())
    return [t for t in data["MediaContainer"]["Metadata"] if t.get("type") == "track"]


@dataclass
class PlexState:
    """The emulator's world; tests shape it and read it back."""

    tracks: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {str(t["ratingKey"]): t for t in recorded_tracks()}
    )
    #: The music section's artists and albums by key.
    artists: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {str(a["ratingKey"]): a for a in recorded_artists()}
    )
    albums: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {str(a["ratingKey"]): a for a in recorded_albums()}
    )
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    next_key: int = 50_000
    next_item: int = 1
    #: Tracks whose files arrived and that the next section refresh takes in.
    unscanned: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Answers of ``/library/sections`` still to say the music section is refreshing.
    refresh_polls_left: int = 0
    refreshes: int = 0
    #: A folder of audio files the music section holds (scanned on refresh), if any.
    folder: Path | None = None
    #: Files scanned already: their track's key.
    scanned_files: dict[str, str] = field(default_factory=dict)

    def scan_folder(self) -> int:
        """Add the audio files of ``folder`` not in the section yet, each a clone of a
        recorded track with its title, artist, album and length from the file's tags (as
        mutagen reads them) and its path as the part's ``file``; how many were added."""
        if self.folder is None:
            return 0
        base = recorded_tracks()[0]
        added = 0
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or str(path) in self.scanned_files:
                continue
            audio = mutagen.File(path, easy=True)
            if audio is None or audio.info is None:
                continue
            tags = audio.tags or {}

            def tag(name: str, tags: Any = tags) -> str:
                return str((tags.get(name) or [""])[0])

            track = copy.deepcopy(base)
            self.next_key += 1
            track["ratingKey"] = str(self.next_key)
            track["key"] = f"/library/metadata/{self.next_key}"
            track["title"] = tag("title") or path.stem
            track["grandparentTitle"] = tag("artist")
            track["parentTitle"] = tag("album")
            track["duration"] = round(audio.info.length * 1000)
            media = track["Media"][0]
            media["duration"] = track["duration"]
            media["Part"][0].update(file=str(path), duration=track["duration"])
            self.tracks[track["ratingKey"]] = track
            self.scanned_files[str(path)] = track["ratingKey"]
            added += 1
        return added

    def add_albums(self, count: int, start: int = 0) -> list[dict[str, Any]]:
        """``count`` more albums cloned from the recorded one, each with its own title,
        artist (added to the section's artists too) and key; the new albums."""
        base = recorded_albums()[0]
        made = []
        for number in range(start, start + count):
            self.next_key += 1
            artist_key = str(self.next_key)
            name = f"Plex Artist {number}"
            self.artists[artist_key] = {
                **copy.deepcopy(recorded_artists()[0]),
                "ratingKey": artist_key,
                "key": f"/library/metadata/{artist_key}/children",
                "title": name,
            }
            self.next_key += 1
            album = {
                **copy.deepcopy(base),
                "ratingKey": str(self.next_key),
                "key": f"/library/metadata/{self.next_key}/children",
                "title": f"Plex Album {number}",
                "parentRatingKey": artist_key,
                "parentTitle": name,
            }
            self.albums[album["ratingKey"]] = album
            made.append(album)
        return made

    def land(self, count: int) -> list[str]:
        """``count`` tracks whose files arrived: in the library after the next refresh."""
        keys = self.add_tracks(count)
        for key in keys:
            self.unscanned[key] = self.tracks.pop(key)
        return keys

    def add_tracks(self, count: int) -> list[str]:
        """``count`` more tracks cloned from the recorded ones, with new keys."""
        base = recorded_tracks()
        keys = []
        for number in range(count):
            track = copy.deepcopy(base[number % len(base)])
            self.next_key += 1
            track["ratingKey"] = str(self.next_key)
            track["title"] = f"{track['title']} ({number})"
            self.tracks[track["ratingKey"]] = track
            keys.append(track["ratingKey"])
        return keys

    def new_playlist(self, title: str, keys: list[str], smart: bool = False) -> str:
        self.next_key += 1
        key = str(self.next_key)
        self.playlists[key] = {"title": title, "smart": smart, "items": []}
        self.append(key, keys)
        return key

    def append(self, playlist: str, keys: list[str]) -> None:
        for key in keys:
            self.playlists[playlist]["items"].append((self.next_item, key))
            self.next_item += 1


def plex_app(state: PlexState) -> Litestar:
    def refused(request: Request[Any, Any, Any]) -> Response[Any] | None:
        token = request.headers.get("x-plex-token") or request.query_params.get("X-Plex-Token")
        return None if token == TOKEN else Response("Unauthorized", status_code=401)

    def container(request: Request[Any, Any, Any], items: list[Any], **extra: Any) -> Any:
        start = int(request.query_params.get("X-Plex-Container-Start", 0))
        size = int(request.query_params.get("X-Plex-Container-Size", len(items) or 1))
        chunk = items[start : start + size]
        return {
            "MediaContainer": {
                "size": len(chunk),
                "totalSize": len(items),
                "offset": start,
                "Metadata": chunk,
                **extra,
            }
        }

    def keys_of(uri: str) -> list[str]:
        tail = uri.rsplit("/library/metadata/", 1)[-1]
        return [k for k in tail.split(",") if k]

    @get("/")
    async def root(request: Request[Any, Any, Any]) -> Any:
        return refused(request) or {
            "MediaContainer": {"machineIdentifier": MACHINE, "friendlyName": "Emulated Plex"}
        }

    @get("/library/sections")
    async def sections(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        refreshing = state.refresh_polls_left > 0
        state.refresh_polls_left = max(0, state.refresh_polls_left - 1)
        return {
            "MediaContainer": {
                "Directory": [
                    {"key": "5", "type": "artist", "title": "Music", "refreshing": refreshing},
                    {"key": "1", "type": "movie", "title": "Films", "refreshing": False},
                ]
            }
        }

    @get("/library/sections/{section:int}/refresh")
    async def refresh(request: Request[Any, Any, Any], section: FromPath[int]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if section == 5:  # Plex answers at once and scans in the background
            state.refreshes += 1
            state.tracks.update(state.unscanned)
            state.unscanned.clear()
            state.scan_folder()
            state.refresh_polls_left = 2
        return Response(status_code=200, content=b"")

    @get("/library/sections/{section:int}/all")
    async def section_all(request: Request[Any, Any, Any], section: FromPath[int]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if section != 5:
            return container(request, [])
        kind = request.query_params.get("type")
        if kind == "8":
            return container(request, list(state.artists.values()))
        if kind == "9":
            return container(request, list(state.albums.values()))
        return container(request, list(state.tracks.values()))

    @get("/library/metadata/{key:str}/children")
    async def children(request: Request[Any, Any, Any], key: FromPath[str]) -> Any:
        # An artist's children are its albums; an album's, its tracks.
        if (no := refused(request)) is not None:
            return no
        if key in state.artists:
            kids = [a for a in state.albums.values() if str(a.get("parentRatingKey")) == key]
            return container(request, kids, key=key, parentTitle=state.artists[key]["title"])
        if key in state.albums:
            kids = [t for t in state.tracks.values() if str(t.get("parentRatingKey")) == key]
            return container(request, kids, key=key)
        return Response(status_code=404, content=b"")

    @get("/hubs/search")
    async def search(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        query = request.query_params.get("query", "")
        found = [t for t in state.tracks.values() if query.casefold() in t["title"].casefold()]
        return {"MediaContainer": {"Hub": [{"type": "track", "Metadata": found[:20]}]}}

    @get("/playlists")
    async def playlists(request: Request[Any, Any, Any]) -> Any:
        if (no := refused(request)) is not None:
            return no
        items = [
            {
                "ratingKey": k,
                "title": p["title"],
                "smart": p["smart"],
                "leafCount": len(p["items"]),
                "playlistType": "audio",
            }
            for k, p in state.playlists.items()
        ]
        return {"MediaContainer": {"size": len(items), "Metadata": items}}

    @post("/playlists", status_code=200)
    async def create(
        request: Request[Any, Any, Any], title: FromQuery[str], uri: FromQuery[str]
    ) -> Any:
        if (no := refused(request)) is not None:
            return no
        key = state.new_playlist(title, keys_of(uri))
        return {"MediaContainer": {"Metadata": [{"ratingKey": key, "title": title}]}}

    @get("/playlists/{playlist:str}/items")
    async def items(request: Request[Any, Any, Any], playlist: FromPath[str]) -> Any:
        if (no := refused(request)) is not None:
            return no
        if playlist not in state.playlists:
            return Response("Not Found", status_code=404)
        entries = [
            {**state.tracks[key], "playlistItemID": item_id}
            for item_id, key in state.playlists[playlist]["items"]
        ]
        return container(request, entries)

    @put("/playlists/{playlist:str}/items", status_code=200)
    async def add(
        request: Request[Any, Any, Any], playlist: FromPath[str], uri: FromQuery[str]
    ) -> Any:
        if (no := refused(request)) is not None:
            return no
        if state.playlists.get(playlist, {}).get("smart"):
            return Response("Bad Request", status_code=400)
        state.append(playlist, keys_of(uri))
        return {"MediaContainer": {"leafCountAdded": len(keys_of(uri))}}

    @delete("/playlists/{playlist:str}/items/{item:int}", status_code=200)
    async def remove(
        request: Request[Any, Any, Any], playlist: FromPath[str], item: FromPath[int]
    ) -> Any:
        if (no := refused(request)) is not None:
            return no
        entries = state.playlists[playlist]["items"]
        state.playlists[playlist]["items"] = [e for e in entries if e[0] != item]
        return {"MediaContainer": {}}

    @put("/playlists/{playlist:str}/items/{item:int}/move", status_code=200)
    async def move(
        request: Request[Any, Any, Any], playlist: FromPath[str], item: FromPath[int]
    ) -> Any:
        if (no := refused(request)) is not None:
            return no
        entries = state.playlists[playlist]["items"]
        moving = next(e for e in entries if e[0] == item)
        entries.remove(moving)
        after = request.query_params.get("after")
        at = (
            0 if after is None else next(i for i, e in enumerate(entries) if e[0] == int(after)) + 1
        )
        entries.insert(at, moving)
        return {"MediaContainer": {}}

    @put("/:/rate", status_code=200)
    async def rate(
        request: Request[Any, Any, Any], key: FromQuery[str], rating: FromQuery[int]
    ) -> Any:
        if (no := refused(request)) is not None:
            return no
        state.ratings[key] = rating
        return None

    return Litestar(
        [
            root,
            sections,
            refresh,
            section_all,
            search,
            children,
            playlists,
            create,
            items,
            add,
            remove,
            move,
            rate,
        ],
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8767)
    options = parser.parse_args()
    state = PlexState()
    state.add_tracks(120)
    print(f"Plex emulator on http://127.0.0.1:{options.port} (token: {TOKEN})")
    uvicorn.run(plex_app(state), host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
