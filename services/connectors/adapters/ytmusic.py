"""YouTube Music through InnerTube (``/youtubei/v1/…``), the private API its web client uses.

There is no public API: ytmusicapi (1.12.x) knows InnerTube's request bodies and answer
shapes, which change often. Its client is synchronous (``requests``) and raises with the
remote's body in its messages, so it is not used to *send*: every request goes through our
``ProviderHttp`` (token buckets, bounded retries, call counters, lost answers told apart
from refusals), and ytmusicapi's pure parsers read the answers (``parse_playlist_items``,
``parse_search_results``, its continuation helpers). A changed shape then fails in one
parser, not in our transport.

Reads: library playlists (``FEmusic_liked_playlists``, grid continuations), a playlist's
items (``VL<id>``, continuation tokens, 100 a page), liked songs (``LM``), history
(``FEmusic_history``), library albums (``FEmusic_liked_albums``), and a song's full record
(its watch queue, ``next``, names its album; the album's page numbers it). Writes go to
``browse/edit_playlist``: adds carry ``dedupeOption: DEDUPE_OPTION_SKIP``, so an add that
is sent again never doubles a track; removals and moves name the entry's ``setVideoId``.

Connections: request headers pasted from a signed-in browser (the cookie and
``x-goog-authuser``; ``authorization`` is recomputed for every call as ytmusicapi does,
``SAPISIDHASH`` of the ``__Secure-3PAPISID`` cookie), or Google's device-code OAuth with the
person's own "TVs and Limited Input" client. Expired headers (401/403) and the OAuth
"400 invalid argument" many users met in 2026 raise ``NeedsReauthorisation`` with words a
person can act on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
import msgspec
from ytmusicapi.auth.browser import setup_browser
from ytmusicapi.constants import USER_AGENT
from ytmusicapi.continuations import CONTINUATION_ITEMS, get_continuation_token
from ytmusicapi.exceptions import YTMusicError
from ytmusicapi.helpers import get_authorization, initialize_context, sapisid_from_cookie
from ytmusicapi.navigation import (
    CONTENT,
    GRID,
    MRLIR,
    MUSIC_SHELF,
    SECTION,
    SECTION_LIST,
    SECTION_LIST_ITEM,
    SINGLE_COLUMN_TAB,
    TAB_CONTENT,
    TWO_COLUMN_RENDERER,
    nav,
)
from ytmusicapi.parsers._utils import parse_duration
from ytmusicapi.parsers.albums import parse_album_header_2024
from ytmusicapi.parsers.browsing import parse_content_list, parse_playlist
from ytmusicapi.parsers.library import get_library_contents, parse_albums, parse_artists
from ytmusicapi.parsers.playlists import parse_playlist_items
from ytmusicapi.parsers.search import get_search_params, parse_search_results
from ytmusicapi.parsers.watch import parse_watch_playlist

from services.connectors.adapters.accounts import StoredTokens
from services.connectors.adapters.cache import LookupCache
from services.connectors.adapters.http import ProviderError, ProviderHttp, Unauthorized
from services.connectors.adapters.provider import (
    AlbumInfo,
    ArtistInfo,
    Linked,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.adapters.spec import (
    Building,
    DeviceCode,
    GrantedTokens,
    ProviderSpec,
)
from services.connectors.adapters.spotify import NeedsReauthorisation, RefreshFlight, SpotifyToken
from services.connectors.domain.limits import Bucket, Verdict, classify_generic
from services.connectors.domain.oauth import OAuthError
from services.connectors.domain.ordering import moves
from services.connectors.domain.providers import (
    ACCOUNT_READS,
    ACCOUNT_WRITES,
    LIBRARY_SETS,
    AuthStrategy,
    Capability,
    ProviderInfo,
)
from services.kernel.contracts import Track
from services.kernel.records import ConnectionRecord

#: The web client's own origin: the SAPISIDHASH is computed over it, wherever we send.
ORIGIN = "https://music.youtube.com"
#: Tracks one ``edit_playlist`` call carries (the web client adds far fewer at once).
WRITE_BATCH = 100
SEARCH_LIMIT = 20
#: Channels per subscribe call (ytmusicapi sends a list; its limit is unpublished).
SUBSCRIBE_BATCH = 50
#: Results kept of the search by an ISRC string (the recording, if found, comes first).
ISRC_RESULTS = 5
#: Browser headers worth keeping: what signs a person in, and nothing else they pasted.
KEPT_HEADERS = (
    "cookie",
    "x-goog-authuser",
    "x-goog-pageid",
    "x-goog-visitor-id",
    "user-agent",
)
#: How long an album's numbering is kept (albums rarely change once out).
ALBUM_TTL_S = 7 * 86400.0
#: What the device flow asks Google for (the scope ytmusicapi's OAuth uses).
OAUTH_SCOPE = "https://www.googleapis.com/auth/youtube"
#: Library rows that are not playlists one syncs (liked music, saved episodes).
SPECIAL_PLAYLISTS = frozenset({"LM", "SE"})
SONG_TYPE = "MUSIC_VIDEO_TYPE_ATV"
#: Where a ``next`` answer keeps its watch queue (as ytmusicapi's ``get_watch_playlist``).
WATCH_NEXT = [
    "contents",
    "singleColumnMusicWatchNextResultsRenderer",
    "tabbedRenderer",
    "watchNextTabbedResultsRenderer",
]

INFO = ProviderInfo(
    "ytmusic",
    "YouTube Music",
    (
        Capability.SEARCH,
        *ACCOUNT_READS,
        *LIBRARY_SETS,
        *ACCOUNT_WRITES,
    ),
    AuthStrategy.BROWSER_HEADERS,
)

EXPIRED_HEADERS = (
    "YouTube Music no longer accepts the browser headers this connection was made with "
    "(they stop working when you sign out of that browser, or after some weeks): copy "
    "fresh headers from a signed-in music.youtube.com tab and connect again"
)
OAUTH_INVALID_ARGUMENT = (
    "YouTube Music answered 400 'invalid argument' to this Google sign-in: since 2026 it "
    "refuses the TV-client sign-in for many accounts. Connect with browser headers instead"
)
CONSENT_WITHDRAWN = (
    "Google no longer accepts this connection (its sign-in expired, access was removed "
    "from your Google account, or the app's client was deleted): choose 'Sign in again "
    "with Google' for this connection, or paste fresh browser headers into it"
)


class YtMusicSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``YTMUSIC``.

    Attributes:
        api_url: Where InnerTube is (an emulator's in tests).
        oauth_url: Google's OAuth endpoints, for device-code connections.
        calls_per_minute: Calls one connection makes per minute (YouTube Music publishes
            no limit; a guess that stays below what browsers are seen to do).
        language: The language of the answers (their dates and counts).
    """

    api_url: str = ORIGIN
    oauth_url: str = "https://oauth2.googleapis.com"
    calls_per_minute: int = 300
    language: str = "en"


class YtCredentials(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What is sealed as a YouTube Music connection's access token: the kept browser
    headers, or an OAuth bearer with the client secret its refreshes need."""

    headers: dict[str, str] = msgspec.field(default_factory=dict)
    bearer: str | None = None
    client_secret: str | None = None

    def encode(self) -> str:
        return msgspec.json.encode(self).decode()

    @classmethod
    def decode(cls, sealed: str) -> YtCredentials:
        return msgspec.json.decode(sealed, type=cls)


class HeadersRefused(ValueError):
    """Pasted headers that cannot sign in; the message says what to copy instead."""


def kept_headers(raw: str) -> dict[str, str]:
    """The headers worth keeping from what a person pasted (Firefox's "Copy Request
    Headers", Chrome's alternating name and value lines), or ``HeadersRefused``."""
    try:
        parsed = msgspec.json.decode(setup_browser(headers_raw=raw.replace("\r\n", "\n")))
    except YTMusicError:
        raise HeadersRefused(
            "these are not the request headers of a signed-in YouTube Music request: copy "
            "those of a 'browse' request (see the steps), including Cookie and X-Goog-AuthUser"
        ) from None
    headers = {str(k).lower(): str(v) for k, v in parsed.items()}
    kept = {name: headers[name].strip() for name in KEPT_HEADERS if headers.get(name)}
    try:
        sapisid_from_cookie(kept.get("cookie", ""))
    except KeyError:
        raise HeadersRefused(
            "the Cookie header lacks __Secure-3PAPISID, so these headers are not of a "
            "signed-in tab: sign in to music.youtube.com and copy them again"
        ) from None
    return kept


def classify_ytmusic(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """InnerTube: Google's error JSON (``{"error": {"code", "status", "message"}}``); a
    refused playlist edit is a 200 whose ``status`` is not ``STATUS_SUCCEEDED``. (A 403
    is either expired cookies or a playlist not one's own: the adapter tells them apart.)"""
    verdict = classify_generic(status, headers, body)
    if status == 200 and isinstance(body, Mapping):
        edit = body.get("status")
        if isinstance(edit, str) and edit.startswith("STATUS_") and edit != "STATUS_SUCCEEDED":
            return Verdict("client_error", None, edit)
    return verdict


def _kind(video_type: Any) -> Literal["song", "video"] | None:
    if not video_type:
        return None
    return "song" if video_type == SONG_TYPE else "video"


def track_from_ytmusic(item: Mapping[str, Any]) -> Track | None:
    """One of ytmusicapi's parsed items (playlist entry, search result) as a neutral
    track; None for an entry with no video (deleted, or not music)."""
    video_id = item.get("videoId")
    if not video_id:
        return None
    artists = [a for a in item.get("artists") or [] if a.get("name")]
    album = item.get("album") or {}
    thumbnails = sorted(item.get("thumbnails") or [], key=lambda t: -(t.get("width") or 0))
    seconds = item.get("duration_seconds")
    kind = _kind(item.get("videoType"))
    return Track(
        title=str(item.get("title") or ""),
        artists=tuple(str(a["name"]) for a in artists),
        artist_ids=tuple(str(a.get("id") or "") for a in artists),
        album=album.get("name") if isinstance(album, Mapping) else None,
        duration_ms=int(seconds) * 1000 if isinstance(seconds, int | float) else None,
        explicit=item.get("isExplicit"),
        release_date=str(item["year"]) if item.get("year") else None,
        artwork_urls=tuple(t["url"] for t in thumbnails if t.get("url")),
        kind=kind,
        provider="ytmusic",
        provider_id=str(video_id),
        entry_id=item.get("setVideoId"),
    )


class GoogleDeviceOAuth:
    """Google's device flow and token refresh, for the person's own TV client."""

    def __init__(self, oauth_url: str, client: httpx.AsyncClient | None = None) -> None:
        self.oauth_url = oauth_url.rstrip("/")
        self._client = client

    async def _post(self, path: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if self._client is not None:
            answer = await self._client.post(path, data=dict(form))
        else:  # rare calls (a consent, an hourly refresh): no client kept open for them
            async with httpx.AsyncClient(base_url=self.oauth_url, timeout=20) as client:
                answer = await client.post(path, data=dict(form))
        try:
            body = answer.json()
        except ValueError:
            body = {}
        return answer.status_code, body if isinstance(body, dict) else {}

    async def start(self, client_id: str) -> DeviceCode:
        status, body = await self._post(
            "/device/code", {"client_id": client_id, "scope": OAUTH_SCOPE}
        )
        if status != 200 or "device_code" not in body:
            raise OAuthError(
                "Google refused this client id: create an OAuth client of type 'TVs and "
                "Limited Input devices' and give its id and secret"
            )
        return DeviceCode(
            device_code=str(body["device_code"]),
            user_code=str(body["user_code"]),
            verification_url=str(body.get("verification_url") or body.get("verification_uri")),
            expires_in_s=float(body.get("expires_in", 1800)),
            interval_s=float(body.get("interval", 5)),
        )

    async def poll(
        self, client_id: str, client_secret: str, device_code: str
    ) -> GrantedTokens | None:
        status, body = await self._post(
            "/token",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "code": device_code,
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            },
        )
        error = body.get("error")
        if status == 200 and body.get("access_token"):
            return GrantedTokens(
                access_token=YtCredentials(
                    bearer=str(body["access_token"]), client_secret=client_secret
                ).encode(),
                refresh_token=body.get("refresh_token"),
                expires_in_s=float(body.get("expires_in", 3600)),
            )
        if error in ("authorization_pending", "slow_down"):
            return None
        if error == "access_denied":
            raise OAuthError("you declined the request on Google's page: start again to connect")
        if error == "expired_token":
            raise OAuthError("the code expired before it was entered: start again")
        raise OAuthError(
            "Google refused the client id or secret: check them, and that the client is of "
            "type 'TVs and Limited Input devices'"
        )

    async def refresh(
        self, client_id: str, client_secret: str, refresh_token: str
    ) -> tuple[str, float]:
        """A new bearer and its lifetime; ``NeedsReauthorisation`` when consent is gone."""
        status, body = await self._post(
            "/token",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
                "grant_type": "refresh_token",
            },
        )
        if status == 200 and body.get("access_token"):
            return str(body["access_token"]), float(body.get("expires_in", 3600))
        if body.get("error") in ("invalid_grant", "invalid_client", "unauthorized_client"):
            raise NeedsReauthorisation(CONSENT_WITHDRAWN)
        raise ProviderError("ytmusic", "oauth_refresh", Verdict("server_error"))


class YtAuth:
    """The sign-in of one connection: browser headers, or a bearer kept fresh."""

    def __init__(
        self,
        credentials: YtCredentials,
        refresh_token: str | None = None,
        expires_at: float = 0.0,
        client_id: str | None = None,
        oauth: GoogleDeviceOAuth | None = None,
        on_rotate: Callable[[YtCredentials, float, float], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
        flight: RefreshFlight | None = None,
    ) -> None:
        """``flight``: the connection's single-flight refresh (the connectors give one, so
        every adapter of the connection, on every replica, renews it once)."""
        self.flight = flight
        self._renewing = asyncio.Lock()
        self.credentials = credentials
        self.refresh_token = refresh_token
        self.expires_at = expires_at
        self.client_id = client_id
        self.oauth = oauth
        self.on_rotate = on_rotate
        self.clock = clock

    @property
    def is_oauth(self) -> bool:
        return self.credentials.bearer is not None

    async def bearer(self) -> str:
        """The OAuth bearer, renewed first when it is about to expire."""
        if self.clock() > self.expires_at - 60:
            await self.refresh(self.credentials.bearer)
        return self.credentials.bearer or ""

    def bearer_headers(self, bearer: str) -> dict[str, str]:
        """The headers of a call made with ``bearer``."""
        return {"authorization": f"Bearer {bearer}", "x-goog-request-time": str(int(self.clock()))}

    async def headers(self) -> dict[str, str]:
        """The headers of the next call (a SAPISIDHASH is only good for a while)."""
        if self.is_oauth:
            return self.bearer_headers(await self.bearer())
        kept = self.credentials.headers
        if not kept:  # the public catalog: searches need no account
            return {"origin": ORIGIN, "x-origin": ORIGIN, "user-agent": USER_AGENT}
        sapisid = sapisid_from_cookie(kept.get("cookie", ""))
        return {
            **kept,
            "authorization": get_authorization(f"{sapisid} {ORIGIN}"),
            "origin": ORIGIN,
            "x-origin": ORIGIN,
        }

    async def refresh(self, refused: str | None = None) -> None:
        """A new bearer (``refused``: the one found stale or refused), once however many
        callers ask together; or ``NeedsReauthorisation``."""
        if not self.is_oauth:
            raise NeedsReauthorisation(EXPIRED_HEADERS)
        if not (self.oauth and self.refresh_token and self.client_id):
            raise NeedsReauthorisation(CONSENT_WITHDRAWN)
        if self.flight is not None:
            stale = msgspec.structs.replace(self.credentials, bearer=refused).encode()
            token = SpotifyToken(stale, self.refresh_token, self.expires_at)
            renewed = await self.flight(token.access_token, self._trade)
            self.credentials = YtCredentials.decode(renewed.access_token)
            self.refresh_token = renewed.refresh_token or self.refresh_token
            self.expires_at = renewed.expires_at
            return
        async with self._renewing:
            if refused and self.credentials.bearer != refused and not self._due():
                return  # renewed meanwhile by a caller refused at the same time
            renewed = await self._trade(
                SpotifyToken(self.credentials.encode(), self.refresh_token, self.expires_at)
            )
            self.credentials = YtCredentials.decode(renewed.access_token)
            self.expires_at = renewed.expires_at
            if self.on_rotate is not None:
                await self.on_rotate(self.credentials, self.expires_at, renewed.lifetime_s)

    def _due(self) -> bool:
        return self.clock() > self.expires_at - 60

    async def _trade(self, token: SpotifyToken) -> SpotifyToken:
        """Google's refresh grant for the credentials ``token`` holds (sealed together)."""
        credentials = YtCredentials.decode(token.access_token)
        assert self.oauth is not None and self.client_id is not None
        bearer, lifetime = await self.oauth.refresh(
            self.client_id,
            credentials.client_secret or "",
            token.refresh_token or self.refresh_token or "",
        )
        return SpotifyToken(
            msgspec.structs.replace(credentials, bearer=bearer).encode(),
            token.refresh_token or self.refresh_token,
            self.clock() + lifetime,
            lifetime,
        )


class AlbumNumbering(msgspec.Struct, frozen=True):
    """What an album's page says of its songs: ``videos[n - 1]`` is track ``n``."""

    title: str | None
    artists: tuple[str, ...]
    year: str | None
    total: int | None
    covers: tuple[str, ...]
    videos: tuple[str, ...]


class YtMusicProvider(Provider):
    """A person's YouTube Music library, through InnerTube."""

    name: ClassVar[str] = "ytmusic"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name
    write_batch: ClassVar[int] = WRITE_BATCH

    def __init__(
        self,
        http: ProviderHttp,
        auth: YtAuth,
        buckets: Sequence[Bucket],
        language: str = "en",
        cache: LookupCache | None = None,
    ) -> None:
        self.http = http
        self.cache = cache
        self.auth = auth
        self.buckets = list(buckets)
        self.context = initialize_context()
        self.context["context"]["client"]["hl"] = language
        #: Results of the search by an ISRC string, per ISRC (each variant asks again).
        self._by_isrc: dict[str, list[Track]] = {}

    async def _call(
        self,
        path: str,
        endpoint: str,
        body: Mapping[str, Any],
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        async def send(headers: Mapping[str, str]) -> Any:
            return await self.http.call(
                "POST",
                f"/youtubei/v1/{path}",
                endpoint=endpoint,
                buckets=self.buckets,
                params={"alt": "json", "prettyPrint": "false", **(params or {})},
                json={**body, **self.context},
                headers=headers,
                idempotent=idempotent,
            )

        try:
            if self.auth.is_oauth:
                # Refused once, the bearer is renewed (single-flight) and the call repeated.
                answer = await self._authorised(
                    self.auth, lambda bearer: send(self.auth.bearer_headers(bearer))
                )
            else:
                answer = await send(await self.auth.headers())
        except Unauthorized:
            raise NeedsReauthorisation(
                CONSENT_WITHDRAWN if self.auth.is_oauth else EXPIRED_HEADERS
            ) from None
        except ProviderError as error:
            if error.verdict.outcome == "forbidden":
                # Expired cookies answer 403 too: the account menu says which it is
                # (refused there too, the sign-in is gone; else the item is not ours).
                if endpoint == "account":
                    raise NeedsReauthorisation(
                        CONSENT_WITHDRAWN if self.auth.is_oauth else EXPIRED_HEADERS
                    ) from None
                await self.profile()
                raise
            said = (error.verdict.message or "").casefold()
            if (
                self.auth.is_oauth
                and error.verdict.outcome == "client_error"
                and ("invalid argument" in said)
            ):
                raise NeedsReauthorisation(OAUTH_INVALID_ARGUMENT) from None
            raise
        return answer if isinstance(answer, dict) else {}

    def _unreadable(self, endpoint: str) -> ProviderError:
        # The answer's shape is not one ytmusicapi knows: InnerTube changed again.
        return ProviderError(self.name, endpoint, Verdict("client_error", None, "unknown shape"))

    # --- reads -------------------------------------------------------------------------

    async def profile(self) -> Profile:
        answer = await self._call("account/account_menu", "account", {})
        header = nav(
            answer,
            [
                "actions",
                0,
                "openPopupAction",
                "popup",
                "multiPageMenuRenderer",
                "header",
                "activeAccountHeaderRenderer",
            ],
            True,
        )
        if not isinstance(header, dict):
            raise self._unreadable("account")
        name = nav(header, ["accountName", "runs", 0, "text"], True)
        handle = nav(header, ["channelHandle", "runs", 0, "text"], True)
        return Profile(self.name, str(handle or name or ""), name)

    def _entries(self, browse_id: str, endpoint: str) -> AsyncIterator[Mapping[str, Any]]:
        """A playlist's parsed items, page by page (continuation tokens)."""

        async def page(token: str | None, _size: int) -> Linked[Mapping[str, Any], str]:
            if token:
                answer = await self._call("browse", endpoint, {"continuation": token})
                contents = nav(answer, CONTINUATION_ITEMS, True) or []
            else:
                first = await self._call("browse", endpoint, {"browseId": browse_id})
                shelf = nav(
                    first,
                    [
                        *TWO_COLUMN_RENDERER,
                        "secondaryContents",
                        *SECTION,
                        *CONTENT,
                        "musicPlaylistShelfRenderer",
                    ],
                    True,
                )
                if shelf is None:
                    if nav(first, TWO_COLUMN_RENDERER, True) is not None:
                        return Linked([])  # an empty playlist has no shelf
                    raise self._unreadable(endpoint)
                contents = shelf.get("contents") or []
            items = parse_playlist_items(contents) if contents else []
            return Linked(items, get_continuation_token(contents) if contents else None)

        return self._linked_pages(endpoint, page)

    async def _tracks(self, browse_id: str, endpoint: str) -> AsyncIterator[Track]:
        async for item in self._entries(browse_id, endpoint):
            track = track_from_ytmusic(item)
            if track is not None:
                yield track

    def _grid(
        self, browse_id: str, endpoint: str, parse: Callable[[list[Any]], list[Any]]
    ) -> AsyncIterator[Mapping[str, Any]]:
        """A library grid's items, then its continuations."""

        async def page(token: str | None, _size: int) -> Linked[Mapping[str, Any], str]:
            if token:
                answer = await self._call(
                    "browse",
                    endpoint,
                    {"browseId": browse_id},
                    params={"ctoken": token, "continuation": token, "type": "next"},
                )
                grid = nav(answer, ["continuationContents", "gridContinuation"], True)
            else:
                answer = await self._call("browse", endpoint, {"browseId": browse_id})
                grid = get_library_contents(answer, GRID)
            if not isinstance(grid, dict):
                return Linked([])
            following = nav(
                grid, ["continuations", 0, "nextContinuationData", "continuation"], True
            )
            return Linked(parse(list(grid.get("items") or [])), following or None)

        return self._linked_pages(endpoint, page)

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        def parse(items: list[Any]) -> list[Any]:
            return parse_content_list(
                [
                    i
                    for i in items
                    if nav(
                        i,
                        [
                            "musicTwoRowItemRenderer",
                            "title",
                            "runs",
                            0,
                            "navigationEndpoint",
                            "browseEndpoint",
                        ],
                        True,
                    )
                ],
                parse_playlist,
            )

        async for item in self._grid("FEmusic_liked_playlists", "library_playlists", parse):
            playlist_id = str(item.get("playlistId") or "")
            if not playlist_id or playlist_id in SPECIAL_PLAYLISTS:
                continue
            count = str(item.get("count") or "").replace(",", "")
            yield PlaylistInfo(
                self.name,
                playlist_id,
                str(item.get("title") or ""),
                int(count) if count.isdigit() else None,
                owned=bool(item.get("owned")),
            )

    def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        return self._tracks(f"VL{playlist_id.removeprefix('VL')}", "playlist_items")

    def liked_tracks(self) -> AsyncIterator[Track]:
        return self._tracks("VLLM", "liked_songs")

    async def recently_played(self) -> AsyncIterator[Track]:
        answer = await self._call("browse", "history", {"browseId": "FEmusic_history"})
        for section in nav(answer, [*SINGLE_COLUMN_TAB, *SECTION_LIST], True) or []:
            items = nav(section, [*MUSIC_SHELF, "contents"], True) or []
            for item in parse_playlist_items(items):
                track = track_from_ytmusic(item)
                if track is not None:
                    yield track

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        async for album in self._grid("FEmusic_liked_albums", "library_albums", parse_albums):
            if not album.get("browseId"):
                continue
            thumbnails = sorted(album.get("thumbnails") or [], key=lambda t: -(t.get("width") or 0))
            yield AlbumInfo(
                self.name,
                str(album["browseId"]),
                str(album.get("title") or ""),
                tuple(str(a["name"]) for a in album.get("artists") or [] if a.get("name")),
                None,
                album.get("year"),
                tuple(t["url"] for t in thumbnails if t.get("url")),
            )

    async def followed_artists(self) -> AsyncIterator[ArtistInfo]:
        """The artists subscribed to (``FEmusic_library_corpus_artists``), a shelf and its
        continuations, read by ytmusicapi's ``parse_artists``."""

        async def page(token: str | None, _size: int) -> Linked[Mapping[str, Any], str]:
            body = {"browseId": "FEmusic_library_corpus_artists"}
            if token:
                answer = await self._call(
                    "browse",
                    "subscriptions",
                    body,
                    params={"ctoken": token, "continuation": token, "type": "next"},
                )
                shelf = nav(answer, ["continuationContents", "musicShelfContinuation"], True)
            else:
                answer = await self._call("browse", "subscriptions", body)
                shelf = get_library_contents(answer, MUSIC_SHELF)
            if not isinstance(shelf, dict):
                return Linked([])
            following = nav(
                shelf, ["continuations", 0, "nextContinuationData", "continuation"], True
            )
            return Linked(parse_artists(list(shelf.get("contents") or [])), following or None)

        async for artist in self._linked_pages("subscriptions", page):
            if artist.get("browseId") and artist.get("type", "artist") == "artist":
                thumbnails = sorted(
                    artist.get("thumbnails") or [], key=lambda t: -(t.get("width") or 0)
                )
                yield ArtistInfo(
                    self.name,
                    str(artist["browseId"]),
                    str(artist.get("artist") or ""),
                    tuple(t["url"] for t in thumbnails if t.get("url")),
                )

    async def _found(self, text: str, kind: Literal["albums", "artists"]) -> list[Any]:
        """Albums or artists a search finds (its ``albums``/``artists`` filter), read by
        ytmusicapi's ``parse_search_results``."""
        body = {"query": text, "params": get_search_params(kind, None, False)}
        answer = await self._call("search", f"search_{kind}", body)
        tabs = nav(answer, ["contents", "tabbedSearchResultsRenderer", "tabs"], True)
        results = nav(tabs[0], ["tabRenderer", "content"], True) if tabs else answer.get("contents")
        found: list[Any] = []
        for section in nav(results, SECTION_LIST, True) or []:
            shelf = section.get("musicShelfRenderer") or {}
            items = [i for i in shelf.get("contents") or [] if MRLIR in i]
            found += [r for r in parse_search_results(items, kind[:-1], None) if r.get("browseId")]
        return found

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        text = " ".join(part for part in (query.title.strip(), *query.artists[:1]) if part)
        if not text:
            return []
        return [
            AlbumInfo(
                self.name,
                str(found["browseId"]),
                str(found.get("title") or ""),
                tuple(str(a["name"]) for a in found.get("artists") or [] if a.get("name")),
                None,
                found.get("year"),
            ).record()
            for found in (await self._found(text, "albums"))[:limit]
        ]

    async def search_artists(self, query: Track, limit: int = 10) -> list[Track]:
        if not query.title.strip():
            return []
        return [
            ArtistInfo(self.name, str(found["browseId"]), str(found.get("artist") or "")).record()
            for found in (await self._found(query.title.strip(), "artists"))[:limit]
        ]

    async def _album_playlist(self, album_id: str) -> str:
        """An album's audio playlist (``OLAK5uy_…``), which saving the album rates."""
        page = await self._call("browse", "album", {"browseId": album_id})
        try:
            playlist = parse_album_header_2024(page).get("audioPlaylistId")
        except (KeyError, IndexError, TypeError, ValueError):
            playlist = None
        if not playlist:
            raise self._unreadable("album")
        return str(playlist)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        for album_id in album_ids:  # one album per call; liking it twice changes nothing
            target = {"playlistId": await self._album_playlist(album_id)}
            await self._call("like/like", "save_album", {"target": target})

    async def unsave_albums(self, album_ids: Sequence[str]) -> None:
        for album_id in album_ids:
            target = {"playlistId": await self._album_playlist(album_id)}
            await self._call("like/removelike", "unsave_album", {"target": target})

    async def follow_artists(self, artist_ids: Sequence[str]) -> None:
        for batch in batches(list(artist_ids), SUBSCRIBE_BATCH):
            await self._call("subscription/subscribe", "subscribe", {"channelIds": list(batch)})

    async def unfollow_artists(self, artist_ids: Sequence[str]) -> None:
        for batch in batches(list(artist_ids), SUBSCRIBE_BATCH):
            body = {"channelIds": list(batch)}
            await self._call("subscription/unsubscribe", "unsubscribe", body)

    async def _placed(self, playlist_id: str) -> list[tuple[str, str]]:
        """Every entry of a playlist as (video id, set-video id), in order."""
        found: list[tuple[str, str]] = []
        async for item in self._entries(f"VL{playlist_id.removeprefix('VL')}", "playlist_items"):
            if item.get("videoId"):
                found.append((str(item["videoId"]), str(item.get("setVideoId") or "")))
        return found

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        # InnerTube pages by token only: the tail is read from the start.
        placed = await self._placed(playlist_id)
        return [video for video, _ in placed[len(placed) - count :]] if count else []

    # --- writes ------------------------------------------------------------------------

    async def _edit(
        self, playlist_id: str, actions: list[dict[str, Any]], endpoint: str, idempotent: bool
    ) -> Mapping[str, Any]:
        return await self._call(
            "browse/edit_playlist",
            endpoint,
            {"playlistId": playlist_id.removeprefix("VL"), "actions": actions},
            idempotent=idempotent,
        )

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        # YouTube Music fails on '<' and '>' in titles, and takes no HTML in descriptions.
        title = name.replace("<", "(").replace(">", ")")
        body = {
            "title": title,
            "description": description.replace("<", "").replace(">", ""),
            "privacyStatus": "PRIVATE",
        }
        created = await self._call("playlist/create", "create_playlist", body, idempotent=False)
        if not created.get("playlistId"):
            raise self._unreadable("create_playlist")
        return PlaylistInfo(self.name, str(created["playlistId"]), name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        # With DEDUPE_OPTION_SKIP a video already there is skipped: an add sent again
        # after a lost answer cannot double it (the base class also looks first).
        actions = [
            {
                "action": "ACTION_ADD_VIDEO",
                "addedVideoId": video,
                "dedupeOption": "DEDUPE_OPTION_SKIP",
            }
            for video in track_ids
        ]
        await self._edit(playlist_id, actions, "playlist_add", idempotent=False)

    async def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        placed = await self._placed(playlist_id)
        doomed = set(track_ids)
        entries = [(video, entry) for video, entry in placed if video in doomed and entry]
        await self._batched(
            [f"{video} {entry}" for video, entry in entries],
            lambda batch: self._remove(playlist_id, batch),
            call="remove",
        )

    async def _remove(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        # Each item is "videoId setVideoId": removal names the entry, so a repeat is a no-op.
        actions = []
        for pair in track_ids:
            video, _, entry = pair.partition(" ")
            actions.append(
                {"action": "ACTION_REMOVE_VIDEO", "setVideoId": entry, "removedVideoId": video}
            )
        await self._edit(playlist_id, actions, "playlist_remove", idempotent=True)

    async def reorder(self, playlist_id: str, order: Sequence[str]) -> None:
        placed = await self._placed(playlist_id)
        videos = [video for video, _ in placed]
        entries = [entry for _, entry in placed]
        for start, before in moves(videos, list(order)):
            action: dict[str, Any] = {
                "action": "ACTION_MOVE_VIDEO_BEFORE",
                "setVideoId": entries[start],
                "movedSetVideoIdSuccessor": entries[before],
            }
            # Moving an entry before another twice leaves it where the first put it.
            await self._edit(playlist_id, [action], "playlist_move", idempotent=True)
            entries.insert(before, entries.pop(start))
            videos.insert(before, videos.pop(start))

    async def _rate(self, track_ids: Sequence[str], path: str, endpoint: str) -> None:
        for video in track_ids:  # one video per call; rating twice changes nothing
            await self._call(path, endpoint, {"target": {"videoId": video}})

    async def like(self, track_ids: Sequence[str]) -> None:
        await self._rate(track_ids, "like/like", "like")

    async def unlike(self, track_ids: Sequence[str]) -> None:
        await self._rate(track_ids, "like/removelike", "unlike")

    # --- search ------------------------------------------------------------------------

    async def _search(self, text: str, songs_only: bool, limit: int) -> list[Track]:
        body: dict[str, Any] = {"query": text}
        if songs_only:
            body["params"] = get_search_params("songs", None, False)
        answer = await self._call("search", "search", body)
        tabs = nav(answer, ["contents", "tabbedSearchResultsRenderer", "tabs"], True)
        results = nav(tabs[0], ["tabRenderer", "content"], True) if tabs else answer.get("contents")
        found: list[Track] = []
        for section in nav(results, SECTION_LIST, True) or []:
            shelf = section.get("musicShelfRenderer") or section.get("itemSectionRenderer") or {}
            items = [i for i in shelf.get("contents") or [] if MRLIR in i]
            for item in parse_search_results(items, "song" if songs_only else None, None):
                if item.get("resultType") in ("song", "video"):
                    track = track_from_ytmusic(item)
                    if track is not None:
                        found.append(track)
        return found[:limit]

    async def track(self, track_id: str) -> Track | None:
        """A song's full record, numbered on its album: YouTube Music's search gives no
        track numbers, so the song's watch queue (``next``) names its album, and the
        album's page its place there, the album's track count, year and artists."""
        # The body ytmusicapi's get_watch_playlist sends for one song (its radio queue).
        body = {
            "enablePersistentPlaylistPanel": True,
            "isAudioOnly": True,
            "tunerSettingValue": "AUTOMIX_SETTING_NORMAL",
            "videoId": track_id,
            "playlistId": f"RDAMVM{track_id}",
            "watchEndpointMusicSupportedConfigs": {
                "watchEndpointMusicConfig": {
                    "hasPersistentPlaylistPanel": True,
                    "musicVideoType": SONG_TYPE,
                }
            },
        }
        answer = await self._call("next", "watch", body)
        queue = nav(
            answer,
            [*WATCH_NEXT, *TAB_CONTENT, "musicQueueRenderer", "content", "playlistPanelRenderer"],
            True,
        )
        if not isinstance(queue, Mapping):
            raise self._unreadable("watch")
        played = next(
            (
                t
                for t in parse_watch_playlist(queue.get("contents") or [])
                if t["videoId"] == track_id
            ),
            None,
        )
        if played is None:
            return None
        song = track_from_ytmusic(
            {
                **played,
                "thumbnails": played.get("thumbnail"),
                "duration_seconds": parse_duration(played.get("length")),
            }
        )
        album_id = nav(played, ["album", "id"], True)
        if song is None or not album_id:
            return song
        album = await self._album(str(album_id))
        place = album.videos.index(track_id) + 1 if album and track_id in album.videos else 0
        if album is None or not place:
            return song
        return msgspec.structs.replace(
            song,
            album=album.title or song.album,
            album_artists=album.artists,
            track_number=place,
            track_total=album.total or len(album.videos),
            release_date=album.year or song.release_date,
            artwork_urls=album.covers or song.artwork_urls,
        )

    async def _album(self, album_id: str) -> AlbumNumbering | None:
        """An album's page as its songs' numbering, kept in the look-up cache (the tracks of
        one album, downloaded together, read it once); None for a page of another shape."""
        key = f"ytmusic:album:{album_id}"
        cached = await self.cache.get(key) if self.cache else None
        if cached is not None:
            return msgspec.json.decode(cached, type=AlbumNumbering)
        page = await self._call("browse", "album", {"browseId": album_id})
        try:
            album = parse_album_header_2024(page)
            shelf = nav(
                page, [*TWO_COLUMN_RENDERER, "secondaryContents", *SECTION_LIST_ITEM, *MUSIC_SHELF]
            )
            numbered = parse_playlist_items(shelf["contents"], is_album=True)
        except (KeyError, IndexError, TypeError, ValueError):
            return None  # InnerTube changed again: the song's own record stands
        covers = sorted(album.get("thumbnails") or [], key=lambda t: -(t.get("width") or 0))
        places = {
            int(t["trackNumber"]): str(t["videoId"])
            for t in numbered
            if t.get("trackNumber") and t.get("videoId")
        }
        made = AlbumNumbering(
            title=str(album.get("title") or "") or None,
            artists=tuple(str(a["name"]) for a in album.get("artists") or [] if a.get("name")),
            year=str(album.get("year") or "") or None,
            total=int(album.get("trackCount") or 0) or None,
            covers=tuple(str(t["url"]) for t in covers if t.get("url")),
            videos=tuple(places.get(n, "") for n in range(1, max(places, default=0) + 1)),
        )
        if self.cache:
            await self.cache.put(key, msgspec.json.encode(made), ALBUM_TTL_S)
        return made

    async def search(self, query: Track, limit: int = SEARCH_LIMIT) -> list[Track]:
        """Songs for the title and artist. A query that carries an ISRC is first looked up
        by the ISRC string (YouTube Music keeps no ISRCs, but its search sometimes finds
        one in a description): those results lead, and the matcher accepts them only
        when their title, artists and length agree."""
        text = " ".join(part for part in (query.title.strip(), *query.artists[:1]) if part)
        found: list[Track] = []
        if query.isrc:
            isrc = query.isrc.replace("-", "").upper()
            if isrc not in self._by_isrc:
                self._by_isrc[isrc] = await self._search(isrc, False, ISRC_RESULTS)
            found += self._by_isrc[isrc]
        if text:
            known = {t.provider_id for t in found}
            found += [
                t for t in await self._search(text, True, limit) if t.provider_id not in known
            ]
        return found


def build(building: Building, record: ConnectionRecord, settings: YtMusicSettings) -> Provider:
    """One connection's library, paced per connection (YouTube Music limits accounts)."""
    stored = building.tokens(record)
    credentials = YtCredentials.decode(stored.access_token)
    oauth = GoogleDeviceOAuth(settings.oauth_url) if credentials.bearer else None

    async def keep(updated: YtCredentials, expires_at: float, lifetime: float) -> None:
        await building.accounts.save_tokens(
            record.user_id,
            record.connection_id,
            StoredTokens(updated.encode(), stored.refresh_token, expires_at, lifetime),
        )

    per_second = settings.calls_per_minute / 60
    return YtMusicProvider(
        building.http("ytmusic", settings.api_url),
        YtAuth(
            credentials,
            stored.refresh_token,
            stored.expires_at,
            record.client_id,
            oauth,
            keep,
            flight=building.accounts.refresh_flight(record) if oauth else None,
        ),
        [
            Bucket(
                f"ytmusic:account:{record.connection_id}",
                capacity=max(1.0, per_second * 5),
                per_second=per_second,
            )
        ],
        settings.language,
        building.cache,
    )


def sealed_headers(pasted: str) -> str:
    """What is sealed for a connection made from pasted browser headers."""
    return YtCredentials(headers=kept_headers(pasted)).encode()


def catalog(building: Building, settings: YtMusicSettings) -> Provider:
    """YouTube Music's public catalog (searches without an account): what a matched
    download may look a track up in."""
    per_second = settings.calls_per_minute / 60
    return YtMusicProvider(
        building.http("ytmusic", settings.api_url),
        YtAuth(YtCredentials()),
        [Bucket("ytmusic:anonymous", capacity=max(1.0, per_second * 5), per_second=per_second)],
        settings.language,
        building.cache,
    )


def device(settings: YtMusicSettings) -> GoogleDeviceOAuth:
    """Google's device flow, for people who bring their own TV client."""
    return GoogleDeviceOAuth(settings.oauth_url)


SPEC = ProviderSpec(
    INFO,
    YtMusicSettings,
    build,
    classify_ytmusic,
    catalog=catalog,
    device=device,
    pasted=sealed_headers,
)
