"""A TIDAL v2 API emulator (JSON:API) for the calls Tunebridge makes, following TIDAL's
OpenAPI document (tests/data/providers/tidal/tidal-api-oas.json, v1.10.104) and our
reference card:

- compound documents: ``data`` with relationship links, ``included`` filled by
  ``include=`` (``artists,albums`` on ``/tracks``, ``items``/``tracks`` on relationships);
- cursor-only paging (``links.next`` with ``page[cursor]``, server-chosen page size);
- the spec's ``maxItems``: 50 per add/removal/favourite write, 20 per move, or 400;
- ``Idempotency-Key``: a mutation repeated with a key seen in the last hour gets the first
  answer again and is not carried out again (counted in ``replays``); the same key with
  another payload is refused with 422;
- 429 with ``{"errors":[{"status":"429","detail":"Rate limit exceeded"}]}``;
- access tokens that expire (``token_life_s``), refresh tokens and client credentials at
  ``/v1/oauth2/token``;
- ``lose_answers``: the next so many mutations are carried out but answered 503, as an
  answer lost on the way back;
- the user's collection of albums and artists (``userCollectionAlbums``,
  ``userCollectionArtists``: listed by cursor, added and removed 50 at a time), ``/albums``
  by ``filter[id]`` or ``filter[barcodeId]`` (with ``include=artists``), ``/artists`` by
  ``filter[id]``, an artist's albums relationship (``include=albums``), and album and
  artist searches.

Run it alone: ``python -m tests.emulators.tidal --port 8771``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn
from litestar import Litestar, Request, Response, delete, get, patch, post
from litestar.params import FromPath

USER_ID = "192837465"
CLIENT_ID = "tidal-emulator-client"
CLIENT_SECRET = "tidal-emulator-secret"
MEDIA = "application/vnd.api+json"
IDEMPOTENCY_WINDOW_S = 3600.0


def _minutes(seconds: int) -> str:
    return f"PT{seconds // 60}M{seconds % 60}S"


@dataclass
class TidalState:
    """The emulator's world; tests shape it and read it back."""

    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Playlists: id -> {"name", "items": [(track id, item id)]}.
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    favourites: list[str] = field(default_factory=list)
    #: Most items one add, removal or favourite write takes (the spec's ``maxItems``: 50).
    write_max: int = 50
    #: Albums: id -> {"title", "artist", "barcode", "tracks", "released"} (and the
    #: ``artist_id`` of its artist, where two artists share its name); artists: id ->
    #: name; the ids in the user's collections, in the order added.
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)
    artists: dict[str, str] = field(default_factory=dict)
    saved_albums: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)
    #: The artists whose albums were asked for, in order.
    albums_asked: list[str] = field(default_factory=list)
    page_size: int = 20
    token_life_s: float = 3600.0
    #: Access tokens and when each expires; refresh tokens (single use).
    access: dict[str, float] = field(default_factory=dict)
    refresh: set[str] = field(default_factory=set)
    #: Idempotency keys: key -> (when, status, body, payload).
    answers: dict[str, tuple[float, int, Any, bytes]] = field(default_factory=dict)
    replays: int = 0
    lose_answers: int = 0
    throttle: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    country: str = "NO"
    #: Codes given at consent: code -> (client id, PKCE challenge).
    consents: dict[str, tuple[str, str]] = field(default_factory=dict)

    def grant(self) -> tuple[str, str]:
        """A fresh user access token and refresh token."""
        access, refresh = f"tidal-at-{secrets.token_hex(8)}", f"tidal-rt-{secrets.token_hex(8)}"
        self.access[access] = time.time() + self.token_life_s
        self.refresh.add(refresh)
        return access, refresh

    def consent(self, authorize_url: str) -> str:
        """The person agrees on TIDAL's login page: the code the redirect carries."""
        query = parse_qs(urlsplit(authorize_url).query)
        if (
            query["code_challenge_method"][0] != "S256"
            or "playlists.write" not in query["scope"][0].split()
        ):
            raise ValueError("the emulated consent page refuses this request")
        code = secrets.token_hex(8)
        self.consents[code] = (query["client_id"][0], query["code_challenge"][0])
        return code

    def add_track(
        self, title: str, artist: str, isrc: str, seconds: int = 200, track_id: str | None = None
    ) -> str:
        track_id = track_id or str(100_000_000 + len(self.tracks))
        self.tracks[track_id] = {
            "title": title,
            "artist": artist,
            "isrc": isrc,
            "seconds": seconds,
        }
        return track_id

    def new_playlist(self, name: str, track_ids: list[str] | None = None) -> str:
        playlist_id = secrets.token_hex(8)
        self.playlists[playlist_id] = {"name": name, "items": []}
        for track_id in track_ids or []:
            self._append(playlist_id, track_id)
        return playlist_id

    def _append(self, playlist_id: str, track_id: str) -> None:
        self.playlists[playlist_id]["items"].append((track_id, secrets.token_hex(6)))

    def items_of(self, playlist_id: str) -> list[str]:
        return [t for t, _ in self.playlists[playlist_id]["items"]]


def _error(status: int, detail: str, code: str | None = None) -> Response[Any]:
    body: dict[str, Any] = {"status": str(status), "detail": detail}
    if code:
        body["code"] = code
    return Response({"errors": [body]}, status_code=status, media_type=MEDIA)


def tidal_app(state: TidalState) -> Litestar:
    def resource(track_id: str) -> dict[str, Any]:
        t = state.tracks[track_id]
        return {
            "id": track_id,
            "type": "tracks",
            "attributes": {
                "title": t["title"],
                "isrc": t["isrc"],
                "duration": _minutes(t["seconds"]),
                "explicit": False,
            },
            "relationships": {
                "artists": {"data": [{"id": f"ar-{t['artist']}", "type": "artists"}]},
                "albums": {"data": [{"id": f"al-{track_id}", "type": "albums"}]},
            },
        }

    def included(track_ids: list[str], include: str) -> list[dict[str, Any]]:
        wanted = {part.strip() for part in include.split(",") if part.strip()}
        found: list[dict[str, Any]] = []
        for track_id in track_ids:
            t = state.tracks[track_id]
            if wanted & {"items", "tracks"}:
                found.append(resource(track_id))
            if "artists" in wanted:
                found.append(
                    {
                        "id": f"ar-{t['artist']}",
                        "type": "artists",
                        "attributes": {"name": t["artist"]},
                    }
                )
            if "albums" in wanted:
                found.append(
                    {
                        "id": f"al-{track_id}",
                        "type": "albums",
                        "attributes": {"title": "Tunebridge Tests", "releaseDate": "2026-01-01"},
                    }
                )
        unique = {(r["type"], r["id"]): r for r in found}
        return list(unique.values())

    def gate(request: Request[Any, Any, Any], endpoint: str) -> Response[Any] | None:
        state.calls[endpoint] = state.calls.get(endpoint, 0) + 1
        if state.throttle > 0:
            state.throttle -= 1
            return Response(
                {"errors": [{"status": "429", "detail": "Rate limit exceeded"}]},
                status_code=429,
                media_type=MEDIA,
                headers={"Retry-After": "0"},
            )
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        expires = state.access.get(bearer)
        if expires is None or expires < time.time():
            return _error(401, "Unauthorized", "UNAUTHORIZED")
        return None

    def paged(
        request: Request[Any, Any, Any], path: str, entries: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        start = int(request.query_params.get("page[cursor]", "0") or 0)
        chunk = entries[start : start + state.page_size]
        links: dict[str, Any] = {"self": path}
        if start + len(chunk) < len(entries):
            links["next"] = f"{path}?page[cursor]={start + len(chunk)}"
        return chunk, links

    def ids_param(request: Request[Any, Any, Any], name: str) -> list[str]:
        values = request.query_params.getall(name, [])
        return [v for value in values for v in value.split(",") if v]

    async def mutation(
        request: Request[Any, Any, Any], endpoint: str, apply: Any, max_items: int
    ) -> Response[Any]:
        refused = gate(request, endpoint)
        if refused:
            return refused
        key = request.headers.get("idempotency-key")
        now = time.time()
        raw = await request.body()
        if key and key in state.answers and now - state.answers[key][0] < IDEMPOTENCY_WINDOW_S:
            _, status, body, payload = state.answers[key]
            if payload != raw:  # TIDAL: the same key with another payload is refused
                return _error(422, "Idempotency-Key reused with another payload")
            state.replays += 1
            return Response(body, status_code=status, media_type=MEDIA)
        document = await request.json() if raw else {}
        data = document.get("data")
        if isinstance(data, list) and not 1 <= len(data) <= max_items:
            return _error(400, f"data must hold 1 to {max_items} items", "INVALID_REQUEST_BODY")
        status, body = apply(document)
        if key and status < 400:
            state.answers[key] = (now, status, body, raw)
        if state.lose_answers > 0 and status < 400:
            state.lose_answers -= 1
            return _error(503, "Service Unavailable")
        return Response(body, status_code=status, media_type=MEDIA)

    @post("/v1/oauth2/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Any:
        form = dict(await request.form())
        if form.get("grant_type") == "client_credentials":
            given = request.headers.get("authorization", "").removeprefix("Basic ")
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if given != expected:
                return Response({"error": "invalid_client"}, status_code=401)
            access = f"tidal-cc-{secrets.token_hex(8)}"
            state.access[access] = time.time() + state.token_life_s
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": state.token_life_s,
            }
        if form.get("grant_type") == "authorization_code":
            client, challenge = state.consents.pop(str(form.get("code")), ("", ""))
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            if (
                not client
                or client != form.get("client_id")
                or challenge != (base64.urlsafe_b64encode(digest).rstrip(b"=").decode())
            ):
                return Response({"error": "invalid_grant"}, status_code=400)
            access, refresh = state.grant()
            return {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": state.token_life_s,
                "scope": "user.read playlists.read playlists.write",
            }
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in state.refresh:
                return Response({"error": "invalid_grant"}, status_code=400)
            access = f"tidal-at-{secrets.token_hex(8)}"
            state.access[access] = time.time() + state.token_life_s
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": state.token_life_s,
            }
        return Response({"error": "unsupported_grant_type"}, status_code=400)

    @get("/users/me")
    async def me(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "me")
        if refused:
            return refused
        return {
            "data": {
                "id": USER_ID,
                "type": "users",
                "attributes": {"username": "alice", "country": state.country},
            }
        }

    @get("/playlists")
    async def playlists(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "playlists")
        if refused:
            return refused
        if request.query_params.get("filter[owners.id]") != "me":
            return _error(400, "filter[owners.id] is required", "INVALID_QUERY_PARAMETER")
        rows = [
            {
                "id": pid,
                "type": "playlists",
                "attributes": {"name": p["name"], "numberOfItems": len(p["items"])},
            }
            for pid, p in state.playlists.items()
        ]
        chunk, links = paged(request, "/playlists", rows)
        return {"data": chunk, "links": links}

    @post("/playlists", status_code=201)
    async def create(request: Request[Any, Any, Any]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            name = ((document.get("data") or {}).get("attributes") or {}).get("name")
            if not name:
                return 400, {"errors": [{"status": "400", "detail": "name is required"}]}
            playlist_id = state.new_playlist(str(name))
            return 201, {
                "data": {"id": playlist_id, "type": "playlists", "attributes": {"name": name}}
            }

        return await mutation(request, "create_playlist", apply, 1)

    def items_path(playlist_id: str) -> str:
        return f"/playlists/{playlist_id}/relationships/items"

    @get("/playlists/{playlist_id:str}/relationships/items")
    async def items(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        refused = gate(request, "playlist_items")
        if refused:
            return refused
        if playlist_id not in state.playlists:
            return _error(404, "Playlist not found", "NOT_FOUND")
        rows = [
            {"id": t, "type": "tracks", "meta": {"itemId": i}}
            for t, i in state.playlists[playlist_id]["items"]
        ]
        chunk, links = paged(request, items_path(playlist_id), rows)
        body: dict[str, Any] = {"data": chunk, "links": links}
        include = request.query_params.get("include", "")
        if include:
            body["included"] = included([r["id"] for r in chunk], include)
        return body

    @post("/playlists/{playlist_id:str}/relationships/items", status_code=201)
    async def add(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            if playlist_id not in state.playlists:
                return 404, {"errors": [{"status": "404", "detail": "Playlist not found"}]}
            entries = state.playlists[playlist_id]["items"]
            before = ((document.get("meta") or {}).get("positionBefore")) or None
            at = next((n for n, (_, i) in enumerate(entries) if i == before), len(entries))
            new = [(str(d["id"]), secrets.token_hex(6)) for d in document["data"]]
            if any(t not in state.tracks for t, _ in new):
                return 404, {"errors": [{"status": "404", "detail": "Track not found"}]}
            entries[at:at] = new
            return 201, None

        return await mutation(request, "playlist_add", apply, state.write_max)

    @delete("/playlists/{playlist_id:str}/relationships/items", status_code=200)
    async def remove(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            if playlist_id not in state.playlists:
                return 404, {"errors": [{"status": "404", "detail": "Playlist not found"}]}
            gone = {str((d.get("meta") or {}).get("itemId")) for d in document["data"]}
            entries = state.playlists[playlist_id]["items"]
            entries[:] = [(t, i) for t, i in entries if i not in gone]
            return 204, None

        return await mutation(request, "playlist_remove", apply, state.write_max)

    @patch("/playlists/{playlist_id:str}/relationships/items", status_code=200)
    async def move(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            if playlist_id not in state.playlists:
                return 404, {"errors": [{"status": "404", "detail": "Playlist not found"}]}
            entries = state.playlists[playlist_id]["items"]
            moving = [str((d.get("meta") or {}).get("itemId")) for d in document["data"]]
            before = (document.get("meta") or {}).get("positionBefore")
            taken = [e for e in entries if e[1] in moving]
            taken.sort(key=lambda e: moving.index(e[1]))
            rest = [e for e in entries if e[1] not in moving]
            at = next((n for n, (_, i) in enumerate(rest) if i == before), len(rest))
            entries[:] = rest[:at] + taken + rest[at:]
            return 204, None

        return await mutation(request, "playlist_reorder", apply, 20)

    @get("/userCollectionTracks/{owner:str}/relationships/items")
    async def favourites(request: Request[Any, Any, Any], owner: FromPath[str]) -> Any:
        refused = gate(request, "favourite_tracks")
        if refused:
            return refused
        rows = [{"id": t, "type": "tracks"} for t in state.favourites]
        chunk, links = paged(request, f"/userCollectionTracks/{owner}/relationships/items", rows)
        return {"data": chunk, "links": links}

    @post("/userCollectionTracks/{owner:str}/relationships/items", status_code=201)
    async def favourite(request: Request[Any, Any, Any], owner: FromPath[str]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            for d in document["data"]:
                if str(d["id"]) not in state.favourites:
                    state.favourites.append(str(d["id"]))
            return 201, None

        return await mutation(request, "favourites_add", apply, state.write_max)

    @delete("/userCollectionTracks/{owner:str}/relationships/items", status_code=200)
    async def unfavourite(request: Request[Any, Any, Any], owner: FromPath[str]) -> Response[Any]:
        def apply(document: dict[str, Any]) -> tuple[int, Any]:
            gone = {str(d["id"]) for d in document["data"]}
            state.favourites[:] = [t for t in state.favourites if t not in gone]
            return 204, None

        return await mutation(request, "favourites_remove", apply, state.write_max)

    def album(album_id: str) -> dict[str, Any]:
        a = state.albums[album_id]
        return {
            "id": album_id,
            "type": "albums",
            "attributes": {
                "title": a["title"],
                "barcodeId": a["barcode"],
                "numberOfItems": a["tracks"],
                "numberOfVolumes": 1,
                "releaseDate": a["released"],
                "albumType": "ALBUM",
                "duration": _minutes(a["tracks"] * 200),
                "explicit": False,
                "mediaTags": [],
                "popularity": 0.5,
            },
            "relationships": {
                "artists": {"data": [{"id": f"ar-{a['artist']}", "type": "artists"}]}
            },
        }

    def collection(name: str, kind: str, held: list[str], known: Any) -> tuple[Any, Any, Any]:
        path = f"/{name}/{{owner:str}}/relationships/items"

        @get(path, name=f"{name}-list")
        async def listed(request: Request[Any, Any, Any], owner: FromPath[str]) -> Any:
            refused = gate(request, f"favourite_{kind}")
            if refused:
                return refused
            rows = [{"id": i, "type": kind} for i in held]
            chunk, links = paged(request, f"/{name}/{owner}/relationships/items", rows)
            return {"data": chunk, "links": links}

        @post(path, status_code=201, name=f"{name}-add")
        async def added(request: Request[Any, Any, Any], owner: FromPath[str]) -> Response[Any]:
            def apply(document: dict[str, Any]) -> tuple[int, Any]:
                wanted = [str(d["id"]) for d in document["data"]]
                if any(d.get("type") != kind for d in document["data"]) or any(
                    i not in known for i in wanted
                ):
                    return 400, {"errors": [{"status": "400", "detail": "Unknown resource"}]}
                held.extend(i for i in dict.fromkeys(wanted) if i not in held)
                return 201, None

            return await mutation(request, f"favourite_{kind}_add", apply, state.write_max)

        @delete(path, status_code=200, name=f"{name}-remove")
        async def removed(request: Request[Any, Any, Any], owner: FromPath[str]) -> Response[Any]:
            def apply(document: dict[str, Any]) -> tuple[int, Any]:
                gone = {str(d["id"]) for d in document["data"]}
                held[:] = [i for i in held if i not in gone]
                return 204, None

            return await mutation(request, f"favourite_{kind}_remove", apply, state.write_max)

        return listed, added, removed

    @get("/albums")
    async def albums(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "albums")
        if refused:
            return refused
        if not request.query_params.get("countryCode"):
            return _error(400, "countryCode is required", "INVALID_QUERY_PARAMETER")
        by_id, by_code = ids_param(request, "filter[id]"), ids_param(request, "filter[barcodeId]")
        found = [a for a in by_id if a in state.albums] + [
            a for a, row in state.albums.items() if row["barcode"] in by_code
        ]
        include = request.query_params.get("include", "")
        artists = (
            [
                {
                    "id": f"ar-{state.albums[a]['artist']}",
                    "type": "artists",
                    "attributes": {"name": state.albums[a]["artist"], "popularity": 0.5},
                }
                for a in found
            ]
            if "artists" in include
            else []
        )
        return {
            "data": [album(a) for a in found],
            "included": artists,
            "links": {"self": "/albums"},
        }

    @get("/artists")
    async def artists(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "artists")
        if refused:
            return refused
        found = [a for a in ids_param(request, "filter[id]") if a in state.artists]
        return {
            "data": [
                {
                    "id": a,
                    "type": "artists",
                    "attributes": {"name": state.artists[a], "popularity": 0.5},
                }
                for a in found
            ],
            "links": {"self": "/artists"},
        }

    @get("/artists/{artist_id:str}/relationships/albums")
    async def artist_albums(request: Request[Any, Any, Any], artist_id: FromPath[str]) -> Any:
        # An album is the artist's by its ``artist_id`` where it has one, else by name.
        refused = gate(request, "artist_albums")
        if refused:
            return refused
        if artist_id not in state.artists:
            return _error(404, "Artist not found", "NOT_FOUND")
        state.albums_asked.append(artist_id)
        name = state.artists[artist_id]
        rows = [
            {"id": a, "type": "albums"}
            for a, row in state.albums.items()
            if (row["artist_id"] == artist_id if "artist_id" in row else row["artist"] == name)
        ]
        path = f"/artists/{artist_id}/relationships/albums"
        chunk, links = paged(request, path, rows)
        include = request.query_params.get("include", "")
        included = [album(r["id"]) for r in chunk] if "albums" in include else []
        return {"data": chunk, "included": included, "links": links}

    @get("/searchResults/{text:str}/relationships/albums")
    async def search_albums(request: Request[Any, Any, Any], text: FromPath[str]) -> Any:
        refused = gate(request, "search_albums")
        if refused:
            return refused
        words = text.lower().split()
        rows = [
            {"id": a, "type": "albums"}
            for a, row in state.albums.items()
            if all(w in f"{row['title']} {row['artist']}".lower() for w in words)
        ]
        chunk, links = paged(request, f"/searchResults/{text}/relationships/albums", rows)
        return {"data": chunk, "links": links}

    @get("/searchResults/{text:str}/relationships/artists")
    async def search_artists(request: Request[Any, Any, Any], text: FromPath[str]) -> Any:
        refused = gate(request, "search_artists")
        if refused:
            return refused
        words = text.lower().split()
        rows = [
            {"id": a, "type": "artists"}
            for a, name in state.artists.items()
            if all(w in name.lower() for w in words)
        ]
        chunk, links = paged(request, f"/searchResults/{text}/relationships/artists", rows)
        return {"data": chunk, "links": links}

    @get("/tracks")
    async def tracks(request: Request[Any, Any, Any]) -> Any:
        refused = gate(request, "tracks")
        if refused:
            return refused
        if not request.query_params.get("countryCode"):
            return _error(400, "countryCode is required", "INVALID_QUERY_PARAMETER")
        include = request.query_params.get("include", "")
        by_id, by_isrc = ids_param(request, "filter[id]"), ids_param(request, "filter[isrc]")
        if by_id:
            found = [t for t in by_id if t in state.tracks]
            return {
                "data": [resource(t) for t in found],
                "included": included(found, include),
                "links": {"self": "/tracks"},
            }
        found = [t for t, row in state.tracks.items() if row["isrc"] in by_isrc]
        chunk, links = paged(request, "/tracks", [{"id": t} for t in found])
        ids = [r["id"] for r in chunk]
        return {
            "data": [resource(t) for t in ids],
            "included": included(ids, include),
            "links": links,
        }

    @get("/searchResults/{text:str}/relationships/tracks")
    async def search(request: Request[Any, Any, Any], text: FromPath[str]) -> Any:
        refused = gate(request, "search")
        if refused:
            return refused
        words = text.lower().split()
        found = [
            t
            for t, row in state.tracks.items()
            if all(w in f"{row['title']} {row['artist']}".lower() for w in words)
        ]
        chunk, links = paged(
            request,
            f"/searchResults/{text}/relationships/tracks",
            [{"id": t, "type": "tracks"} for t in found],
        )
        return {"data": chunk, "links": links}

    return Litestar(
        [
            token,
            me,
            playlists,
            create,
            items,
            add,
            remove,
            move,
            favourites,
            favourite,
            unfavourite,
            tracks,
            search,
            albums,
            artists,
            search_albums,
            search_artists,
            artist_albums,
            *collection("userCollectionAlbums", "albums", state.saved_albums, state.albums),
            *collection("userCollectionArtists", "artists", state.followed, state.artists),
        ],
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8771)
    state = TidalState()
    access, refresh = state.grant()
    print(f"access token {access}, refresh token {refresh}")
    uvicorn.run(tidal_app(state), port=parser.parse_args().port)


if __name__ == "__main__":
    main()
