"""The Subsonic API, as pure logic: authentication parameters, what an answer means, songs.

Every Subsonic answer is HTTP 200 (or 404 for an unknown method) with a
``subsonic-response`` whose ``status`` is ``ok`` or ``failed`` and whose ``error.code``
says why (the API's own table: 10 a missing parameter, 40 a wrong user or password, 41/42
a credential kind the server does not take, 44 a wrong API key, 50 not allowed, 70 not
found). Token authentication (``t = md5(password + salt)``, ``s = salt``, fresh for each
call) exists since API 1.13.0: an older server (Supysonic speaks 1.12.0) answers a token
with "missing parameter", and only then is the password sent, hex-encoded as the API asks.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from services.connectors.domain.limits import Outcome, Verdict
from services.kernel.contracts import Track

#: The API version Tunebridge speaks (OpenSubsonic servers answer with their own).
API_VERSION = "1.16.1"
#: The first API version with token authentication.
TOKEN_VERSION = (1, 13, 0)
#: A verdict's message when a server takes no salted token (the adapter sends the password).
TOKENS_UNSUPPORTED = "this server takes no salted tokens"

_OUTCOMES: dict[int, Outcome] = {
    40: "unauthorized",
    44: "unauthorized",
    50: "forbidden",
    70: "not_found",
}


def version(text: object) -> tuple[int, ...]:
    """``"1.16.1"`` as ``(1, 16, 1)``; an unreadable version as ``()``."""
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return ()


def token_auth(username: str, password: str, salt: str | None = None) -> dict[str, str]:
    """The parameters of one call: the user, a fresh salt and the salted token."""
    salt = salt or secrets.token_hex(8)
    token = hashlib.md5((password + salt).encode(), usedforsecurity=False).hexdigest()
    return {"u": username, "t": token, "s": salt}


def password_auth(username: str, password: str) -> dict[str, str]:
    """For a server older than tokens: the password, hex-encoded as the API asks (an
    encoding, not a secret: such a server is best reached over HTTPS)."""
    return {"u": username, "p": "enc:" + password.encode().hex()}


def answer(body: Any) -> Mapping[str, Any]:
    """The ``subsonic-response`` of a decoded body (empty when there is none)."""
    found = body.get("subsonic-response") if isinstance(body, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def classify_subsonic(status: int, headers: Mapping[str, str], body: Any) -> Verdict:
    """What a Subsonic answer means (its HTTP status only says the server is there)."""
    if status == 429:
        return Verdict("rate_limited")
    if status >= 500:
        return Verdict("server_error")
    if status in (401, 403):
        return Verdict("unauthorized" if status == 401 else "forbidden")
    found = answer(body)
    if not found:
        return Verdict("server_error" if status == 200 else "client_error")
    if found.get("status") == "ok":
        return Verdict("ok")
    error = found.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    if code in (41, 42) or (code == 10 and version(found.get("version")) < TOKEN_VERSION):
        return Verdict("client_error", None, TOKENS_UNSUPPORTED)
    outcome = _OUTCOMES.get(code, "client_error") if isinstance(code, int) else "client_error"
    return Verdict(outcome)


def extensions(body: Any) -> frozenset[str]:
    """The OpenSubsonic extensions a server offers (``getOpenSubsonicExtensions``)."""
    found = answer(body).get("openSubsonicExtensions") or []
    return frozenset(str(e.get("name")) for e in found if isinstance(e, Mapping))


def _names(value: Any) -> tuple[str, ...]:
    """OpenSubsonic's ``artists``/``albumArtists``: a list of ``{id, name}``."""
    if not isinstance(value, list):
        return ()
    return tuple(str(a["name"]) for a in value if isinstance(a, Mapping) and a.get("name"))


def track_from_song(song: Mapping[str, Any], provider: str = "subsonic") -> Track:
    """A Subsonic ``song`` (a ``Child``) as a provider-neutral track."""
    artists = _names(song.get("artists")) or ((str(song["artist"]),) if song.get("artist") else ())
    album_artists = _names(song.get("albumArtists")) or (
        (str(song["displayAlbumArtist"]),) if song.get("displayAlbumArtist") else ()
    )
    isrc = song.get("isrc")  # OpenSubsonic: a list (a recording may carry several)
    if isinstance(isrc, list):
        isrc = isrc[0] if isrc else None
    duration = song.get("duration")
    genres = _names(song.get("genres")) or ((str(song["genre"]),) if song.get("genre") else ())
    return Track(
        title=str(song.get("title") or ""),
        artists=artists,
        album=song.get("album") or None,
        album_artists=album_artists,
        track_number=song.get("track") if isinstance(song.get("track"), int) else None,
        disc_number=song.get("discNumber") if isinstance(song.get("discNumber"), int) else None,
        duration_ms=int(duration * 1000) if isinstance(duration, int | float) else None,
        isrc=str(isrc) if isrc else None,
        release_date=str(song["year"]) if song.get("year") else None,
        provider=provider,
        provider_id=str(song["id"]) if song.get("id") is not None else None,
        genres=genres,
        path=str(song["path"]) if song.get("path") else None,
    )
