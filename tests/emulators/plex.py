"""A Plex Media Server emulator for the calls Tunebridge makes.

Serves the recorded payloads of ``tests/data/providers/plex`` (JSON when asked with
``Accept: application/json``): a music section, its tracks paged by
``X-Plex-Container-Start``/``-Size``, hub search, audio playlists that are created from a
``server://`` URI, appended to, and emptied item by item by ``playlistItemID``; ratings.
A missing or wrong ``X-Plex-Token`` gets 401, as Plex answers.

Run it alone for a demo: ``python -m tests.emulators.plex --port 8767``.
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery

DATA = Path(__file__).resolve().parents[1] / "data" / "providers" / "plex"
TOKEN = "emulator-plex-token"
MACHINE = "emulated-machine-identifier"


def recorded_tracks() -> list[dict[str, Any]]:
    data = json.loads((DATA / "album_children_tracks.json").read_text())
    return [t for t in data["MediaContainer"]["Metadata"] if t.get("type") == "track"]


@dataclass
class PlexState:
    """The emulator's world; tests shape it and read it back."""

    tracks: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {str(t["ratingKey"]): t for t in recorded_tracks()}
    )
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    next_key: int = 50_000
    next_item: int = 1

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
        return refused(request) or {
            "MediaContainer": {
                "Directory": [
                    {"key": "5", "type": "artist", "title": "Music"},
                    {"key": "1", "type": "movie", "title": "Films"},
                ]
            }
        }

    @get("/library/sections/{section:int}/all")
    async def section_all(request: Request[Any, Any, Any], section: FromPath[int]) -> Any:
        if (no := refused(request)) is not None:
            return no
        return container(request, list(state.tracks.values()) if section == 5 else [])

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
        [root, sections, section_all, search, playlists, create, items, add, remove, move, rate],
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
