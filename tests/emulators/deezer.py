"""A Deezer API emulator that honours the public contract for the endpoints we use.

Serves the real recorded payloads of ``tests/data/providers/deezer`` as its catalogue:
``index``/``limit`` paging with ``next`` (carrying the access token, as Deezer does),
errors inside HTTP 200 (``OAuthException`` for a missing or wrong token, ``DataException``
800 for unknown ids), limits other than ours on demand (``max_write``: tracks one write
takes, else ``Items limit exceeded``, code 100, and nothing written), playlist deletion,
favourite albums and artists (``/user/me/albums``, ``/user/me/artists``: listed, added
and removed one id a call, bare ``true``), ``/search/album``, ``/search/artist``, an
artist's albums (``/artist/{id}/albums``), an album by its UPC (``/album/upc:…``), and
fault injection: the quota error (code 4) every N calls.

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
#: The fields of an album in an artist's album listing (``/artist/{id}/albums``).
ARTIST_ALBUM_FIELDS = (
    "id",
    "title",
    "link",
    "cover",
    "cover_small",
    "cover_medium",
    "cover_big",
    "cover_xl",
    "md5_image",
    "genre_id",
    "fans",
    "release_date",
    "record_type",
    "tracklist",
    "explicit_lyrics",
    "type",
)


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
    #: Most tracks one playlist write takes (0: no limit).
    max_write: int = 0
    #: Writes refused for their size.
    refused_writes: int = 0
    quota_error_every: int = 0
    calls: int = 0
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    #: The next N writes are carried out, then answered with a 502 (a lost response).
    lost_write_responses: int = 0
    codes: set[str] = field(default_factory=set)
    #: Album records by id (label, ``nb_tracks``); their tracks are the catalogue's.
    albums: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {(album := _load("album.json"))["id"]: album}
    )

    #: Favourite albums (ids, in the order added), artists by id and the followed ones.
    saved_albums: list[int] = field(default_factory=lambda: [_load("album.json")["id"]])
    artists: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {(artist := _load("artist.json"))["id"]: artist}
    )
    followed: list[int] = field(default_factory=list)
    #: The artists whose albums were asked for, in order.
    albums_asked: list[int] = field(default_factory=list)

    def album_tracks(self, album_id: int) -> list[dict[str, Any]]:
        """An album's tracks in the catalogue, by disc and position (else its record's)."""
        found = [t for t in self.catalogue if (t.get("album") or {}).get("id") == album_id]
        if not found:
            return list(((self.albums.get(album_id) or {}).get("tracks") or {}).get("data", []))
        return sorted(found, key=lambda t: (t.get("disk_number", 1), t.get("track_position", 0)))

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

    @get("/album/{ref:str}")
    async def album(request: Request[Any, Any, Any], ref: FromPath[str]) -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        if ref.startswith("upc:"):
            found = next((a for a in state.albums.values() if str(a.get("upc")) == ref[4:]), None)
        else:
            found = state.albums.get(int(ref)) if ref.isdigit() else None
        return found or _error("DataException", "no data", 800)

    @get("/search/album")
    async def search_album(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        wanted = {k: v.casefold() for k, v in _fields(q).items()}
        found = [
            listed(a)
            for a in state.albums.values()
            if wanted.get("album", "") in a["title"].casefold()
            and wanted.get("artist", "") in a["artist"]["name"].casefold()
            and all(
                w in f"{a['title']} {a['artist']['name']}".casefold()
                for w in wanted.get("free", "").split()
            )
        ]
        return page(request, found)

    @get("/search/artist")
    async def search_artist(request: Request[Any, Any, Any], q: FromQuery[str] = "") -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        wanted = q.casefold().strip()
        return page(request, [a for a in state.artists.values() if wanted in a["name"].casefold()])

    @get("/artist/{artist_id:int}/albums")
    async def artist_albums(request: Request[Any, Any, Any], artist_id: FromPath[int]) -> Any:
        # An artist's albums as Deezer lists them: no artist, UPC, label or tracks.
        if (refused := gate(request, False)) is not None:
            return refused
        state.albums_asked.append(artist_id)
        if artist_id not in state.artists:
            return _error("DataException", "no data", 800)
        found = [
            {k: v for k, v in a.items() if k in ARTIST_ALBUM_FIELDS}
            for a in state.albums.values()
            if (a.get("artist") or {}).get("id") == artist_id
        ]
        return page(request, found)

    @get("/album/{album_id:int}/tracks")
    async def album_tracks(request: Request[Any, Any, Any], album_id: FromPath[int]) -> Any:
        if (refused := gate(request, False)) is not None:
            return refused
        if album_id not in state.albums:
            return _error("DataException", "no data", 800)
        return page(request, state.album_tracks(album_id))

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
        adding = [int(s) for s in (songs or "").split(",") if s]
        if state.max_write and len(adding) > state.max_write:
            state.refused_writes += 1
            return _error("Exception", "Items limit exceeded", 100)
        state.playlists[playlist_id] += adding
        if state.lost_write_responses > 0:
            state.lost_write_responses -= 1
            return Response({"error": "Bad Gateway"}, status_code=502)
        return True

    @delete("/playlist/{playlist_id:int}", status_code=200)
    async def delete_playlist(request: Request[Any, Any, Any], playlist_id: FromPath[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        if state.playlists.pop(playlist_id, None) is None:
            return _error("DataException", "no data", 800)
        state.titles.pop(playlist_id, None)
        return True

    @get("/user/me/albums")
    async def my_albums(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        return page(request, [listed(state.albums[a]) for a in state.saved_albums])

    @post("/user/me/albums", status_code=200)
    async def save_album(request: Request[Any, Any, Any], album_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        if album_id not in state.albums:
            return _error("DataException", "no data", 800)
        if album_id not in state.saved_albums:
            state.saved_albums.append(album_id)
        return True

    @delete("/user/me/albums", status_code=200)
    async def unsave_album(request: Request[Any, Any, Any], album_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        state.saved_albums = [a for a in state.saved_albums if a != album_id]
        return True

    @get("/user/me/artists")
    async def my_artists(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        return page(request, [state.artists[a] for a in state.followed])

    @post("/user/me/artists", status_code=200)
    async def follow(request: Request[Any, Any, Any], artist_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        if artist_id not in state.artists:
            return _error("DataException", "no data", 800)
        if artist_id not in state.followed:
            state.followed.append(artist_id)
        return True

    @delete("/user/me/artists", status_code=200)
    async def unfollow(request: Request[Any, Any, Any], artist_id: FromQuery[int]) -> Any:
        if (refused := gate(request, True)) is not None:
            return refused
        state.followed = [a for a in state.followed if a != artist_id]
        return True

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
            album,
            album_tracks,
            me,
            my_playlists,
            create,
            playlist_tracks,
            add,
            delete_playlist,
            remove,
            liked,
            like,
            unlike,
            access_token,
            my_albums,
            save_album,
            unsave_album,
            my_artists,
            follow,
            unfollow,
            search_album,
            search_artist,
            artist_albums,
        ],
        logging_config=None,
    )


def listed(album: dict[str, Any]) -> dict[str, Any]:
    """An album as a listing or a search holds it: no tracks, UPC or label."""
    keys = ("id", "title", "cover_xl", "nb_tracks", "release_date", "artist", "record_type")
    return {key: album[key] for key in keys if key in album}


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
