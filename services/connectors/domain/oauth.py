"""OAuth 2.0 authorization code with PKCE (RFC 7636), as providers now require.

Spotify accepts only HTTPS redirect URIs, or a loopback IP literal over HTTP
(``http://127.0.0.1:PORT``, ``http://[::1]:PORT``); ``localhost`` is refused.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


class OAuthError(ValueError):
    """A consent cannot start or complete; the message says why, for a person."""


@dataclass(frozen=True)
class OAuthProvider:
    """Where a provider's consent and token endpoints are, and what to ask for."""

    name: str
    authorize_url: str
    scopes: tuple[str, ...]
    #: Where the code is traded for tokens (empty: Spotify's, at the accounts service).
    token_url: str = ""
    #: How a person knows the provider ("TIDAL").
    shown: str = "Spotify"
    #: The installation's own app, for people who bring none.
    default_client_id: str | None = None


SPOTIFY_SCOPES = (
    "user-read-private",
    "user-library-read",
    "user-library-modify",
    "user-read-recently-played",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
)


def pkce_pair() -> tuple[str, str]:
    """A code verifier (43-128 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_state() -> str:
    """An unguessable, single-use state value."""
    return secrets.token_urlsafe(32)


def check_redirect_uri(uri: str) -> str:
    """The redirect URI if a provider would accept it; ``OAuthError`` saying why not."""
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1") and parts.port:
        return uri
    if parts.scheme == "http" and parts.hostname == "localhost":
        raise OAuthError("use http://127.0.0.1:PORT/…, not localhost: Spotify refuses localhost")
    raise OAuthError("the redirect URI must be https://…, or http://127.0.0.1:PORT/…")


def authorization_url(
    provider: OAuthProvider, client_id: str, redirect_uri: str, state: str, challenge: str
) -> str:
    """Where to send the person to consent."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "code_challenge": challenge,
        "scope": " ".join(provider.scopes),
    }
    return f"{provider.authorize_url}?{urlencode(query)}"


DEEZER_PERMISSIONS = (
    "basic_access",
    "offline_access",
    "manage_library",
    "delete_library",
    "listening_history",
)


def deezer_authorization_url(connect_url: str, app_id: str, redirect_uri: str, state: str) -> str:
    """Deezer's consent page (its legacy OAuth: no PKCE, the app secret exchanges the code)."""
    query = {
        "app_id": app_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "perms": ",".join(DEEZER_PERMISSIONS),
    }
    return f"{connect_url}/oauth/auth.php?{urlencode(query)}"
