"""A Deezer API emulator that honours the public contract for the endpoints we use.

Serves the real recorded payloads of ``tests/data/providers/deezer`` as its catalogue:
``index``/``limit`` paging with ``next`` (carrying the access token, as Deezer does),
errors inside HTTP 200 (``OAuthException`` for a missing or wrong token, ``DataException``
800 for unknown ids), and fault injection: the quota error (code 4) every N calls.

Run it alone for a demo: ``python -m tests.emulators.deezer --port 8765``.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from litestar import Litestar, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery

DATA = Path(__file__).resolve().parents[1] / "data" / "providers" / "deezer"
TOKEN = "emulator-token"
APP_ID = "123456"
APP_SECRET = "emulated-app-secret"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def recorded_tracks() -> list[dict[str, Any]]:
    """Every distinct track object in the recorded payloads."""
    found: dict[int, dict[str, Any]] = {}
    sources = [
        [_load("track.json")],  # first: the full record wins over a listing's shorter one
        _load("playlist.json")["tracks"]["data"],
        _load("playlist_tracks_page.json")["data"],
        _load("user_tracks_page.json")["data"],
        _load("search_track_advanced.json")["data"],
        _load("search_page_limit2.json")["data"],
    ]
    for item in itertools.chain.from_iterable(sources):
        found.setdefault(item["id"], item)
    return list(found.values())


@dataclass
class DeezerState:
    """The emulator's world; tests shape it and read it back."""

    catalogue: list[dict[str, Any]] = field(default_factory=recorded_tracks)
    playlists: dict[int, list[int]] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    liked: list[int] = field(default_factory=list)
    max_limit: int = 100
    quota_error_every: int = 0
    calls: int = 0
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    #: The next N writes are carried out, then answered with a 502 (a lost response).
    lost_write_responses: int = 0
    codes: set[str] = field(default_factory=set)

    def consent(self, authorize_url: str) -> str:
        """The person says yes on Deezer's consent page: the code the redirect carries."""
        query = parse_qs(urlsplit(authorize_url).query)
        if query["app_id"][0] != APP_ID:
            raise ValueError("unknown app")
        code = f"code{len(self.codes) + 1}"
        self.codes.add(code)
        return code

    next_id: int = 10_000_000
    _by_id: dict[int, dict[str, Any]] = field(default_factory=dict)

    def track(self, track_id: int) -> dict[str, Any] | None:
        if len(self._by_id) != len(self.catalogue):
            self._by_id = {t["id"]: t for t in self.catalogue}
        return self._by_id.get(track_id)

    def add_generated_playlist(self, size: int) -> int:
        """A playlist of ``size`` distinct tracks (recorded ones, cloned with new ids)."""
        ids = []
        for number in range(size):
            item = copy.deepcopy(self.catalogue[number % len(recorded_tracks())])
            item["id"] = 900_000_000 + number
            item["title"] = f"{item['title']} ({number})"
            self.catalogue.append(item)
            ids.append(item["id"])
        return self.new_playlist(f"Generated {size}", ids)

    def new_playlist(self, title: str, ids: list[int] | None = None) -> int:
        self.next_id += 1
        self.playlists[self.next_id] = list(ids or [])
        self.titles[self.next_id] = title
        return self.next_id


def _error(kind: str, message: str, code: int) -> Response[Any]:
    return Response({"error": {"type": kind, "message": message, "code": code}}, status_code=200)


def deezer_app(state: DeezerState) -> Litestar:
    def gate(request: Request[Any, Any, Any], needs_user: bool) -> Response[Any] | None:
        state.calls += 1
        if state.quota_error_every and state.calls % state.quota_error_every == 0:
            return _error("Exception", "Quota limit exceeded", 4)
        token = request.query_params.get("access_token")
        if needs_user and token not in state.tokens:
            return _error("OAuthException", "An active access token must be used", 200)
        return None

    def page(request: Request[Any, Any, Any], items: list[Any]) -> dict[str, Any]:
        index = int(request.query_params.get("index", 0))
        limit = min(int(request.query_params.get("limit", 25)), state.max_limit)
        body: dict[str, Any] = {"data": items[index : index + limit], "total": len(items)}
        if index + limit < len(items):
            query = dict(request.query_params) | {"index": str(index + limit)}
            body["next"] = f"{request.url.path}?" + "&".join(f"{k}={v}" for k, v in query.items())
        if index > 0:
            body["prev"] = f"{request.url.path}?index={max(0, index - limit)}"
        return body

    @get("/search")
    async def search(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        wanted = {k: v.casefold() for k, v in _fields(q).items()}
        found = [
            t
            for t in state.catalogue
            if wanted.get("track", "") in t["title"].casefold()
            and wanted.get("artist", "") in t["artist"]["name"].casefold()
            and all(
                w in f"{t['title']} {t['artist']['name']}".casefold()
                for w in wanted.get("free", "").split()
            )
        ]
        return page(request, found)

    @get("/track/{ref:str}")
    async def track(request: Request[Any, Any, Any], ref: FromPath[str]) -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        if ref.startswith("isrc:"):
            found = next((t for t in state.catalogue if t.get("isrc") == ref[5:]), None)
        else:
            found = state.track(int(ref)) if ref.isdigit() else None
        return found or _error("DataException", "no data", 800)

    @get("/user/me")
    async def me(request: Request[Any, Any, Any]) -> Any:
        return gate(request, True) or _load("user_me.json")

    @get("/user/me/playlists")
    async def my_playlists(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        mine = [
            {
                "id": pid,
                "title": state.titles[pid],
                "nb_tracks": len(ids),
                "creator": {"id": _load("user_me.json")["id"]},
            }
            for pid, ids in state.playlists.items()
        ]
        return page(request, mine)

    @post("/user/me/playlists", status_code=200)
    async def create(request: Request[Any, Any, Any], title: FromQuery[str]) -> Any:
        return gate(request, True) or {"id": state.new_playlist(title)}

    @get("/playlist/{playlist_id:int}/tracks")
    async def playlist_tracks(request: Request[Any, Any, Any], playlist_id: FromPath[int]) -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        if playlist_id not in state.playlists:
            return _error("DataException", "no data", 800)
        return page(request, [state.track(i) for i in state.playlists[playlist_id]])

    @post("/playlist/{playlist_id:int}/tracks", status_code=200)
    async def add(
        request: Request[Any, Any, Any],
        playlist_id: FromPath[int],
        songs: FromQuery[str | None] = None,
        order: FromQuery[str | None] = None,
    ) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        if playlist_id not in state.playlists:
            return _error("DataException", "no data", 800)
        if order is not None:  # a reorder: the whole new order, same tracks
            wanted = [int(s) for s in order.split(",") if s]
            if sorted(wanted) != sorted(state.playlists[playlist_id]):
                return _error("ParameterException", "Wrong parameter", 500)
            state.playlists[playlist_id] = wanted
            return True
        state.playlists[playlist_id] += [int(s) for s in (songs or "").split(",") if s]
        if state.lost_write_responses > 0:
            state.lost_write_responses -= 1
            return Response({"error": "Bad Gateway"}, status_code=502)
        return True

    @get("/user/me/albums")
    async def my_albums(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        album = _load("album.json")
        return page(
            request,
            [
                {
                    key: album[key]
                    for key in ("id", "title", "cover_xl", "nb_tracks", "release_date", "artist")
                    if key in album
                }
            ],
        )

    @delete("/playlist/{playlist_id:int}/tracks", status_code=200)
    async def remove(
        request: Request[Any, Any, Any], playlist_id: FromPath[int], songs: FromQuery[str]
    ) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        gone = {int(s) for s in songs.split(",") if s}
        state.playlists[playlist_id] = [
            i for i in state.playlists.get(playlist_id, []) if i not in gone
        ]
        return True

    @get("/user/me/tracks")
    async def liked(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        return page(request, [state.track(i) for i in state.liked])

    @post("/user/me/tracks", status_code=200)
    async def like(request: Request[Any, Any, Any], track_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        if track_id not in state.liked:
            state.liked.append(track_id)
        return True

    @delete("/user/me/tracks", status_code=200)
    async def unlike(request: Request[Any, Any, Any], track_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        state.liked = [i for i in state.liked if i != track_id]
        return True

    @get("/oauth/access_token.php")
    async def access_token(
        app_id: FromQuery[str], secret: FromQuery[str], code: FromQuery[str]
    ) -> Any:
        if (app_id, secret) != (APP_ID, APP_SECRET) or code not in state.codes:
            return Response("wrong code", status_code=200, media_type="text/plain")
        state.codes.discard(code)
        token = f"dz-{code}"
        state.tokens.add(token)
        return {"access_token": token, "expires": 0}

    return Litestar(
        [
            search,
            track,
            me,
            my_playlists,
            create,
            playlist_tracks,
            add,
            remove,
            liked,
            like,
            unlike,
            access_token,
            my_albums,
        ],
        logging_config=None,
    )


def _fields(q: str) -> dict[str, str]:
    """``artist:"A" track:"B" rest`` -> {"artist": "A", "track": "B", "free": "rest"}."""
    import re

    found = {m.group(1): m.group(2) for m in re.finditer(r'(\w+):"([^"]*)"', q)}
    found["free"] = re.sub(r'\w+:"[^"]*"', " ", q).strip()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    state = DeezerState()
    state.add_generated_playlist(120)
    print(f"Deezer emulator on http://127.0.0.1:{options.port} (token: {TOKEN})")
    uvicorn.run(deezer_app(state), host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
