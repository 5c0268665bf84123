"""A YouTube Music (InnerTube) emulator that answers in the shapes the web client gets.

Every playlist, history and search item is rendered from one recorded owned-playlist item
(``tests/data/providers/ytmusic/playlist_item_owned.json``), and so are the subscribed
artists' rows; album cards from a recorded album card, playlist pages inside a recorded
browse page, and the recorded ISRC and empty searches are served as they were;
``SOURCES.md`` there says where each came from.

A song's watch queue (``next``) and its album's page (``MPREb_…``, numbered items under a
``musicResponsiveHeaderRenderer``; public, as searches are) are built after the paths
ytmusicapi's parsers read (``parse_watch_playlist``, ``parse_album_header_2024``).

It honours what the adapter relies on: the browser sign-in (the ``__Secure-3PAPISID``
cookie and a fresh ``SAPISIDHASH`` over it, ``x-goog-authuser``), OAuth bearers from its
own Google device flow (``/device/code``, ``/token``), continuation paging (100 items a
page, the 2025 ``continuationItemRenderer``; grids by ``ctoken``), ``edit_playlist``
actions (add with and without ``dedupeOption``, remove by ``setVideoId``, move before) and
their refusals (a ``STATUS_FAILED`` in a 200), and fault injection: an unpublished rate
limit (``rate_limit_per_s``: 429 beyond it), expired headers (401 or 403), the OAuth
"400 invalid argument", and lost answers (a write carried out, answered 502).

Run it alone for a demo: ``python -m tests.emulators.ytmusic --port 8768``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, post
from ytmusicapi.parsers.search import get_search_params

DATA = Path(__file__).resolve().parents[1] / "data" / "providers" / "ytmusic"
ORIGIN = "https://music.youtube.com"
SAPISID = "emulated-sapisid/AbCdEf"
COOKIE = f"SID=emulated-sid; HSID=emulated; __Secure-3PAPISID={SAPISID}; SAPISID={SAPISID}"
CLIENT_ID = "emulated-tv-client.apps.googleusercontent.com"
CLIENT_SECRET = "emulated-tv-secret"
PAGE = 100
GRID_PAGE = 25
RECORDED_ISRC = "GB2LD2210007"


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


ITEM = _load("playlist_item_owned.json")
ALBUM_CARD = _load("album_grid_item.json")
PAGE_ENVELOPE = _load("playlist_collaborative_browse.json")
ISRC_ANSWER = _load("search_isrc_query.json")
NOTHING_FOUND = _load("search_songs_filter.json")
ALBUM_PAGE = _load("album_audio_playlist_browse.json")
ALBUM_PAGE_ID = "OLAK5uy_mzYnlaHgFOvLaxqIPnnouEr-idiUn4NIM"
#: The recorded item's own values, replaced in every rendering.
_RECORDED = {
    "video": "3_R4ulvg8OY",
    "entry": "56B44F6D10557CC6",
    "title": "I Hate Everything (feat. Action Bronson)",
    "short": "I Hate Everything",
    "artist": "The Alchemist",
    "artist_id": "UC2Eotb0QaPkaJI4Cw4oHZ6Q",
    "album": "The Food Villain",
    "album_id": "MPREb_5tjDwqVSJCv",
    "duration": "1:23",
}


def example_headers(cookie: str = COOKIE, user: str = "0") -> str:
    """Request headers as Firefox copies them from a signed-in tab (the recorded copy,
    with the emulator's cookie in place of the redacted values)."""
    raw = (DATA / "raw_firefox_headers.txt").read_text()
    return (
        raw.replace("Cookie: [REDACTED]", f"Cookie: {cookie}")
        .replace("X-Goog-AuthUser: [REDACTED]", f"X-Goog-AuthUser: {user}")
        .replace("X-Goog-Visitor-Id: [REDACTED]", "X-Goog-Visitor-Id: CgtFbXVsYXRlZA%3D%3D")
        .replace("Authorization: [REDACTED]", "Authorization: SAPISIDHASH 1_stale")
    )


@dataclass
class Song:
    """A video in the emulated catalogue."""

    video_id: str
    title: str
    artists: list[tuple[str, str]]
    album: tuple[str, str] | None = None
    seconds: int = 200
    explicit: bool = False
    kind: str = "song"
    #: An ISRC its search finds it by (YouTube Music has none; a description may).
    isrc: str | None = None
    #: Where its cover is (the recorded item's googleusercontent pictures otherwise).
    cover: str | None = None
    #: The year its album came out.
    year: str = "2020"


@dataclass
class Playlist:
    title: str
    entries: list[tuple[str, str]] = field(default_factory=list)  # (video id, setVideoId)
    owned: bool = True


def _error(code: int, status: str, message: str) -> Response[Any]:
    return Response(
        {"error": {"code": code, "message": message, "errors": [], "status": status}},
        status_code=code,
    )


@dataclass
class YtMusicState:
    """The emulator's world; tests shape it and read it back."""

    catalogue: dict[str, Song] = field(default_factory=dict)
    playlists: dict[str, Playlist] = field(default_factory=dict)
    liked: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    albums: list[dict[str, Any]] = field(default_factory=list)
    #: Artists subscribed to: {"name", "channel"} (a ``UC…`` channel id), in order.
    subscriptions: list[dict[str, str]] = field(default_factory=list)
    account_name: str = "Emulated Listener"
    sapisid: str = SAPISID
    #: Browser headers stop working: answered with this status (401 or 403), 0 for not.
    headers_expired: int = 0
    #: OAuth sign-ins answered "400 invalid argument", as many were in 2026.
    oauth_invalid_argument: bool = False
    bearers: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Calls per second an account may make (YouTube publishes none); 0: no limit.
    rate_limit_per_s: int = 0
    rate_limited: int = 0
    #: Calls made with no account (public searches).
    anonymous_calls: int = 0
    #: The next N writes are carried out, then answered 502 (a lost answer).
    lost_write_responses: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    writes: list[dict[str, Any]] = field(default_factory=list)
    _window: list[float] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _rendered: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)

    # --- shaping the world --------------------------------------------------------

    def add_song(self, title: str, artist: str, **fields: Any) -> Song:
        number = next(self._ids)
        video = fields.pop("video_id", None) or f"v{number:010d}"[:11]
        song = Song(video, title, [(artist, f"UC{number:022d}")], **fields)
        self.catalogue[video] = song
        return song

    def new_entry(self) -> str:
        return secrets.token_hex(8).upper()

    def new_playlist(self, title: str, videos: list[str] | None = None) -> str:
        playlist_id = "PL" + secrets.token_hex(16)
        self.playlists[playlist_id] = Playlist(title, [(v, self.new_entry()) for v in videos or []])
        return playlist_id

    def videos(self, playlist_id: str) -> list[str]:
        return [video for video, _ in self.playlists[playlist_id].entries]

    def grant(self) -> tuple[str, str]:
        """A bearer and a refresh token, as a finished device flow gives."""
        access, refresh = "ya29." + secrets.token_hex(8), "1//" + secrets.token_hex(8)
        self.bearers.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def approve(self, user_code: str, allow: bool = True) -> None:
        """The person typed ``user_code`` on Google's page and answered."""
        for device in self.devices.values():
            if device["user_code"] == user_code:
                device["answer"] = "granted" if allow else "denied"
                return
        raise KeyError(user_code)

    def revoke(self) -> None:
        """The person removed the app from their Google account."""
        self.bearers.clear()
        self.refresh_tokens.clear()

    # --- rendering ----------------------------------------------------------------

    def render(self, song: Song, entry: str | None) -> dict[str, Any]:
        """``song`` as a playlist item, in the recorded item's shape (made once per entry:
        a thousand-track playlist is read many times)."""
        key = (song.video_id, entry)
        if key not in self._rendered:
            self._rendered[key] = self._render(song, entry)
        return self._rendered[key]

    def _render(self, song: Song, entry: str | None) -> dict[str, Any]:
        text = json.dumps(ITEM)
        first_artist, first_id = song.artists[0]
        album_name, album_id = song.album or ("", "")
        swaps = [
            (_RECORDED["video"], song.video_id),
            (_RECORDED["entry"], entry or "ENTRYLESS"),
            (_RECORDED["title"], song.title),
            (_RECORDED["short"], song.title),
            (_RECORDED["artist_id"], first_id),
            (_RECORDED["artist"], first_artist),
            (_RECORDED["album_id"], album_id),
            (_RECORDED["album"], album_name),
            (_RECORDED["duration"], f"{song.seconds // 60}:{song.seconds % 60:02d}"),
        ]
        for old, new in swaps:
            text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
        if song.kind != "song":
            text = text.replace("MUSIC_VIDEO_TYPE_ATV", "MUSIC_VIDEO_TYPE_OMV")
        item = json.loads(text)
        data = item["musicResponsiveListItemRenderer"]
        columns = data["flexColumns"]
        run = columns[1]["musicResponsiveListItemFlexColumnRenderer"]["text"]["runs"][0]
        runs: list[dict[str, Any]] = []
        for index, (name, channel) in enumerate(song.artists):
            if index:
                runs.append({"text": " & " if index == len(song.artists) - 1 else ", "})
            one = copy.deepcopy(run)
            one["text"] = name
            one["navigationEndpoint"]["browseEndpoint"]["browseId"] = channel
            runs.append(one)
        columns[1]["musicResponsiveListItemFlexColumnRenderer"]["text"]["runs"] = runs
        if song.album is None:  # a video belongs to no album: its column is empty
            columns[2]["musicResponsiveListItemFlexColumnRenderer"]["text"] = {}
        if not song.explicit:
            data.pop("badges", None)
        if song.cover:
            picture = data["thumbnail"]["musicThumbnailRenderer"]["thumbnail"]
            picture["thumbnails"] = [{"url": song.cover, "width": 544, "height": 544}]
        if entry is None:  # outside a playlist there is nothing to remove it from
            data["menu"]["menuRenderer"]["items"] = [
                i
                for i in data["menu"]["menuRenderer"]["items"]
                if "playlistEditEndpoint" not in json.dumps(i)
            ]
            data.pop("playlistItemData", None)
        return item

    def queue_item(self, song: Song) -> dict[str, Any]:
        """``song`` as the first ``playlistPanelVideoRenderer`` of its watch queue (``next``):
        artists • album • year in its byline, as ytmusicapi's ``parse_watch_track`` reads."""
        played = self.render(song, None)["musicResponsiveListItemRenderer"]
        columns = played["flexColumns"]
        byline = list(columns[1]["musicResponsiveListItemFlexColumnRenderer"]["text"]["runs"])
        album = columns[2]["musicResponsiveListItemFlexColumnRenderer"]["text"].get("runs")
        if album:
            byline += [{"text": " • "}, *album, {"text": " • "}, {"text": song.year}]
        kind = "MUSIC_VIDEO_TYPE_ATV" if song.kind == "song" else "MUSIC_VIDEO_TYPE_OMV"
        return {
            "title": {"runs": [{"text": song.title}]},
            "longBylineText": {"runs": byline},
            "thumbnail": played["thumbnail"]["musicThumbnailRenderer"]["thumbnail"],
            "lengthText": {"runs": [{"text": f"{song.seconds // 60}:{song.seconds % 60:02d}"}]},
            "videoId": song.video_id,
            "navigationEndpoint": {
                "watchEndpoint": {
                    "videoId": song.video_id,
                    "playlistId": f"RDAMVM{song.video_id}",
                    "watchEndpointMusicSupportedConfigs": {
                        "watchEndpointMusicConfig": {"musicVideoType": kind}
                    },
                }
            },
            "menu": {"menuRenderer": {"items": []}},
        }

    def catalogue_albums(self) -> dict[str, dict[str, Any]]:
        """Every album of the catalogue's songs, by browse id: title, artist, its channel,
        year and how many songs (the album pages and searches show)."""
        found: dict[str, dict[str, Any]] = {}
        for song in self.catalogue.values():
            if song.album and song.album[1] not in found:
                artist, channel = song.artists[0]
                found[song.album[1]] = {
                    "title": song.album[0],
                    "browse_id": song.album[1],
                    "artist": artist,
                    "channel": channel,
                    "year": song.year,
                }
        return found

    def catalogue_artists(self) -> dict[str, str]:
        """Every artist of the catalogue's songs: channel id -> name."""
        return {c: a for song in self.catalogue.values() for a, c in song.artists if c}

    def album_page(self, album_id: str) -> dict[str, Any] | None:
        """The album ``album_id`` (its songs in the order they were added): a
        ``musicResponsiveHeaderRenderer`` and a shelf of numbered items, as ytmusicapi's
        ``get_album`` reads them (``parse_album_header_2024``, ``parse_playlist_items``)."""
        songs = [s for s in self.catalogue.values() if s.album and s.album[1] == album_id]
        if not songs:
            return None
        first = songs[0]
        items = []
        for number, song in enumerate(songs, start=1):
            item = copy.deepcopy(self.render(song, None))
            item["musicResponsiveListItemRenderer"]["index"] = {"runs": [{"text": str(number)}]}
            items.append(item)
        artist, channel = first.artists[0]
        played = self.render(first, None)["musicResponsiveListItemRenderer"]
        header = {
            "title": {"runs": [{"text": first.album[0] if first.album else ""}]},
            "subtitle": {"runs": [{"text": "Album"}, {"text": " • "}, {"text": first.year}]},
            "thumbnail": played["thumbnail"],
            "straplineTextOne": {
                "runs": [
                    {
                        "text": artist,
                        "navigationEndpoint": {"browseEndpoint": {"browseId": channel}},
                    }
                ]
            },
            "secondSubtitle": {
                "runs": [
                    {"text": f"{len(songs)} songs"},
                    {"text": " • "},
                    {"text": f"{sum(s.seconds for s in songs) // 60} minutes"},
                ]
            },
            "buttons": [
                {
                    "musicPlayButtonRenderer": {
                        "playNavigationEndpoint": {
                            "watchEndpoint": {"playlistId": f"OLAK5uy_{album_id}"}
                        }
                    }
                }
            ],
        }
        section = {"sectionListRenderer": {"contents": [{"musicResponsiveHeaderRenderer": header}]}}
        return {
            "responseContext": {},
            "contents": {
                "twoColumnBrowseResultsRenderer": {
                    "tabs": [{"tabRenderer": {"content": section}}],
                    "secondaryContents": {
                        "sectionListRenderer": {
                            "contents": [{"musicShelfRenderer": {"contents": items}}]
                        }
                    },
                }
            },
        }

    def search_item(self, song: Song) -> dict[str, Any]:
        """``song`` as a songs-filtered search result: artists • album • duration in the
        second column."""
        key = (song.video_id, "search")
        if key not in self._rendered:
            self._rendered[key] = self._search_item(song)
        return self._rendered[key]

    def _search_item(self, song: Song) -> dict[str, Any]:
        item = copy.deepcopy(self.render(song, None))
        columns = item["musicResponsiveListItemRenderer"]["flexColumns"]
        second = columns[1]["musicResponsiveListItemFlexColumnRenderer"]["text"]["runs"]
        album_runs = columns[2]["musicResponsiveListItemFlexColumnRenderer"]["text"].get("runs")
        if album_runs:
            second += [{"text": " • "}, *album_runs]
        second += [{"text": " • "}, {"text": f"{song.seconds // 60}:{song.seconds % 60:02d}"}]
        del columns[2:]
        item["musicResponsiveListItemRenderer"].pop("fixedColumns", None)
        return item


def _continuation(token: str) -> dict[str, Any]:
    return {
        "continuationItemRenderer": {
            "trigger": "CONTINUATION_TRIGGER_ON_ITEM_SHOWN",
            "continuationEndpoint": {
                "clickTrackingParams": "CAAQ",
                "commandMetadata": {
                    "webCommandMetadata": {"sendPost": True, "apiUrl": "/youtubei/v1/browse"}
                },
                "continuationCommand": {
                    "token": token,
                    "request": "CONTINUATION_REQUEST_TYPE_BROWSE",
                },
            },
        }
    }


def _single_column(contents: list[Any]) -> dict[str, Any]:
    return {
        "responseContext": {},
        "contents": {
            "singleColumnBrowseResultsRenderer": {
                "tabs": [
                    {"tabRenderer": {"content": {"sectionListRenderer": {"contents": contents}}}}
                ]
            }
        },
    }


def ytmusic_app(state: YtMusicState) -> Litestar:
    def signed_in(request: Request[Any, Any, Any], anyone: bool = False) -> Response[Any] | None:
        """None when the request is signed in (or ``anyone`` may ask it: searches), else
        InnerTube's refusal."""
        now = time.monotonic()
        if state.rate_limit_per_s:
            state._window = [t for t in state._window if now - t < 1.0]
            if len(state._window) >= state.rate_limit_per_s:
                state.rate_limited += 1
                return _error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
            state._window.append(now)
        authorization = request.headers.get("authorization", "")
        if anyone and not authorization and "cookie" not in request.headers:
            state.anonymous_calls += 1
            return None
        if authorization.startswith("Bearer "):
            if authorization[7:] not in state.bearers:
                return _error(
                    401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
                )
            if state.oauth_invalid_argument:
                return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            return None
        cookie = request.headers.get("cookie", "")
        stamp, _, digest = authorization.removeprefix("SAPISIDHASH ").partition("_")
        expected = hashlib.sha1(f"{stamp} {state.sapisid} {ORIGIN}".encode()).hexdigest()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 600
        if (
            f"__Secure-3PAPISID={state.sapisid}" not in cookie
            or not fresh
            or digest != expected
            or request.headers.get("x-goog-authuser") is None
        ):
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if state.headers_expired:
            return _error(
                state.headers_expired, "PERMISSION_DENIED", "The caller does not have permission"
            )
        return None

    async def body_of(request: Request[Any, Any, Any], endpoint: str) -> dict[str, Any]:
        state.calls[endpoint] += 1
        body = await request.json()
        return body if isinstance(body, dict) else {}

    def lost(answer: Any) -> Response[Any]:
        if state.lost_write_responses > 0:
            state.lost_write_responses -= 1
            return Response({"error": "lost"}, status_code=502)
        return Response(answer)

    def playlist_page(playlist_id: str, start: int) -> tuple[list[Any], str | None]:
        playlist = state.playlists[playlist_id]
        items = [
            state.render(state.catalogue[video], entry)
            for video, entry in playlist.entries[start : start + PAGE]
            if video in state.catalogue
        ]
        more = start + PAGE < len(playlist.entries)
        token = f"{playlist_id}:{start + PAGE}" if more else None
        if token:
            items.append(_continuation(token))
        return items, token

    def liked_id() -> str:
        if "LM" not in state.playlists:
            state.playlists["LM"] = Playlist("Liked Music", owned=False)
        state.playlists["LM"].entries = [(v, f"LM{v}") for v in state.liked]
        return "LM"

    @post("/youtubei/v1/browse", status_code=200)
    async def browse(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "browse")
        # Album pages are public, as searches are.
        public = str(body.get("browseId") or "").startswith("MPRE")
        if (refused := signed_in(request, anyone=public)) is not None:
            return refused
        if token := body.get("continuation"):
            playlist_id, _, start = str(token).rpartition(":")
            if playlist_id == "LM":
                liked_id()
            if playlist_id not in state.playlists:
                return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            items, _ = playlist_page(playlist_id, int(start))
            return Response(
                {
                    "responseContext": {},
                    "onResponseReceivedActions": [
                        {
                            "appendContinuationItemsAction": {
                                "continuationItems": items,
                                "targetId": f"VL{playlist_id}",
                            }
                        }
                    ],
                }
            )
        browse_id = str(body.get("browseId") or "")
        ctoken = request.query_params.get("ctoken")
        if browse_id == "FEmusic_liked_playlists":
            return Response(library_playlists(int(ctoken or 0), ctoken is not None))
        if browse_id == "FEmusic_liked_albums":
            return Response(library_albums(int(ctoken or 0), ctoken is not None))
        if browse_id == "FEmusic_library_corpus_artists":
            return Response(library_artists(int(ctoken or 0), ctoken is not None))
        if browse_id == "FEmusic_history":
            shelf = {
                "musicShelfRenderer": {
                    "title": {"runs": [{"text": "Today"}]},
                    "contents": [
                        state.render(state.catalogue[v], None)
                        for v in state.history
                        if v in state.catalogue
                    ],
                }
            }
            return Response(_single_column([shelf]))
        if browse_id.startswith("MPRE"):
            album = state.album_page(browse_id)
            if album is None:
                return _error(404, "NOT_FOUND", "Requested entity was not found.")
            return Response(album)
        playlist_id = browse_id.removeprefix("VL")
        if playlist_id == ALBUM_PAGE_ID:
            return Response(ALBUM_PAGE)
        if playlist_id == "LM":
            liked_id()
        if playlist_id not in state.playlists:
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        items, _ = playlist_page(playlist_id, 0)
        page = copy.deepcopy(PAGE_ENVELOPE)
        renderer = page["contents"]["twoColumnBrowseResultsRenderer"]
        shelf = renderer["secondaryContents"]["sectionListRenderer"]["contents"][0][
            "musicPlaylistShelfRenderer"
        ]
        shelf["contents"] = items
        shelf["playlistId"] = playlist_id
        if not items:
            del renderer["secondaryContents"]["sectionListRenderer"]["contents"][0]
        return Response(page)

    def grid(items: list[Any], start: int, page_type: str, continuation: bool) -> dict[str, Any]:
        shown = items[start : start + GRID_PAGE]
        renderer: dict[str, Any] = {"items": shown}
        if start + GRID_PAGE < len(items):
            token = str(start + GRID_PAGE)
            renderer["continuations"] = [{"nextContinuationData": {"continuation": token}}]
        if continuation:
            return {"responseContext": {}, "continuationContents": {"gridContinuation": renderer}}
        return _single_column([{"gridRenderer": renderer}])

    def library_playlists(start: int, continuation: bool) -> dict[str, Any]:
        cards: list[Any] = [
            {
                "musicTwoRowItemRenderer": {
                    "title": {"runs": [{"text": "New playlist"}]},
                    "subtitle": {},
                    "navigationEndpoint": {"createPlaylistEndpoint": {}},
                }
            }
        ]
        shown = dict(state.playlists)
        shown.setdefault("LM", Playlist("Liked Music", owned=False))
        for playlist_id, playlist in shown.items():
            count = len(playlist.entries) if playlist_id != "LM" else len(state.liked)
            menu = (
                [
                    {
                        "menuNavigationItemRenderer": {
                            "navigationEndpoint": {
                                "playlistEditorEndpoint": {"playlistId": playlist_id}
                            }
                        }
                    }
                ]
                if playlist.owned and playlist_id != "LM"
                else []
            )
            cards.append(
                {
                    "musicTwoRowItemRenderer": {
                        "thumbnailRenderer": {
                            "musicThumbnailRenderer": {"thumbnail": {"thumbnails": []}}
                        },
                        "title": {
                            "runs": [
                                {
                                    "text": playlist.title,
                                    "navigationEndpoint": {
                                        "browseEndpoint": {"browseId": f"VL{playlist_id}"}
                                    },
                                }
                            ]
                        },
                        "subtitle": {
                            "runs": [
                                {"text": state.account_name},
                                {"text": " • "},
                                {"text": f"{count} songs" if count != 1 else "1 song"},
                            ]
                        },
                        "menu": {"menuRenderer": {"items": menu}},
                    }
                }
            )
        return grid(cards, start, "playlist", continuation)

    def library_albums(start: int, continuation: bool) -> dict[str, Any]:
        cards = []
        for album in state.albums:
            card = copy.deepcopy(ALBUM_CARD)
            data = card["musicTwoRowItemRenderer"]
            data["title"]["runs"][0]["text"] = album["title"]
            data["title"]["runs"][0]["navigationEndpoint"]["browseEndpoint"]["browseId"] = album[
                "browse_id"
            ]
            data["subtitle"]["runs"] = [
                {"text": "Album"},
                {"text": " • "},
                {
                    "text": album["artist"],
                    "navigationEndpoint": {"browseEndpoint": {"browseId": "UC" + "0" * 22}},
                },
                {"text": " • "},
                {"text": str(album["year"])},
            ]
            cards.append(card)
        return grid(cards, start, "album", continuation)

    def library_artists(start: int, continuation: bool) -> dict[str, Any]:
        """The subscriptions page: a shelf of artist rows (each the recorded row's renderer,
        its columns the artist's name and subscribers, its link the artist's channel),
        then ``musicShelfContinuation`` pages by ``ctoken``."""
        rows = []
        for artist in state.subscriptions[start : start + GRID_PAGE]:
            row = copy.deepcopy(ITEM)["musicResponsiveListItemRenderer"]
            for key in ("playlistItemData", "multiSelectCheckbox", "overlay", "badges", "menu"):
                row.pop(key, None)
            row["fixedColumns"] = []
            row["flexColumns"] = [
                {"musicResponsiveListItemFlexColumnRenderer": {"text": {"runs": [{"text": t}]}}}
                for t in (artist["name"], "1.2M subscribers")
            ]
            row["navigationEndpoint"] = {
                "browseEndpoint": {
                    "browseId": artist["channel"],
                    "browseEndpointContextSupportedConfigs": {
                        "browseEndpointContextMusicConfig": {"pageType": "MUSIC_PAGE_TYPE_ARTIST"}
                    },
                }
            }
            rows.append({"musicResponsiveListItemRenderer": row})
        shelf: dict[str, Any] = {"contents": rows}
        if start + GRID_PAGE < len(state.subscriptions):
            token = str(start + GRID_PAGE)
            shelf["continuations"] = [{"nextContinuationData": {"continuation": token}}]
        if continuation:
            return {
                "responseContext": {},
                "continuationContents": {"musicShelfContinuation": shelf},
            }
        return _single_column([{"musicShelfRenderer": shelf}])

    @post("/youtubei/v1/browse/edit_playlist", status_code=200)
    async def edit(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "edit_playlist")
        if (refused := signed_in(request)) is not None:
            return refused
        playlist_id = str(body.get("playlistId") or "")
        playlist = state.playlists.get(playlist_id)
        if playlist is None:
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        if not playlist.owned:
            return _error(403, "PERMISSION_DENIED", "The caller does not have permission")
        actions = body.get("actions") or []
        state.writes.append({"playlist": playlist_id, "actions": actions})
        working = list(playlist.entries)
        results: list[Any] = []
        for action in actions:
            kind = action.get("action")
            if kind == "ACTION_ADD_VIDEO":
                video = action.get("addedVideoId")
                if video not in state.catalogue:
                    return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
                if any(v == video for v, _ in working):
                    if action.get("dedupeOption") == "DEDUPE_OPTION_SKIP":
                        continue
                    # Without the option a duplicate fails the whole edit: nothing is added.
                    return Response(
                        {"status": "STATUS_FAILED", "actions": [{"addToToastAction": {}}]}
                    )
                entry = state.new_entry()
                working.append((video, entry))
                results.append(
                    {"playlistEditVideoAddedResultData": {"videoId": video, "setVideoId": entry}}
                )
            elif kind == "ACTION_REMOVE_VIDEO":
                working = [(v, e) for v, e in working if e != action.get("setVideoId")]
            elif kind == "ACTION_MOVE_VIDEO_BEFORE":
                moved = [p for p in working if p[1] == action.get("setVideoId")]
                if not moved:
                    return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
                working.remove(moved[0])
                successor = action.get("movedSetVideoIdSuccessor")
                at = next((i for i, p in enumerate(working) if p[1] == successor), len(working))
                working.insert(at, moved[0])
            elif kind == "ACTION_SET_PLAYLIST_NAME":
                playlist.title = str(action.get("playlistName") or playlist.title)
            else:
                return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        playlist.entries = working
        return lost({"status": "STATUS_SUCCEEDED", "playlistEditResults": results})

    @post("/youtubei/v1/playlist/create", status_code=200)
    async def create(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "create_playlist")
        if (refused := signed_in(request)) is not None:
            return refused
        title = str(body.get("title") or "")
        if "<" in title or ">" in title:
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        playlist_id = state.new_playlist(title, list(body.get("videoIds") or []))
        return lost({"playlistId": playlist_id})

    @post("/youtubei/v1/playlist/delete", status_code=200)
    async def delete(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "delete_playlist")
        if (refused := signed_in(request)) is not None:
            return refused
        state.playlists.pop(str(body.get("playlistId")), None)
        return Response({"status": "STATUS_SUCCEEDED"})

    async def rate(request: Request[Any, Any, Any], endpoint: str, like: bool) -> Response[Any]:
        body = await body_of(request, endpoint)
        if (refused := signed_in(request)) is not None:
            return refused
        if playlist := str((body.get("target") or {}).get("playlistId") or ""):
            # Rating an album's audio playlist saves the album to the library (ytmusicapi's
            # rate_playlist), or takes it out.
            albums = state.catalogue_albums()
            album = albums.get(playlist.removeprefix("OLAK5uy_"))
            if not playlist.startswith("OLAK5uy_") or album is None:
                return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            state.albums[:] = [a for a in state.albums if a["browse_id"] != album["browse_id"]]
            if like:
                state.albums.append(album)
            return Response({"responseContext": {}})
        video = str((body.get("target") or {}).get("videoId") or "")
        if video not in state.catalogue:
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        if like and video not in state.liked:
            state.liked.insert(0, video)
        if not like and video in state.liked:
            state.liked.remove(video)
        return Response({"responseContext": {}})

    @post("/youtubei/v1/like/like", status_code=200)
    async def like(request: Request[Any, Any, Any]) -> Response[Any]:
        return await rate(request, "like", True)

    @post("/youtubei/v1/like/removelike", status_code=200)
    async def unlike(request: Request[Any, Any, Any]) -> Response[Any]:
        return await rate(request, "unlike", False)

    async def subscription(request: Request[Any, Any, Any], subscribe: bool) -> Response[Any]:
        body = await body_of(request, "subscribe" if subscribe else "unsubscribe")
        if (refused := signed_in(request)) is not None:
            return refused
        known = state.catalogue_artists()
        channels = [str(c) for c in body.get("channelIds") or []]
        if not channels or any(c not in known for c in channels):
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        held = [a for a in state.subscriptions if a["channel"] not in channels]
        if subscribe:
            held += [{"name": known[c], "channel": c} for c in dict.fromkeys(channels)]
        state.subscriptions[:] = held
        return Response({"responseContext": {}, "actions": []})

    @post("/youtubei/v1/subscription/subscribe", status_code=200)
    async def subscribe(request: Request[Any, Any, Any]) -> Response[Any]:
        return await subscription(request, True)

    @post("/youtubei/v1/subscription/unsubscribe", status_code=200)
    async def unsubscribe(request: Request[Any, Any, Any]) -> Response[Any]:
        return await subscription(request, False)

    def release_row(title: str, second: list[dict[str, Any]], browse_id: str) -> dict[str, Any]:
        """An album or artist search result: the recorded row's renderer, its columns the
        name and the details, its link the album's or artist's page."""
        row = copy.deepcopy(ITEM)["musicResponsiveListItemRenderer"]
        for key in ("playlistItemData", "multiSelectCheckbox", "overlay", "badges", "menu"):
            row.pop(key, None)
        row["fixedColumns"] = []
        row["flexColumns"] = [
            {"musicResponsiveListItemFlexColumnRenderer": {"text": {"runs": runs}}}
            for runs in ([{"text": title}], second)
        ]
        row["navigationEndpoint"] = {"browseEndpoint": {"browseId": browse_id}}
        return {"musicResponsiveListItemRenderer": row}

    def releases_found(words: list[str], kind: str) -> list[dict[str, Any]]:
        if kind == "albums":
            return [
                release_row(
                    a["title"],
                    [
                        {"text": "Album"},
                        {"text": " • "},
                        {
                            "text": a["artist"],
                            "navigationEndpoint": {"browseEndpoint": {"browseId": a["channel"]}},
                        },
                        {"text": " • "},
                        {"text": a["year"]},
                    ],
                    a["browse_id"],
                )
                for a in state.catalogue_albums().values()
                if all(w in f"{a['title']} {a['artist']}".casefold() for w in words)
            ]
        return [
            release_row(name, [{"text": "Artist"}, {"text": " • "}, {"text": "1.2M"}], channel)
            for channel, name in state.catalogue_artists().items()
            if all(w in name.casefold() for w in words)
        ]

    @post("/youtubei/v1/search", status_code=200)
    async def search(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "search")
        if (refused := signed_in(request, anyone=True)) is not None:
            return refused
        query = str(body.get("query") or "").strip()
        for kind in ("albums", "artists"):
            if body.get("params") == get_search_params(kind, None, False):
                rows = releases_found(query.casefold().split(), kind)
                if not rows:
                    return Response(NOTHING_FOUND)
                shelf = {
                    "musicShelfRenderer": {
                        "title": {"runs": [{"text": kind.title()}]},
                        "contents": rows[:20],
                    }
                }
                return Response(
                    {
                        "responseContext": {},
                        "contents": {
                            "tabbedSearchResultsRenderer": {
                                "tabs": [
                                    {
                                        "tabRenderer": {
                                            "content": {
                                                "sectionListRenderer": {"contents": [shelf]}
                                            }
                                        }
                                    }
                                ]
                            }
                        },
                    }
                )
        by_isrc = [s for s in state.catalogue.values() if s.isrc and s.isrc == query.upper()]
        if not body.get("params") and not by_isrc and query.upper() == RECORDED_ISRC:
            return Response(ISRC_ANSWER)
        words = query.casefold().split()
        found = by_isrc or [
            s
            for s in state.catalogue.values()
            if s.kind == "song"
            and all(w in f"{s.title} {' '.join(a for a, _ in s.artists)}".casefold() for w in words)
        ]
        if not found or not words:
            return Response(NOTHING_FOUND)
        shelf = {
            "musicShelfRenderer": {
                "title": {"runs": [{"text": "Songs"}]},
                "contents": [state.search_item(s) for s in found[:20]],
            }
        }
        return Response(
            {
                "responseContext": {},
                "contents": {
                    "tabbedSearchResultsRenderer": {
                        "tabs": [
                            {
                                "tabRenderer": {
                                    "content": {"sectionListRenderer": {"contents": [shelf]}}
                                }
                            }
                        ]
                    }
                },
            }
        )

    @post("/youtubei/v1/next", status_code=200)
    async def watch_next(request: Request[Any, Any, Any]) -> Response[Any]:
        body = await body_of(request, "next")
        if (refused := signed_in(request, anyone=True)) is not None:
            return refused
        song = state.catalogue.get(str(body.get("videoId") or ""))
        if song is None:
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        panel = {
            "playlistPanelRenderer": {
                "contents": [{"playlistPanelVideoRenderer": state.queue_item(song)}],
                "playlistId": f"RDAMVM{song.video_id}",
            }
        }
        tab = {
            "tabRenderer": {
                "title": "Up next",
                "content": {"musicQueueRenderer": {"content": panel}},
            }
        }
        tabs = {"watchNextTabbedResultsRenderer": {"tabs": [tab]}}
        return Response(
            {
                "responseContext": {},
                "contents": {"singleColumnMusicWatchNextResultsRenderer": {"tabbedRenderer": tabs}},
            }
        )

    @post("/youtubei/v1/account/account_menu", status_code=200)
    async def account(request: Request[Any, Any, Any]) -> Response[Any]:
        await body_of(request, "account")
        if (refused := signed_in(request)) is not None:
            return refused
        header = {
            "accountName": {"runs": [{"text": state.account_name}]},
            "channelHandle": {"runs": [{"text": "@emulatedlistener"}]},
            "accountPhoto": {
                "thumbnails": [{"url": "https://yt3.ggpht.com/emulated", "width": 88}]
            },
        }
        return Response(
            {
                "actions": [
                    {
                        "openPopupAction": {
                            "popup": {
                                "multiPageMenuRenderer": {
                                    "header": {"activeAccountHeaderRenderer": header}
                                }
                            }
                        }
                    }
                ]
            }
        )

    # --- Google's OAuth device flow ---------------------------------------------------

    @post("/device/code", status_code=200)
    async def device_code(request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        if form.get("client_id") != CLIENT_ID:
            return Response(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                status_code=401,
            )
        code = secrets.token_urlsafe(16)
        user_code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
        state.devices[code] = {
            "user_code": user_code,
            "answer": None,
            "expires": time.time() + 1800,
        }
        return Response(
            {
                "device_code": code,
                "user_code": user_code,
                "expires_in": 1800,
                "interval": 1,
                "verification_url": "https://www.google.com/device",
            }
        )

    @post("/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Response(
                {"error": "invalid_client", "error_description": "Unauthorized"}, status_code=401
            )
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in state.refresh_tokens:
                return Response(
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                    status_code=400,
                )
            access = "ya29." + secrets.token_hex(8)
            state.bearers.add(access)
            return Response({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})
        device = state.devices.get(str(form.get("code")))
        if device is None:
            return Response(
                {"error": "invalid_grant", "error_description": "Malformed auth code."},
                status_code=400,
            )
        if device["expires"] < time.time():
            return Response(
                {"error": "expired_token", "error_description": "Expired"}, status_code=400
            )
        if device["answer"] is None:
            return Response(
                {"error": "authorization_pending", "error_description": "Precondition Required"},
                status_code=428,
            )
        if device["answer"] == "denied":
            return Response(
                {"error": "access_denied", "error_description": "Forbidden"}, status_code=403
            )
        del state.devices[str(form.get("code"))]
        access, refresh = state.grant()
        return Response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/youtube",
                "token_type": "Bearer",
            }
        )

    return Litestar(
        [
            browse,
            edit,
            create,
            delete,
            like,
            unlike,
            subscribe,
            unsubscribe,
            search,
            watch_next,
            account,
            device_code,
            token,
        ],
        logging_config=None,
    )


def sample_state(size: int = 120) -> YtMusicState:
    """A library to look at: a playlist of ``size`` songs, some liked, a short history."""
    state = YtMusicState()
    songs = [
        state.add_song(
            f"Emulated Song {n}",
            f"Artist {n % 17}",
            album=(f"Album {n % 9}", f"MPREb_emulated{n % 9}"),
            explicit=n % 5 == 0,
        )
        for n in range(size)
    ]
    state.new_playlist("Emulated playlist", [s.video_id for s in songs])
    state.liked = [s.video_id for s in songs[:10]]
    state.history = [s.video_id for s in songs[:5]]
    state.albums = [
        {"title": "Album 1", "browse_id": "MPREb_emulated1", "artist": "Artist 1", "year": 2020}
    ]
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8768)
    options = parser.parse_args()
    print(f"YouTube Music emulator on http://127.0.0.1:{options.port}")
    print("paste these headers to connect:\n" + example_headers())
    uvicorn.run(
        ytmusic_app(sample_state()), host="127.0.0.1", port=options.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
