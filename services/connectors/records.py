"""The connectors' own records, which no other service reads (connections, which the
gateway reads, are a read model and stay in the kernel)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from services.kernel.contracts import utcnow


class PkceConsent(msgspec.Struct, frozen=True, tag="pkce"):
    """An OAuth code consent with PKCE (Spotify, TIDAL).

    Attributes:
        code_verifier: Sealed (``SecretBox``, bound to the state): a verifier is as good
            as a code.
    """

    code_verifier: str


class AppSecretConsent(msgspec.Struct, frozen=True, tag="app_secret"):
    """An OAuth code consent traded with the app's secret (Deezer's legacy apps).

    Attributes:
        app_id: The person's app.
        connect_url: Where the code is traded.
        secret: The app secret, sealed until the code is exchanged.
    """

    app_id: str
    connect_url: str
    secret: str


class DeviceCodeConsent(msgspec.Struct, frozen=True, tag="device_code"):
    """A device-code consent with the person's own client (YouTube Music's Google OAuth).

    Attributes:
        device_code: Sealed: polled with until the person agrees.
        client_secret: The client's secret, sealed.
    """

    device_code: str
    client_secret: str


#: What each auth strategy keeps while its consent is open.
Consent = PkceConsent | AppSecretConsent | DeviceCodeConsent


class OAuthState(msgspec.Struct, kw_only=True):
    """A consent in progress: kept ten minutes, used once.

    States stored before ``consent`` existed (their secrets in ``code_verifier``) are
    not read: they count as expired (they would within ten minutes anyway), and the
    person is asked to start again.
    """

    user_id: str
    provider: str
    client_id: str
    redirect_uri: str
    consent: Consent | None = None
    connection_id: str | None = None  # a connection being re-authorised
    created_at: datetime = msgspec.field(default_factory=utcnow)
