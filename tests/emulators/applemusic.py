"""An Apple Music API emulator for the calls Tunebridge makes, after Apple's documentation
as our reference card has it (``shared/docs/providers.md`` §4) and its two recorded bodies
(tests/data/providers/applemusic/):

- every call needs a developer token: an ES256 JWT whose signature the emulator checks
  with the owner's public key, with the right ``kid`` and ``iss``, not past its ``exp``,
  and at most six months long; else 401;
- ``/v1/me`` calls need a Music-User-Token the emulator handed out (``user_token``), not
  expired; else 403;
- errors are Apple's: ``{"errors":[{"id","title","detail","status":"400","code":"40005"}]}``
  with ``status`` and ``code`` as strings;
- library pages of at most 100 (``offset`` past the end: Apple's 40005), with ``next``;
- playlists only grow: tracks are appended, and a removal or a reorder is refused
  (405), as the API has neither;
- ``filter[isrc]`` takes many ISRCs (at most ``isrc_batch``, else 400).

Run it alone: ``python -m tests.emulators.applemusic --port 8772``.
"""

from __future__ import annotations

import argparse
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Litestar, Request, Response, delete, get, post, put, route
from litestar.params import FromPath

TEAM_ID = "TBTEAM1234"
KEY_ID = "TBKEY56789"
SIX_MONTHS_S = 15_777_000


def new_key() -> tuple[str, str]:
    """A MusicKit-like key: ``(private .p8 PEM, public PEM)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class AppleState:
    """The emulator's world; tests shape it and read it back."""

    public_key: str
    catalog: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Library playlists: id -> {"name", "tracks": [catalog ids]}.
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    library: list[str] = field(default_factory=list)
    #: Catalog albums: id -> {"title", "artist", "upc", "tracks", "released"}; the ids of
    #: those in the library, in the order added.
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)
    library_albums: list[str] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)
    users: dict[str, float] = field(default_factory=dict)
    storefront: str = "gb"
    isrc_batch: int = 25
    page_limit: int = 100
    calls: dict[str, int] = field(default_factory=dict)
    developer_tokens_seen: set[str] = field(default_factory=set)
    refused_writes: int = 0

    def user_token(self, life_s: float = 180 * 86400.0) -> str:
        """A Music-User-Token, as MusicKit JS hands one to the page after sign-in."""
        token = f"musicuser-{secrets.token_urlsafe(24)}"
        self.users[token] = time.time() + life_s
        return token

    def add_song(
        self, title: str, artist: str, isrc: str, seconds: int = 200, song_id: str | None = None
    ) -> str:
        song_id = song_id or str(1_400_000_000 + len(self.catalog))
        self.catalog[song_id] = {
            "title": title,
            "artist": artist,
            "isrc": isrc,
            "ms": seconds * 1000,
        }
        return song_id

    def new_playlist(self, name: str, song_ids: list[str] | None = None) -> str:
        playlist_id = f"p.{secrets.token_hex(7)}"
        self.playlists[playlist_id] = {"name": name, "tracks": list(song_ids or [])}
        return playlist_id


def _error(
    status: int, code: str, title: str, detail: str, parameter: str | None = None
) -> Response[Any]:
    entry: dict[str, Any] = {
        "id": secrets.token_hex(13).upper(),
        "title": title,
        "detail": detail,
        "status": str(status),
        "code": code,
    }
    if parameter:
        entry["source"] = {"parameter": parameter}
    return Response({"errors": [entry]}, status_code=status)


def applemusic_app(state: AppleState) -> Litestar:
    def song(song_id: str) -> dict[str, Any]:
        s = state.catalog[song_id]
        return {
            "id": song_id,
            "type": "songs",
            "href": f"/v1/catalog/{state.storefront}/songs/{song_id}",
            "attributes": {
                "name": s["title"],
                "artistName": s["artist"],
                "albumName": "Tunebridge Tests",
                "durationInMillis": s["ms"],
                "isrc": s["isrc"],
                "playParams": {"id": song_id, "kind": "song"},
                "artwork": {"url": "https://is1-ssl.mzstatic.com/image/{w}x{h}bb.jpg"},
            },
        }

    def library_song(song_id: str, include: str) -> dict[str, Any]:
        s = state.catalog[song_id]
        entry: dict[str, Any] = {
            "id": f"i.{song_id}",
            "type": "library-songs",
            "attributes": {
                "name": s["title"],
                "artistName": s["artist"],
                "albumName": "Tunebridge Tests",
                "durationInMillis": s["ms"],
                "playParams": {"id": f"i.{song_id}", "kind": "song", "catalogId": song_id},
            },
        }
        if "catalog" in include:
            entry["relationships"] = {"catalog": {"data": [song(song_id)]}}
        return entry

    def album(album_id: str) -> dict[str, Any]:
        a = state.albums[album_id]
        return {
            "id": album_id,
            "type": "albums",
            "href": f"/v1/catalog/{state.storefront}/albums/{album_id}",
            "attributes": {
                "name": a["title"],
                "artistName": a["artist"],
                "trackCount": a["tracks"],
                "releaseDate": a["released"],
                "upc": a["upc"],
                "playParams": {"id": album_id, "kind": "album"},
                "artwork": {"url": "https://is1-ssl.mzstatic.com/image/{w}x{h}bb.jpg"},
            },
        }

    def library_album(album_id: str, include: str) -> dict[str, Any]:
        a = state.albums[album_id]
        entry: dict[str, Any] = {
            "id": f"l.{album_id}",
            "type": "library-albums",
            "attributes": {
                "name": a["title"],
                "artistName": a["artist"],
                "trackCount": a["tracks"],
                "releaseDate": a["released"],
                "playParams": {"id": f"l.{album_id}", "kind": "album", "isLibrary": True},
            },
        }
        if "catalog" in include:
            entry["relationships"] = {"catalog": {"data": [album(album_id)]}}
        return entry

    def gate(request: Request[Any, Any, Any], endpoint: str, user: bool) -> Response[Any] | None:
        state.calls[endpoint] = state.calls.get(endpoint, 0) + 1
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            header = jwt.get_unverified_header(bearer)
            claims = jwt.decode(
                bearer, state.public_key, algorithms=["ES256"], options={"require": ["exp", "iat"]}
            )
        except jwt.PyJWTError:
            return _error(401, "40100", "Unauthorized", "Developer token is invalid or expired")
        if (
            header.get("kid") != KEY_ID
            or claims.get("iss") != TEAM_ID
            or claims["exp"] - claims["iat"] > SIX_MONTHS_S
        ):
            return _error(401, "40100", "Unauthorized", "Developer token is not accepted")
        state.developer_tokens_seen.add(bearer)
        if user:
            given = request.headers.get("music-user-token", "")
            if state.users.get(given, 0) < time.time():
                return _error(403, "40300", "Forbidden", "Invalid or expired Music-User-Token")
        return None

    def page(
        request: Request[Any, Any, Any], path: str, rows: list[Any]
    ) -> Response[Any] | dict[str, Any]:
        try:
            limit = int(request.query_params.get("limit", "25"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return _error(400, "40005", "Invalid Parameter Value", "limit and offset are numbers")
        if limit > state.page_limit:
            return _error(
                400,
                "40005",
                "Invalid Parameter Value",
                f"limit must be at most {state.page_limit}",
                "limit",
            )
        if rows and offset >= len(rows) and offset:
            return _error(
                400,
                "40005",
                "Invalid Parameter Value",
                f"offset must be less than {len(rows)}",
                "offset",
            )
        chunk = rows[offset : offset + limit]
        body: dict[str, Any] = {"data": chunk}
        if offset + limit < len(rows):
            body["next"] = f"{path}?offset={offset + limit}"
        return body

    @get("/v1/me/storefront")
    async def storefront(request: Request[Any, Any, Any]) -> Any:
        return gate(request, "storefront", True) or {
            "data": [{"id": state.storefront, "type": "storefronts"}]
        }

    @get("/v1/me/library/playlists")
    async def playlists(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "library_playlists", True)
        if refused:
            return refused
        rows = [
            {
                "id": pid,
                "type": "library-playlists",
                "attributes": {"name": p["name"], "canEdit": True},
            }
            for pid, p in state.playlists.items()
        ]
        return page(request, "/v1/me/library/playlists", rows)

    @post("/v1/me/library/playlists", status_code=201)
    async def create(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "create_playlist", True)
        if refused:
            return refused
        body = await request.json()
        name = ((body or {}).get("attributes") or {}).get("name")
        if not name:
            return _error(400, "40007", "Invalid Request Body", "attributes.name is required")
        tracks = (((body.get("relationships") or {}).get("tracks") or {}).get("data")) or []
        made = state.new_playlist(str(name), [str(t["id"]) for t in tracks])
        return {"data": [{"id": made, "type": "library-playlists", "attributes": {"name": name}}]}

    @get("/v1/me/library/playlists/{playlist_id:str}/tracks")
    async def tracks(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        refused = gate(request, "playlist_items", True)
        if refused:
            return refused
        if playlist_id not in state.playlists:
            return _error(
                404, "40400", "Resource Not Found", "Resource with requested id was not found"
            )
        include = request.query_params.get("include", "")
        rows = [library_song(s, include) for s in state.playlists[playlist_id]["tracks"]]
        return page(request, f"/v1/me/library/playlists/{playlist_id}/tracks", rows)

    @post("/v1/me/library/playlists/{playlist_id:str}/tracks", status_code=200)
    async def append(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[Any]:
        refused = gate(request, "playlist_add", True)
        if refused:
            return refused
        if playlist_id not in state.playlists:
            return _error(
                404, "40400", "Resource Not Found", "Resource with requested id was not found"
            )
        data = (await request.json() or {}).get("data") or []
        unknown = [d for d in data if str(d.get("id")) not in state.catalog]
        if unknown:
            return _error(400, "40007", "Invalid Request Body", "Unknown song id")
        state.playlists[playlist_id]["tracks"] += [str(d["id"]) for d in data]
        return Response(None, status_code=204)

    @route(
        "/v1/me/library/playlists/{playlist_id:str}/tracks",
        http_method=["DELETE", "PUT", "PATCH"],
        status_code=200,
    )
    async def change(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[Any]:
        # Apple's playlists only grow: there is no such call.
        state.refused_writes += 1
        return _error(405, "40500", "Method Not Allowed", "Method not allowed on this resource")

    @get("/v1/me/library/songs")
    async def songs(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "library_songs", True)
        if refused:
            return refused
        include = request.query_params.get("include", "")
        return page(
            request, "/v1/me/library/songs", [library_song(s, include) for s in state.library]
        )

    @post("/v1/me/library", status_code=202)
    async def add_to_library(request: Request[Any, Any, Any]) -> Response[Any]:
        refused = gate(request, "library_add", True)
        if refused:
            return refused
        ids = [i for i in request.query_params.get("ids[songs]", "").split(",") if i]
        albums = [i for i in request.query_params.get("ids[albums]", "").split(",") if i]
        if (not ids and not albums) or any(i not in state.catalog for i in ids):
            return _error(
                400,
                "40005",
                "Invalid Parameter Value",
                "ids[songs] names no known songs",
                "ids[songs]",
            )
        if any(a not in state.albums for a in albums):
            return _error(
                400,
                "40005",
                "Invalid Parameter Value",
                "ids[albums] names no known albums",
                "ids[albums]",
            )
        state.library += [i for i in ids if i not in state.library]
        state.library_albums += [a for a in albums if a not in state.library_albums]
        return Response(None, status_code=202)

    @get("/v1/me/library/albums")
    async def library_albums(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "library_albums", True)
        if refused:
            return refused
        include = request.query_params.get("include", "")
        rows = [library_album(a, include) for a in state.library_albums]
        return page(request, "/v1/me/library/albums", rows)

    @get("/v1/catalog/{storefront_id:str}/albums")
    async def catalog_albums(request: Request[Any, Any, Any], storefront_id: FromPath[str]) -> Any:
        refused = gate(request, "albums_upc", False)
        if refused:
            return refused
        upcs = [u for u in request.query_params.get("filter[upc]", "").split(",") if u]
        return {"data": [album(a) for a, row in state.albums.items() if row["upc"] in upcs]}

    @put("/v1/me/ratings/songs/{song_id:str}")
    async def rate(request: Request[Any, Any, Any], song_id: FromPath[str]) -> Any:
        refused = gate(request, "rate", True)
        if refused:
            return refused
        value = (((await request.json()) or {}).get("attributes") or {}).get("value")
        if value not in (1, -1):
            return _error(400, "40007", "Invalid Request Body", "value must be 1 or -1")
        state.ratings[song_id] = int(value)
        return {
            "data": [
                {
                    "id": song_id,
                    "type": "ratings",
                    "href": f"/v1/me/ratings/songs/{song_id}",
                    "attributes": {"value": value},
                }
            ]
        }

    @delete("/v1/me/ratings/songs/{song_id:str}", status_code=204)
    async def unrate(request: Request[Any, Any, Any], song_id: FromPath[str]) -> None:
        state.ratings.pop(song_id, None)

    @get("/v1/me/recent/played/tracks")
    async def recent(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "recent", True)
        if refused:
            return refused
        if int(request.query_params.get("limit", "10")) > 10:
            return _error(
                400, "40005", "Invalid Parameter Value", "limit must be at most 10", "limit"
            )
        return page(request, "/v1/me/recent/played/tracks", [song(s) for s in state.recent[:30]])

    @get("/v1/catalog/{storefront_id:str}/songs")
    async def catalog_songs(request: Request[Any, Any, Any], storefront_id: FromPath[str]) -> Any:
        refused = gate(request, "isrc", False)
        if refused:
            return refused
        isrcs = [i for i in request.query_params.get("filter[isrc]", "").split(",") if i]
        if len(isrcs) > state.isrc_batch:
            return _error(
                400,
                "40005",
                "Invalid Parameter Value",
                f"Too many ISRCs: at most {state.isrc_batch}",
                "filter[isrc]",
            )
        wanted = {i.upper() for i in isrcs}
        return {"data": [song(s) for s, row in state.catalog.items() if row["isrc"] in wanted]}

    @get("/v1/catalog/{storefront_id:str}/songs/{song_id:str}")
    async def one_song(
        request: Request[Any, Any, Any], storefront_id: FromPath[str], song_id: FromPath[str]
    ) -> Any:
        refused = gate(request, "song", False)
        if refused:
            return refused
        if song_id not in state.catalog:
            return _error(
                404, "40400", "Resource Not Found", "Resource with requested id was not found"
            )
        return {"data": [song(song_id)]}

    @get("/v1/catalog/{storefront_id:str}/search")
    async def search(request: Request[Any, Any, Any], storefront_id: FromPath[str]) -> Any:
        refused = gate(request, "search", False)
        if refused:
            return refused
        words = request.query_params.get("term", "").lower().split()
        if request.query_params.get("types") == "albums":
            albums = [
                album(a)
                for a, row in state.albums.items()
                if words and all(w in f"{row['title']} {row['artist']}".lower() for w in words)
            ]
            return {"results": {"albums": {"data": albums[:25]}} if albums else {}}
        found = [
            song(s)
            for s, row in state.catalog.items()
            if words and all(w in f"{row['title']} {row['artist']}".lower() for w in words)
        ]
        limit = int(request.query_params.get("limit", "5"))
        if limit > 25:
            return _error(
                400, "40005", "Invalid Parameter Value", "limit must be at most 25", "limit"
            )
        return {"results": {"songs": {"data": found[:limit]}} if found else {}}

    return Litestar(
        [
            storefront,
            playlists,
            create,
            tracks,
            append,
            change,
            songs,
            add_to_library,
            library_albums,
            catalog_albums,
            rate,
            unrate,
            recent,
            catalog_songs,
            one_song,
            search,
        ],
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8772)
    private, public = new_key()
    state = AppleState(public_key=public)
    print(f"team {TEAM_ID}, key {KEY_ID}; user token {state.user_token()}\n{private}")
    uvicorn.run(applemusic_app(state), port=parser.parse_args().port)


if __name__ == "__main__":
    main()
