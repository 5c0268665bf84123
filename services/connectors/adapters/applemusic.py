"""Apple Music through its official API (``api.music.apple.com/v1``).

Every call carries the installation's developer token, an ES256 JWT signed with the
owner's MusicKit key (Team ID, Key ID, ``.p8``), made here with PyJWT and made again well
before it runs out (Apple allows at most about six months). User calls also carry the
person's Music-User-Token from MusicKit JS sign-in (the gateway's one page that loads
Apple's script), stored sealed like any token; Apple gives no refresh for it, so a refused
one means signing in again.

Library playlists only grow: the API has no removal and no reordering of their tracks, so
neither is among the capabilities, and the sync planner says so before a run. Catalog
calls go to the user's storefront; ISRCs are looked up many at a time
(``filter[isrc]=A,B,…``), ahead of the matcher asking for them one by one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import jwt
import msgspec

from services.connectors.adapters.http import ProviderError, ProviderHttp
from services.connectors.adapters.provider import (
    AlbumInfo,
    Linked,
    PlaylistInfo,
    Profile,
    Provider,
    batches,
)
from services.connectors.adapters.spec import Building, ProviderSpec
from services.connectors.adapters.spotify import NeedsReauthorisation
from services.connectors.domain.limits import Bucket, Verdict, classify_generic
from services.connectors.domain.providers import AuthStrategy, Capability, ProviderInfo
from services.kernel.contracts import Track
from services.kernel.records import ConnectionRecord

#: Apple's longest developer-token life (15 777 000 s, six months; quoted by community
#: tools, not by Apple's page: the setting may shorten it).
MAX_TOKEN_LIFE_S = 15_777_000.0
DAY_S = 86400.0

INFO = ProviderInfo(
    "applemusic",
    "Apple Music",
    (
        Capability.SEARCH,
        Capability.ISRC_LOOKUP,
        Capability.READ_PROFILE,
        Capability.READ_PLAYLISTS,
        Capability.READ_LIKED,
        Capability.READ_RECENT,
        Capability.CREATE_PLAYLIST,
        Capability.ADD_ITEMS,
        Capability.LIKE,
        # Albums added to the library (not taken out: as for songs); no artists, for
        # Apple's API cannot follow one.
        Capability.READ_ALBUMS,
        Capability.SAVE_ALBUMS,
        # No REMOVE_ITEMS, REORDER_ITEMS: Apple's playlists only grow. No UNLIKE: a
        # library addition cannot be taken back through the API either.
    ),
    AuthStrategy.MUSICKIT,
)


class AppleMusicSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``APPLEMUSIC``.

    Attributes:
        api_url: Apple Music's API (an emulator's in tests).
        team_id: The owner's Apple Developer Team ID (the JWT's ``iss``).
        key_id: The MusicKit key's id (the JWT's ``kid``).
        private_key_file: The ``.p8`` file of that key.
        private_key: The same key as text (instead of the file).
        developer_token: A developer token made elsewhere (cannot be renewed here: a
            warning is shown as its end nears).
        token_life_s: Life of each developer token made here (at most six months).
        renew_before_s: A token made here is made again this long before it ends.
        warn_before_days: Days before a developer token's end that health warns.
        isrc_batch: ISRCs per catalog look-up (Apple publishes no limit: UNVERIFIED).
        add_batch: Tracks per playlist append (unpublished: UNVERIFIED).
        library_batch: Songs per add-to-library call (unpublished: UNVERIFIED).
        page_size: Items per library page (100, forum report).
        calls_per_s: Calls per second (Apple publishes no limit: UNVERIFIED).
        storefront: The catalog storefront where a user's is unknown.
    """

    api_url: str = "https://api.music.apple.com"
    team_id: str | None = None
    key_id: str | None = None
    private_key_file: str | None = None
    private_key: str | None = None
    developer_token: str | None = None
    token_life_s: float = MAX_TOKEN_LIFE_S
    renew_before_s: float = 7 * DAY_S
    warn_before_days: float = 28.0
    isrc_batch: int = 25
    add_batch: int = 100
    library_batch: int = 100
    page_size: int = 100
    calls_per_s: float = 10.0
    storefront: str = "us"


class DeveloperTokens:
    """The installation's developer token: made from the MusicKit key, and made again
    ``renew_before_s`` before it ends; or one given ready-made."""

    def __init__(self, settings: AppleMusicSettings, clock: Any = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._key: str | None = settings.private_key
        if self._key is None and settings.private_key_file:
            self._key = Path(settings.private_key_file).expanduser().read_text()
        self._token: str | None = settings.developer_token
        self._expires = _expiry(settings.developer_token) if settings.developer_token else 0.0

    @property
    def can_sign(self) -> bool:
        return bool(self._key and self.settings.team_id and self.settings.key_id)

    @property
    def configured(self) -> bool:
        return self.can_sign or self._token is not None

    def token(self) -> str:
        """A developer token good for a while yet."""
        now = self.clock()
        if self.can_sign and (
            self._token is None or self._expires - self.settings.renew_before_s <= now
        ):
            self._mint(now)
        if self._token is None:
            raise NeedsReauthorisation(
                "Apple Music needs the installation's MusicKit key: set "
                "TUNEBRIDGE_APPLEMUSIC__TEAM_ID, __KEY_ID and __PRIVATE_KEY_FILE"
            )
        return self._token

    def renew(self) -> None:
        """Apple refused the token: make a new one (when a key is at hand)."""
        if self.can_sign:
            self._mint(self.clock())

    async def bearer(self) -> str:
        """The developer token, as ``Provider._authorised`` asks for a bearer."""
        return self.token()

    async def refresh(self, refused: str | None = None) -> bool:
        """Apple refused ``refused``: made again once, however many calls were refused
        with it (minting does not wait, so no two callers mint at once); False when no
        key is at hand to make one (a ready-made token cannot be renewed here)."""
        if not self.can_sign:
            return False
        if refused is None or refused == self._token:
            self._mint(self.clock())
        return True

    def _mint(self, now: float) -> None:
        life = min(self.settings.token_life_s, MAX_TOKEN_LIFE_S)
        self._expires = now + life
        self._token = jwt.encode(
            {"iss": self.settings.team_id, "iat": int(now), "exp": int(self._expires)},
            self._key or "",
            algorithm="ES256",
            headers={"kid": self.settings.key_id or ""},
        )

    @property
    def expires_at(self) -> float:
        return self._expires

    def warning(self) -> str | None:
        """What the owner should hear weeks before the developer token ends (only a
        ready-made one ends: one made here is renewed)."""
        if not self.configured:
            return None
        if self.can_sign:
            self.token()
            return None
        left_days = (self._expires - self.clock()) / DAY_S
        if left_days > self.settings.warn_before_days:
            return None
        if left_days <= 0:
            return "the Apple Music developer token has expired: Apple Music calls fail"
        return (
            f"the Apple Music developer token expires in {left_days:.0f} days: make a new "
            "one, or give the MusicKit key so Tunebridge renews it"
        )


def _expiry(token: str) -> float:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return 0.0
    return float(claims.get("exp") or 0)


def classify_apple(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """Apple's errors: ``{"errors":[{"status":"400","code":"40005",…}]}`` (both strings);
    a 413 or a "too many" parameter error says the batch was too large."""
    verdict = classify_generic(status, headers, None)
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, Mapping):
        return verdict
    detail = str(first.get("detail") or first.get("title") or "") or None
    if status == 400 and "too many" in (detail or "").lower():
        return Verdict("too_large", None, detail)
    return Verdict(verdict.outcome, verdict.retry_after, detail)


def track_from_apple(resource: Mapping[str, Any]) -> Track:
    """A catalog song, or a library song (by its catalog id where it has one)."""
    attributes = resource.get("attributes") or {}
    catalog = (((resource.get("relationships") or {}).get("catalog") or {}).get("data") or [{}])[0]
    catalog_attributes = catalog.get("attributes") or {}
    play = attributes.get("playParams") or {}
    artwork = attributes.get("artwork") or {}
    url = artwork.get("url")
    return Track(
        title=str(attributes.get("name") or ""),
        artists=(attributes["artistName"],) if attributes.get("artistName") else (),
        album=attributes.get("albumName"),
        track_number=attributes.get("trackNumber"),
        disc_number=attributes.get("discNumber"),
        duration_ms=attributes.get("durationInMillis"),
        isrc=attributes.get("isrc") or catalog_attributes.get("isrc"),
        explicit=attributes.get("contentRating") == "explicit"
        if "contentRating" in attributes
        else None,
        release_date=attributes.get("releaseDate"),
        artwork_urls=(url.replace("{w}", "1000").replace("{h}", "1000"),)
        if isinstance(url, str)
        else (),
        provider="applemusic",
        provider_id=str(catalog.get("id") or play.get("catalogId") or resource.get("id") or ""),
    )


def album_from_apple(resource: Mapping[str, Any]) -> AlbumInfo:
    """A catalog album, or a library album (by its catalog id, with the catalog's UPC,
    where it has one)."""
    attributes = resource.get("attributes") or {}
    catalog = (((resource.get("relationships") or {}).get("catalog") or {}).get("data") or [{}])[0]
    catalog_attributes = catalog.get("attributes") or {}
    play = attributes.get("playParams") or {}
    artwork = attributes.get("artwork") or catalog_attributes.get("artwork") or {}
    url = artwork.get("url")
    count = attributes.get("trackCount") or catalog_attributes.get("trackCount")
    return AlbumInfo(
        "applemusic",
        str(catalog.get("id") or play.get("catalogId") or resource.get("id") or ""),
        str(attributes.get("name") or ""),
        (attributes["artistName"],) if attributes.get("artistName") else (),
        count if isinstance(count, int) else None,
        attributes.get("releaseDate") or catalog_attributes.get("releaseDate"),
        (url.replace("{w}", "1000").replace("{h}", "1000"),) if isinstance(url, str) else (),
        attributes.get("upc") or catalog_attributes.get("upc"),
    )


def _offset(document: Mapping[str, Any]) -> int | None:
    following = document.get("next")
    if not isinstance(following, str) or not following:
        return None
    found = parse_qs(urlsplit(following).query).get("offset")
    return int(found[0]) if found and found[0].isdigit() else None


class AppleMusicProvider(Provider):
    """A person's Apple Music library, through the installation's developer token."""

    name: ClassVar[str] = "applemusic"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(INFO.capabilities)
    display_name: ClassVar[str] = INFO.display_name

    def __init__(
        self,
        http: ProviderHttp,
        developer: DeveloperTokens,
        user_token: str | None,
        buckets: Sequence[Bucket],
        settings: AppleMusicSettings | None = None,
    ) -> None:
        self.http = http
        self.developer = developer
        self.user_token = user_token
        self.buckets = list(buckets)
        self.settings = settings = settings or AppleMusicSettings()
        self.write_batch = settings.add_batch  # type: ignore[misc]
        self._storefront: str | None = None if user_token else settings.storefront
        self._isrcs: dict[str, list[Track]] = {}

    async def _call(self, method: str, path: str, endpoint: str, **options: Any) -> Any:
        async def send(bearer: str) -> Any:
            headers = {"Authorization": f"Bearer {bearer}"}
            if self.user_token and path.startswith("/v1/me"):
                headers["Music-User-Token"] = self.user_token
            return await self.http.call(
                method, path, endpoint=endpoint, buckets=self.buckets, headers=headers, **options
            )

        try:
            # 401: the developer token, made again once; a user token is refused with 403.
            return await self._authorised(self.developer, send)
        except ProviderError as error:
            if error.verdict.outcome == "forbidden" and path.startswith("/v1/me"):
                raise NeedsReauthorisation(
                    "Apple Music no longer accepts this sign-in: sign in with Apple again"
                ) from None
            raise

    def _pages(
        self, path: str, endpoint: str, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Mapping[str, Any]]:
        async def page(offset: int | None, size: int) -> Linked[Mapping[str, Any], int]:
            found = await self._call(
                "GET", path, endpoint, params={**params, "limit": size, "offset": offset or 0}
            )
            following = _offset(found or {})
            # A link that points back (or nowhere new) ends the list.
            ahead = following if following is not None and following > (offset or 0) else None
            return Linked((found or {}).get("data") or [], ahead)

        return self._linked_pages(endpoint, page, limit or self.settings.page_size)

    async def storefront(self) -> str:
        if self._storefront is None:
            answer = await self._call("GET", "/v1/me/storefront", "storefront")
            found: Mapping[str, Any] = next(iter((answer or {}).get("data") or []), {})
            self._storefront = str(found.get("id") or self.settings.storefront)
        return self._storefront

    async def profile(self) -> Profile:
        # Apple names no account: the storefront is all a user token tells.
        return Profile(self.name, f"storefront:{await self.storefront()}", None)

    async def playlists(self) -> AsyncIterator[PlaylistInfo]:
        async for item in self._pages("/v1/me/library/playlists", "library_playlists"):
            attributes = item.get("attributes") or {}
            yield PlaylistInfo(
                self.name,
                str(item["id"]),
                str(attributes.get("name") or ""),
                None,
                owned=bool(attributes.get("canEdit", True)),
                snapshot=attributes.get("lastModifiedDate"),
            )

    async def playlist_items(self, playlist_id: str) -> AsyncIterator[Track]:
        async for item in self._pages(
            f"/v1/me/library/playlists/{playlist_id}/tracks", "playlist_items", include="catalog"
        ):
            yield track_from_apple(item)

    async def playlist_tail(self, playlist_id: str, count: int) -> list[str]:
        ids = [t.provider_id or "" async for t in self.playlist_items(playlist_id)]
        return ids[-count:] if count else []

    async def liked_tracks(self) -> AsyncIterator[Track]:
        # The library is Apple Music's "saved" list (ratings cannot be listed).
        async for item in self._pages("/v1/me/library/songs", "library_songs", include="catalog"):
            yield track_from_apple(item)

    async def recently_played(self) -> AsyncIterator[Track]:
        # At most 30 kept, 10 a page.
        async for item in self._pages("/v1/me/recent/played/tracks", "recent", limit=10):
            yield track_from_apple(item)

    async def create_playlist(self, name: str, description: str = "") -> PlaylistInfo:
        created = await self._call(
            "POST",
            "/v1/me/library/playlists",
            "create_playlist",
            json={"attributes": {"name": name, "description": description, "isPublic": False}},
        )
        made: Mapping[str, Any] = next(iter((created or {}).get("data") or []), {})
        return PlaylistInfo(self.name, str(made["id"]), name, 0)

    async def _append(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        await self._call(
            "POST",
            f"/v1/me/library/playlists/{playlist_id}/tracks",
            "playlist_add",
            json={"data": [{"id": t, "type": "songs"} for t in track_ids]},
        )

    async def like(self, track_ids: Sequence[str]) -> None:
        """Added to the library (many a call) and rated "love" (one call each: Apple's
        ratings are per song)."""
        for batch in batches(list(track_ids), self.settings.library_batch):
            await self._call(
                "POST",
                "/v1/me/library",
                "library_add",
                params={"ids[songs]": ",".join(batch)},
                idempotent=True,  # adding what is there already changes nothing
            )
        for track_id in track_ids:
            await self._call(
                "PUT",
                f"/v1/me/ratings/songs/{track_id}",
                "rate",
                json={"type": "rating", "attributes": {"value": 1}},
            )

    async def saved_albums(self) -> AsyncIterator[AlbumInfo]:
        async for item in self._pages("/v1/me/library/albums", "library_albums", include="catalog"):
            yield album_from_apple(item)

    async def save_albums(self, album_ids: Sequence[str]) -> None:
        for batch in batches(list(album_ids), self.settings.library_batch):
            await self._call(
                "POST",
                "/v1/me/library",
                "library_add",
                params={"ids[albums]": ",".join(batch)},
                idempotent=True,  # adding what is there already changes nothing
            )

    async def lookup_upc(self, upc: str) -> list[Track]:
        upc = upc.strip()
        if not upc.isdigit():
            return []
        answer = await self._call(
            "GET",
            f"/v1/catalog/{await self.storefront()}/albums",
            "albums_upc",
            params={"filter[upc]": upc},
        )
        return [album_from_apple(a).record() for a in (answer or {}).get("data") or []]

    async def search_albums(self, query: Track, limit: int = 10) -> list[Track]:
        albums = await self._catalog_search(query, "albums", limit)
        return [album_from_apple(a).record() for a in albums]

    async def _catalog_search(self, query: Track, kind: str, limit: int) -> list[dict[str, Any]]:
        """The storefront's ``kind`` (songs, albums) found by title and first artist."""
        term = " ".join([query.title.strip(), *query.artists[:1]]).strip()
        if not term:
            return []
        answer = await self._call(
            "GET",
            f"/v1/catalog/{await self.storefront()}/search",
            "search" if kind == "songs" else f"search_{kind}",
            params={"term": term, "types": kind, "limit": min(limit, 25)},
        )
        found: list[dict[str, Any]] = (((answer or {}).get("results") or {}).get(kind) or {}).get(
            "data"
        ) or []
        return found

    async def prefetch_isrcs(self, isrcs: Sequence[str]) -> None:
        wanted = [i for i in dict.fromkeys(_isrc(i) for i in isrcs) if i and i not in self._isrcs]
        storefront = await self.storefront()
        for batch in batches(wanted, self.settings.isrc_batch):
            answer = await self._call(
                "GET",
                f"/v1/catalog/{storefront}/songs",
                "isrc",
                params={"filter[isrc]": ",".join(batch)},
            )
            for isrc in batch:
                self._isrcs[isrc] = []
            for song in (answer or {}).get("data") or []:
                track = track_from_apple(song)
                if track.isrc and track.isrc.upper() in self._isrcs:
                    self._isrcs[track.isrc.upper()].append(track)

    async def lookup_isrc(self, isrc: str) -> list[Track]:
        code = _isrc(isrc)
        if not code:
            return []
        if code not in self._isrcs:
            await self.prefetch_isrcs([code])
        return list(self._isrcs.get(code, []))

    async def search(self, query: Track, limit: int = 10) -> list[Track]:
        return [track_from_apple(s) for s in await self._catalog_search(query, "songs", limit)]

    async def track(self, track_id: str) -> Track | None:
        answer = await self._call(
            "GET", f"/v1/catalog/{await self.storefront()}/songs/{track_id}", "song"
        )
        found = next(iter((answer or {}).get("data") or []), None)
        return track_from_apple(found) if found else None


def _isrc(value: str) -> str:
    code = value.replace("-", "").upper()
    return code if code.isalnum() and len(code) == 12 else ""


#: One developer token per settings (every connection shares the installation's).
_DEVELOPER: dict[AppleMusicSettings, DeveloperTokens] = {}


def developer_tokens(settings: AppleMusicSettings) -> DeveloperTokens:
    """The installation's developer token keeper for these settings."""
    if settings not in _DEVELOPER:
        _DEVELOPER[settings] = DeveloperTokens(settings)
    return _DEVELOPER[settings]


def _buckets(settings: AppleMusicSettings) -> list[Bucket]:
    rate = float(settings.calls_per_s)
    # Apple's limits are per developer token: every connection shares one.
    return [Bucket("applemusic:developer", capacity=max(1.0, rate * 2), per_second=rate)]


def build(building: Building, record: ConnectionRecord, settings: AppleMusicSettings) -> Provider:
    """One person's library: the installation's developer token, their user token."""
    return AppleMusicProvider(
        building.http("applemusic", settings.api_url),
        developer_tokens(settings),
        building.tokens(record).access_token,
        _buckets(settings),
        settings,
    )


def catalog(building: Building, settings: AppleMusicSettings) -> Provider | None:
    """The catalog needs only the developer token: searched where one is configured."""
    developer = developer_tokens(settings)
    if not developer.configured:
        return None
    return AppleMusicProvider(
        building.http("applemusic", settings.api_url), developer, None, _buckets(settings), settings
    )


def signin(settings: AppleMusicSettings) -> str:
    """The developer token MusicKit JS is configured with on the sign-in page."""
    developer = developer_tokens(settings)
    if not developer.configured:
        raise ValueError(
            "Apple Music is not set up in this installation: its owner must give the "
            "MusicKit key (TUNEBRIDGE_APPLEMUSIC__TEAM_ID, __KEY_ID, __PRIVATE_KEY_FILE)"
        )
    return developer.token()


def owner_warning(settings: AppleMusicSettings) -> str | None:
    """Weeks before a ready-made developer token ends, what its owner must do."""
    return developer_tokens(settings).warning()


SPEC = ProviderSpec(
    INFO,
    AppleMusicSettings,
    build,
    classify_apple,
    catalog,
    signin=signin,
    warning=owner_warning,
)
