"""A Spotify Web API emulator for the 2026 development-mode contract.

Serves the recorded tracks of ``tests/data/providers/spotify`` and honours what our
connector relies on: ``/playlists/{id}/items`` (limit 1-50; the old ``/tracks`` answers
403 as it now does for dev-mode apps), ``/me/playlists``, ``/me/tracks``,
``/me/library`` (at most 40 URIs: tracks and albums, no artists), ``/me/albums``,
``/me/following?type=artist`` (cursor paging; follow and unfollow at most 50 ids),
``/artists/{id}/albums`` (limit at most 10, ``include_groups``),
search (limit at most 10, ``isrc:`` and field filters; albums by ``upc:``, artists),
``snapshot_id`` on every playlist change, access tokens that expire, refresh tokens
that are single-use (rotated on every refresh, as with PKCE) and an expired consent
(``invalid_grant``). Limits other than Spotify's own on demand: shorter-lived tokens
(``token_lifetime_s``), smaller pages (``page_limit``); playlists the user follows
(``owner``) answer 403 to their items, as they do for development-mode apps. Faults on
demand: 429 with ``Retry-After`` (a number, 0 or none), ``QUOTA_EXCEEDED``, 5xx, and
writes whose answer is lost.

Run it alone for a demo: ``python -m tests.emulators.spotify --port 8766``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import uvicorn
from litestar import Litestar, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

DATA = Path(__file__).resolve().parents[1] / "data" / "providers" / "spotify"
#: What a full album object has and a simplified one (an artist's album listing) lacks.
SIMPLIFIED_DROPS = ("tracks", "external_ids", "label", "popularity", "copyrights", "genres")
USER_ID = "emulated-user"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def recorded_tracks() -> list[dict[str, Any]]:
    """Every distinct full track object in the recorded payloads."""
    found: dict[str, dict[str, Any]] = {}
    items = itertools.chain(
        (i["track"] for i in _load("playlist_items_page.json")["items"]),
        (i["track"] for i in _load("saved_tracks_page.json")["items"]),
        _load("search_tracks.json")["tracks"]["items"],
        [_load("track.json")],
        (i["track"] for i in _load("playlist.json")["tracks"]["items"]),
    )
    for track in items:
        if track and track.get("id"):
            found.setdefault(track["id"], track)
    return list(found.values())


def recorded_album() -> dict[str, Any]:
    """The recorded album in today's shape: ``release_date`` a string (the recording has
    its old object), ``total_tracks`` from its embedded tracks page."""
    album = _load("album.json")
    date = album.get("release_date")
    if isinstance(date, dict):
        album["release_date"] = str(date.get("year"))
        album["release_date_precision"] = "year"
    album["total_tracks"] = album.get("total_tracks") or album["tracks"]["total"]
    return dict(album)


def simplified(album: dict[str, Any]) -> dict[str, Any]:
    """An album as a search or a listing holds it: no tracks, ids or label."""
    left_out = ("tracks", "external_ids", "label", "genres", "popularity", "copyrights")
    return {k: v for k, v in album.items() if k not in left_out}


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, reason: str | None = None
) -> Response[Any]:
    body: dict[str, Any] = {"status": status, "message": message}
    if reason:
        body["reason"] = reason
    return Response({"error": body}, status_code=status, headers=headers or {})


@dataclass
class SpotifyState:
    """The emulator's world; tests shape it and read it back."""

    catalogue: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {t["uri"]: t for t in recorded_tracks()}
    )
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    library: list[str] = field(default_factory=list)
    #: Album objects by id, and the ids of the saved ones (newest first).
    albums: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {(album := recorded_album())["id"]: album}
    )
    saved_albums: list[str] = field(default_factory=lambda: [str(_load("album.json")["id"])])
    #: Artist objects by id, and the ids of the followed ones (in the order followed).
    artists: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {a["id"]: dict(a) for a in _load("album.json")["artists"]}
    )
    followed: list[str] = field(default_factory=list)
    #: The artists whose albums were asked for, in order.
    albums_asked: list[str] = field(default_factory=list)
    access_tokens: dict[str, int] = field(default_factory=dict)  # token -> calls left
    refresh_tokens: set[str] = field(default_factory=set)
    client_id: str = "emulated-client"
    token_lifetime_calls: int = 10_000
    #: Seconds an access token lives (announced as ``expires_in`` and enforced).
    token_lifetime_s: int = 3600
    #: Most items one page holds, whatever ``limit`` asked (Spotify's own is 50).
    page_limit: int = 50
    #: A service that loses part of a list: no ``next`` once a page reaches this many
    #: items (0: never), and a ``total`` off by ``total_off_by``.
    next_ends_at: int = 0
    total_off_by: int = 0
    #: Most URIs one library save or removal takes (the 2026 contract says 40).
    library_max: int = 40
    #: A service that answers an add as done and keeps only this many of it (0: all).
    add_keeps_at_most: int = 0
    #: Searches answered 429 with this ``Retry-After`` (None: searches are answered).
    searches_wait: str | None = None
    #: Every refresh-token exchange, in order (a spent token shows up as ``refused``).
    refreshes: list[str] = field(default_factory=list)
    expiry: dict[str, float] = field(default_factory=dict)  # access token -> time
    consent_expired: bool = False
    rate_limit_every: int = 0
    retry_after: str | None = "1"
    quota_exceeded: bool = False
    server_error_every: int = 0
    lost_write_responses: int = 0
    calls: int = 0
    consents: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (uri, challenge)

    def grant(self) -> tuple[str, str]:
        """A fresh access token and refresh token (what a completed consent gives)."""
        access, refresh = secrets.token_hex(8), secrets.token_hex(8)
        self.access_tokens[access] = self.token_lifetime_calls
        self.expiry[access] = time.time() + self.token_lifetime_s
        self.refresh_tokens.add(refresh)
        return access, refresh

    def consent(self, authorize_url: str) -> str:
        """The person says yes on the consent page: returns the code the redirect carries."""
        query = parse_qs(urlsplit(authorize_url).query)
        if query["client_id"][0] != self.client_id or query["code_challenge_method"][0] != "S256":
            raise ValueError("the emulated consent page refuses this request")
        code = secrets.token_hex(8)
        self.consents[code] = (query["redirect_uri"][0], query["code_challenge"][0])
        return code

    def add_generated_playlist(self, size: int, name: str = "Generated") -> str:
        """A playlist of ``size`` distinct tracks cloned from the recorded ones."""
        base = list(self.catalogue.values())
        uris = []
        for number in range(size):
            track = copy.deepcopy(base[number % len(base)])
            track["id"] = f"{number:022d}"
            track["uri"] = f"spotify:track:{track['id']}"
            track["name"] = f"{track['name']} ({number})"
            self.catalogue[track["uri"]] = track
            uris.append(track["uri"])
        return self.new_playlist(name, uris)

    def new_playlist(self, name: str, uris: list[str] | None = None, owner: str = USER_ID) -> str:
        """A playlist in the user's list; one ``owner``ed by someone else is one they
        follow, which a development-mode app may not read (403)."""
        playlist_id = secrets.token_hex(11)
        self.playlists[playlist_id] = {
            "name": name,
            "items": list(uris or []),
            "snapshot": secrets.token_hex(8),
            "owner": owner,
        }
        return playlist_id


def spotify_app(state: SpotifyState) -> Litestar:
    def gate(request: Request[Any, Any, Any]) -> Response[Any] | None:
        state.calls += 1
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in state.access_tokens:
            return _error(401, "Invalid access token")
        if state.access_tokens[token] <= 0 or state.expiry.get(token, 0) < time.time():
            return _error(401, "The access token expired")
        state.access_tokens[token] -= 1
        if state.quota_exceeded:
            return _error(429, "Too many requests", reason="QUOTA_EXCEEDED")
        if state.rate_limit_every and state.calls % state.rate_limit_every == 0:
            headers = {"Retry-After": state.retry_after} if state.retry_after is not None else {}
            return _error(429, "API rate limit exceeded", headers)
        if state.server_error_every and state.calls % state.server_error_every == 0:
            return _error(503, "Service unavailable")
        return None

    def page(request: Request[Any, Any, Any], items: list[Any], max_limit: int = 50) -> Any:
        limit = int(request.query_params.get("limit", 20))
        offset = int(request.query_params.get("offset", 0))
        if not 1 <= limit <= max_limit:
            return _error(400, f"Invalid limit, must be between 1 and {max_limit}")
        limit = min(limit, state.page_limit)  # a smaller page than asked, with ``next``
        chunk = items[offset : offset + limit]
        base = str(request.url).split("?")[0]
        nxt = (
            f"{base}?offset={offset + limit}&limit={limit}" if offset + limit < len(items) else None
        )
        if state.next_ends_at and offset + limit >= state.next_ends_at:
            nxt = None
        return {
            "href": str(request.url),
            "items": chunk,
            "limit": limit,
            "offset": offset,
            "total": max(0, len(items) + state.total_off_by),
            "next": nxt,
            "previous": None,
        }

    def lost(body: Any, status: int) -> Response[Any]:
        if state.lost_write_responses > 0:
            state.lost_write_responses -= 1
            return _error(502, "Bad gateway")
        return Response(body, status_code=status)

    def snapshot(playlist: dict[str, Any]) -> str:
        playlist["snapshot"] = secrets.token_hex(8)
        return str(playlist["snapshot"])

    @get("/authorize", media_type="text/html")
    async def authorize(request: Request[Any, Any, Any]) -> str:
        # The consent page: "Agree" sends the person back with a code, as Spotify's does.
        query = html.escape(request.url.query or "")
        return (
            "<!doctype html><title>Spotify (emulated): allow access</title>"
            "<h1>Allow Tunebridge to see and change your playlists and library?</h1>"
            f'<a id="agree" href="/authorize/agree?{query}">Agree</a>'
        )

    @get("/authorize/agree")
    async def agree(request: Request[Any, Any, Any]) -> Response[Any]:
        query = parse_qs(request.url.query or "")
        try:
            code = state.consent(str(request.url))
        except (KeyError, ValueError):
            return Response("this consent request is not valid", status_code=400)
        back = f"{query['redirect_uri'][0]}?{urlencode({'code': code, 'state': query['state'][0]})}"
        return Redirect(back)

    @post("/api/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Any:
        form = await request.form()
        if form.get("client_id") != state.client_id:
            return Response({"error": "invalid_client"}, status_code=400)
        if form.get("grant_type") == "authorization_code":
            consent = state.consents.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if (
                consent is None
                or consent[0] != form.get("redirect_uri")
                or consent[1] != digest.rstrip(b"=").decode()
            ):
                return Response({"error": "invalid_grant"}, status_code=400)
            access, new_refresh = state.grant()
            return {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": state.token_lifetime_s,
                "refresh_token": new_refresh,
                "scope": "playlist-read-private",
            }
        if form.get("grant_type") != "refresh_token":
            return Response({"error": "unsupported_grant_type"}, status_code=400)
        refresh = str(form.get("refresh_token"))
        state.refreshes.append(refresh if refresh in state.refresh_tokens else "refused")
        if state.consent_expired or refresh not in state.refresh_tokens:
            return Response(
                {"error": "invalid_grant", "error_description": "Refresh token revoked"},
                status_code=400,
            )
        state.refresh_tokens.discard(refresh)  # single use: rotated
        access, new_refresh = state.grant()
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": state.token_lifetime_s,
            "refresh_token": new_refresh,
            "scope": "playlist-modify-private",
        }

    @get("/v1/me")
    async def me(request: Request[Any, Any, Any]) -> Any:
        return gate(request) or {"id": USER_ID, "display_name": "Emulated", "account_id": "acc-1"}

    @get("/v1/me/playlists")
    async def my_playlists(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        mine = [
            {
                "id": pid,
                "name": p["name"],
                "snapshot_id": p["snapshot"],
                "owner": {"id": p.get("owner", USER_ID)},
                "items": {"total": len(p["items"])},
            }
            for pid, p in state.playlists.items()
        ]
        return page(request, mine)

    @post("/v1/me/playlists", status_code=201)
    async def create(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        body = await request.json()
        playlist_id = state.new_playlist(body["name"])
        return lost(
            {
                "id": playlist_id,
                "name": body["name"],
                "snapshot_id": state.playlists[playlist_id]["snapshot"],
            },
            201,
        )

    @get("/v1/playlists/{playlist_id:str}/tracks")
    async def old_tracks(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        return _error(403, "Forbidden")  # gone for development-mode apps since March 2026

    @get("/v1/playlists/{playlist_id:str}/items")
    async def items(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        if playlist_id not in state.playlists:
            return _error(404, "Resource not found")
        if state.playlists[playlist_id].get("owner", USER_ID) != USER_ID:
            return _error(403, "Forbidden")  # another's playlist, to a development-mode app
        entries = [
            {"added_at": "2026-01-01T00:00:00Z", "is_local": False, "item": state.catalogue[uri]}
            for uri in state.playlists[playlist_id]["items"]
        ]
        return page(request, entries)

    @post("/v1/playlists/{playlist_id:str}/items", status_code=201)
    async def add(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        body = await request.json()
        uris = body.get("uris") or []
        if len(uris) > 100:
            return _error(400, "Too many ids requested")
        if any(uri not in state.catalogue for uri in uris):
            return _error(400, "Invalid base62 id")
        playlist = state.playlists.get(playlist_id)
        if playlist is None:
            return _error(404, "Resource not found")
        position = body.get("position")
        at = len(playlist["items"]) if position is None else int(position)
        playlist["items"][at:at] = uris[: state.add_keeps_at_most or len(uris)]
        return lost({"snapshot_id": snapshot(playlist)}, 201)

    @delete("/v1/playlists/{playlist_id:str}/items", status_code=200)
    async def remove(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        body = await request.json()
        gone = {entry["uri"] for entry in body.get("items") or []}
        if len(body.get("items") or []) > 100:
            return _error(400, "Too many ids requested")
        playlist = state.playlists[playlist_id]
        playlist["items"] = [uri for uri in playlist["items"] if uri not in gone]
        return {"snapshot_id": snapshot(playlist)}

    @put("/v1/playlists/{playlist_id:str}/items", status_code=200)
    async def reorder(request: Request[Any, Any, Any], playlist_id: FromPath[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        body = await request.json()
        playlist = state.playlists.get(playlist_id)
        if playlist is None:
            return _error(404, "Resource not found")
        if body.get("snapshot_id") and body["snapshot_id"] != playlist["snapshot"]:
            return _error(400, "Snapshot id is stale")  # positions were for another version
        start, before = int(body["range_start"]), int(body["insert_before"])
        length = int(body.get("range_length", 1))
        items = playlist["items"]
        if not (0 <= start < len(items) and 0 <= before <= len(items)):
            return _error(400, "Index out of bounds")
        moved = items[start : start + length]
        rest = items[:start] + items[start + length :]
        at = before if before <= start else before - length
        playlist["items"] = rest[:at] + moved + rest[at:]
        return {"snapshot_id": snapshot(playlist)}

    @get("/v1/me/albums")
    async def albums(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        entries = [
            {"added_at": "2026-01-01T00:00:00Z", "album": state.albums[a]}
            for a in state.saved_albums
        ]
        return page(request, entries)

    @get("/v1/artists/{artist_id:str}/albums")
    async def artist_albums(request: Request[Any, Any, Any], artist_id: FromPath[str]) -> Any:
        # An artist's albums as simplified album objects with their ``album_group``
        # (no ``tracks``, ``external_ids`` or ``label``); ``include_groups`` filters them.
        if (refused := gate(request)) is not None:
            return refused
        state.albums_asked.append(artist_id)
        if artist_id not in state.artists:
            return _error(404, "Resource not found")
        groups = str(request.query_params.get("include_groups") or "album,single")
        wanted = {g.strip() for g in groups.split(",") if g.strip()}
        listed = [
            {
                **{k: v for k, v in a.items() if k not in SIMPLIFIED_DROPS},
                "album_group": a.get("album_type", "album"),
            }
            for a in state.albums.values()
            if any(r.get("id") == artist_id for r in a.get("artists") or [])
            and a.get("album_type", "album") in wanted
        ]
        return page(request, listed, max_limit=10)

    @get("/v1/me/following")
    async def following(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        if request.query_params.get("type") != "artist":
            return _error(400, "Only valid type is artist")
        limit = int(request.query_params.get("limit", 20))
        if not 1 <= limit <= 50:
            return _error(400, "Invalid limit, must be between 1 and 50")
        limit = min(limit, state.page_limit)
        after = request.query_params.get("after")
        start = state.followed.index(after) + 1 if after in state.followed else 0
        chunk = state.followed[start : start + limit]
        more = start + limit < len(state.followed)
        base = str(request.url).split("?")[0]
        return {
            "artists": {
                "href": str(request.url),
                "items": [state.artists[a] for a in chunk],
                "limit": limit,
                "next": f"{base}?type=artist&after={chunk[-1]}&limit={limit}" if more else None,
                "cursors": {"after": chunk[-1] if more else None},
                "total": len(state.followed),
            }
        }

    def follow_ids(request: Request[Any, Any, Any]) -> list[str] | Response[Any]:
        if request.query_params.get("type") not in ("artist", "user"):
            return _error(400, "Invalid type")
        ids = [i for i in str(request.query_params.get("ids", "")).split(",") if i]
        if not ids or len(ids) > 50:
            return _error(400, "Too many ids requested" if ids else "Missing ids")
        if any(i not in state.artists for i in ids):
            return _error(400, "Invalid base62 id")
        return ids

    @put("/v1/me/following", status_code=200)
    async def follow(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        ids = follow_ids(request)
        if isinstance(ids, Response):
            return ids
        state.followed += [i for i in dict.fromkeys(ids) if i not in state.followed]
        return Response(None, status_code=204)

    @delete("/v1/me/following", status_code=200)
    async def unfollow(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        ids = follow_ids(request)
        if isinstance(ids, Response):
            return ids
        state.followed = [i for i in state.followed if i not in set(ids)]
        return Response(None, status_code=204)

    @get("/v1/me/tracks")
    async def saved(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        entries = [
            {"added_at": "2026-01-01T00:00:00Z", "track": state.catalogue[uri]}
            for uri in state.library
        ]
        return page(request, entries)

    @put("/v1/me/library", status_code=200)
    async def save(request: Request[Any, Any, Any], uris: FromQuery[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        wanted = [u for u in uris.split(",") if u]
        if len(wanted) > state.library_max:
            return _error(400, "Too many ids requested")
        if (refused := unsupported(wanted)) is not None:
            return refused
        for uri in wanted:
            if uri.startswith("spotify:album:"):
                album_id = uri.removeprefix("spotify:album:")
                if album_id not in state.saved_albums:
                    state.saved_albums.insert(0, album_id)
            elif uri not in state.library:
                state.library.insert(0, uri)
        return Response(None, status_code=200)

    def unsupported(uris: list[str]) -> Response[Any] | None:
        for uri in uris:
            if uri.startswith("spotify:album:"):
                if uri.removeprefix("spotify:album:") not in state.albums:
                    return _error(400, "Invalid base62 id")
            elif not uri.startswith("spotify:track:"):
                return _error(400, "Unsupported URI type")
        return None

    @delete("/v1/me/library", status_code=200)
    async def unsave(request: Request[Any, Any, Any], uris: FromQuery[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        gone = {u for u in uris.split(",") if u}
        if len(gone) > state.library_max:
            return _error(400, "Too many ids requested")
        if (refused := unsupported(sorted(gone))) is not None:
            return refused
        state.library = [uri for uri in state.library if uri not in gone]
        state.saved_albums = [a for a in state.saved_albums if f"spotify:album:{a}" not in gone]
        return Response(None, status_code=200)

    @get("/v1/me/player/recently-played")
    async def recent(request: Request[Any, Any, Any]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        played = [
            {"track": state.catalogue[uri], "played_at": "2026-11-01T10:00:00Z"}
            for uri in state.library[:50]
        ]
        return {"items": played, "next": None, "cursors": None, "limit": 50}

    @get("/v1/search")
    async def search(request: Request[Any, Any, Any], q: FromQuery[str]) -> Any:
        if (refused := gate(request)) is not None:
            return refused
        if state.searches_wait is not None:
            return _error(429, "API rate limit exceeded", {"Retry-After": state.searches_wait})
        limit = int(request.query_params.get("limit", 5))
        if not 1 <= limit <= 10:
            return _error(400, "Invalid limit")
        filters = dict(re.findall(r'(\w+):"?([^"]*?)"?(?=\s+\w+:|$)', q.strip()))
        kind = request.query_params.get("type", "track")
        if kind == "album":
            albums = [
                simplified(a)
                for a in state.albums.values()
                if (
                    not filters.get("upc") or a.get("external_ids", {}).get("upc") == filters["upc"]
                )
                and filters.get("album", "").casefold() in a["name"].casefold()
                and (
                    not filters.get("artist")
                    or any(
                        filters["artist"].casefold() in r["name"].casefold() for r in a["artists"]
                    )
                )
            ]
            return {"albums": page(request, albums, max_limit=10)}
        if kind == "artist":
            named = [
                a
                for a in state.artists.values()
                if filters.get("artist", q).casefold() in a["name"].casefold()
            ]
            return {"artists": page(request, named, max_limit=10)}
        found = [
            t
            for t in state.catalogue.values()
            if (not filters.get("isrc") or t.get("external_ids", {}).get("isrc") == filters["isrc"])
            and filters.get("track", "").casefold() in t["name"].casefold()
            and (
                not filters.get("artist")
                or any(filters["artist"].casefold() in a["name"].casefold() for a in t["artists"])
            )
        ]
        return {"tracks": page(request, found, max_limit=10)}

    return Litestar(
        [
            authorize,
            agree,
            token,
            me,
            my_playlists,
            create,
            old_tracks,
            items,
            add,
            remove,
            reorder,
            albums,
            following,
            artist_albums,
            follow,
            unfollow,
            saved,
            save,
            unsave,
            recent,
            search,
        ],
        logging_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    options = parser.parse_args()
    state = SpotifyState()
    state.add_generated_playlist(120)
    access, refresh = state.grant()
    print(f"Spotify emulator on http://127.0.0.1:{options.port}")
    print(f"access token {access}, refresh token {refresh}, client id {state.client_id}")
    uvicorn.run(spotify_app(state), host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
