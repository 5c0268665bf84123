"""Connections: consent, tokens encrypted at rest, rotation, re-authorisation, disconnect.

Tokens exist in plaintext only in memory: in the store they are ``SecretBox`` ciphertext
bound to their connection id (a ciphertext copied to another connection does not
decrypt), and they are never logged or returned. OAuth states are single-use and expire
after ten minutes (the bucket's time-to-live).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import msgspec

from services.connectors.adapters.spotify import SpotifyAuth, SpotifyToken
from services.connectors.domain.oauth import (
    SPOTIFY_SCOPES,
    OAuthError,
    OAuthProvider,
    authorization_url,
    check_redirect_uri,
    deezer_authorization_url,
    new_state,
    pkce_pair,
)
from services.kernel.contracts import new_id, utcnow
from services.kernel.crypto import SecretBox
from services.kernel.records import ConnectionRecord, OAuthState, connection_key
from services.kernel.store import Store


class StoredTokens(msgspec.Struct):
    """What is encrypted into ``ConnectionRecord.tokens``."""

    access_token: str
    refresh_token: str | None
    expires_at: float


class Accounts:
    """Connections to Spotify (OAuth with PKCE), and to any provider from tokens given."""

    def __init__(
        self,
        store: Store,
        box: SecretBox,
        spotify_accounts_url: str,
        spotify_client_id: str | None = None,
        clock: Callable[[], float] = time.time,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.store = store
        self.box = box
        self.spotify = OAuthProvider("spotify", f"{spotify_accounts_url}/authorize", SPOTIFY_SCOPES)
        self.spotify_accounts_url = spotify_accounts_url
        self.default_client_id = spotify_client_id
        self.clock = clock
        self._client = client or httpx.AsyncClient(base_url=spotify_accounts_url, timeout=20)

    async def close(self) -> None:
        await self._client.aclose()

    async def start_consent(
        self,
        user_id: str,
        redirect_uri: str,
        client_id: str | None = None,
        connection_id: str | None = None,
    ) -> tuple[str, str]:
        """The URL to send the person to, and the state that will come back with them.

        ``client_id`` is the user's own Spotify app, when they bring one; ``connection_id``
        an existing Spotify connection to re-authorise (it keeps its id).
        """
        if connection_id:
            existing = await self.get(user_id, connection_id)
            if existing is None or existing.provider != "spotify":
                raise OAuthError(f"no Spotify connection {connection_id} to re-authorise")
        client = client_id or self.default_client_id
        if not client:
            raise OAuthError("no Spotify app: create one and give its client id")
        redirect = check_redirect_uri(redirect_uri)
        verifier, challenge = pkce_pair()
        state = new_state()
        await self.store.put(
            "oauth_states",
            state,
            OAuthState(
                user_id=user_id,
                provider="spotify",
                client_id=client,
                redirect_uri=redirect,
                code_verifier=self.box.encrypt(verifier, context=state),
                connection_id=connection_id,
            ),
        )
        return authorization_url(self.spotify, client, redirect, state, challenge), state

    async def start_deezer_consent(
        self, user_id: str, redirect_uri: str, app_id: str, secret: str, connect_url: str
    ) -> tuple[str, str]:
        """Deezer's consent, for users who still have an app (registration closed in 2024).

        The app secret is kept encrypted with the state, only until the code is exchanged.
        """
        redirect = check_redirect_uri(redirect_uri)
        state = new_state()
        await self.store.put(
            "oauth_states",
            state,
            OAuthState(
                user_id=user_id,
                provider="deezer",
                client_id=app_id,
                redirect_uri=redirect,
                code_verifier=self.box.encrypt(f"{connect_url}\n{secret}", context=state),
            ),
        )
        return deezer_authorization_url(connect_url, app_id, redirect, state), state

    async def consent_owner(self, state: str) -> str | None:
        """The user who started the consent ``state`` names, if it is still open."""
        pending = await self.store.get("oauth_states", state, OAuthState) if state else None
        return pending.user_id if pending else None

    async def complete_consent(self, state: str, code: str) -> ConnectionRecord:
        """Exchange the code the provider sent back for tokens, and keep the connection."""
        pending = await self.store.take("oauth_states", state, OAuthState) if state else None
        if pending is None:
            raise OAuthError("this consent link is unknown, used or expired: start again")
        if pending.provider == "deezer":
            return await self._complete_deezer(pending, state, code)
        answer = await self._client.post(
            "/api/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "client_id": pending.client_id,
                "code_verifier": self.box.decrypt(pending.code_verifier, context=state),
            },
        )
        body: dict[str, Any] = answer.json() if answer.content else {}
        if answer.status_code != 200 or "access_token" not in body:
            raise OAuthError(
                f"Spotify refused the consent: {body.get('error', answer.status_code)}"
            )
        if pending.connection_id:
            return await self._reauthorised(pending, body)
        return await self.add_from_tokens(
            pending.user_id,
            "spotify",
            body["access_token"],
            body.get("refresh_token"),
            float(body.get("expires_in", 3600)),
            pending.client_id,
            scopes=str(body.get("scope", "")).split(),
        )

    async def _reauthorised(self, pending: OAuthState, body: dict[str, Any]) -> ConnectionRecord:
        """New tokens (and perhaps a new app) for a connection that keeps its id."""
        tokens = StoredTokens(
            body["access_token"],
            body.get("refresh_token"),
            self.clock() + float(body.get("expires_in", 3600)),
        )
        scopes = str(body.get("scope", "")).split()
        updated = await self.save_tokens(
            pending.user_id,
            pending.connection_id or "",
            tokens,
            client_id=pending.client_id,
            **({"scopes": scopes} if scopes else {}),
        )
        if updated is None:
            raise OAuthError("the connection was removed while it was being re-authorised")
        return updated

    async def _complete_deezer(
        self, pending: OAuthState, state: str, code: str
    ) -> ConnectionRecord:
        connect_url, _, secret = self.box.decrypt(pending.code_verifier, context=state).partition(
            "\n"
        )
        async with httpx.AsyncClient(base_url=connect_url, timeout=20) as client:
            answer = await client.get(
                "/oauth/access_token.php",
                params={
                    "app_id": pending.client_id,
                    "secret": secret,
                    "code": code,
                    "output": "json",
                },
            )
        try:
            body: dict[str, Any] = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or "access_token" not in body:
            raise OAuthError("Deezer refused the consent (wrong code, app id or secret?)")
        # With offline_access Deezer's token does not expire ("expires": 0).
        expires = float(body.get("expires") or 0) or 10 * 365 * 86400.0
        return await self.add_from_tokens(
            pending.user_id, "deezer", body["access_token"], None, expires, pending.client_id
        )

    async def add_from_tokens(
        self,
        user_id: str,
        provider: str,
        access_token: str,
        refresh_token: str | None,
        expires_in: float,
        client_id: str | None,
        scopes: list[str] | None = None,
        server_url: str | None = None,
    ) -> ConnectionRecord:
        """A connection from tokens obtained elsewhere (headless set-ups), or a media
        server's token and address (Plex)."""
        connection_id = new_id()
        sealed = self._seal(
            connection_id, StoredTokens(access_token, refresh_token, self.clock() + expires_in)
        )
        record = ConnectionRecord(
            connection_id=connection_id,
            user_id=user_id,
            provider=provider,
            client_id=client_id,
            tokens=sealed,
            scopes=scopes or [],
            server_url=server_url,
        )
        await self.store.put("connections", connection_key(user_id, connection_id), record)
        return record

    def _seal(self, connection_id: str, tokens: StoredTokens) -> str:
        return self.box.encrypt(msgspec.json.encode(tokens).decode(), context=connection_id)

    def tokens(self, record: ConnectionRecord) -> StoredTokens:
        """The connection's tokens, decrypted (in memory only)."""
        if not record.tokens:
            raise OAuthError("this connection has no tokens: connect the account again")
        plain = self.box.decrypt(record.tokens, context=record.connection_id)
        return msgspec.json.decode(plain, type=StoredTokens)

    async def save_tokens(
        self, user_id: str, connection_id: str, tokens: StoredTokens, **changes: Any
    ) -> ConnectionRecord | None:
        """Store new tokens (a refresh token may be single-use: the new one must stick), and
        any other ``changes`` to the connection; it is connected again. None if it is gone."""
        sealed = self._seal(connection_id, tokens)
        return await self.store.update(
            "connections",
            connection_key(user_id, connection_id),
            ConnectionRecord,
            lambda r: msgspec.structs.replace(
                r, tokens=sealed, status="connected", message=None, updated_at=utcnow(), **changes
            ),
        )

    async def set_profile(
        self, user_id: str, connection_id: str, account_id: str, display_name: str | None
    ) -> None:
        """Remember who the connected account is (as the provider names it)."""
        await self.store.update(
            "connections",
            connection_key(user_id, connection_id),
            ConnectionRecord,
            lambda r: msgspec.structs.replace(
                r, account_id=account_id, display_name=display_name, updated_at=utcnow()
            ),
        )

    async def needs_reauthorisation(self, user_id: str, connection_id: str, message: str) -> None:
        """Mark a connection the provider no longer accepts, saying why."""
        await self.store.update(
            "connections",
            connection_key(user_id, connection_id),
            ConnectionRecord,
            lambda r: msgspec.structs.replace(
                r, status="needs_reauthorisation", message=message, updated_at=utcnow()
            ),
        )

    async def get(self, user_id: str, connection_id: str) -> ConnectionRecord | None:
        return await self.store.get(
            "connections", connection_key(user_id, connection_id), ConnectionRecord
        )

    async def list(self, user_id: str) -> list[ConnectionRecord]:
        return await self.store.values("connections", f"{user_id}.*", ConnectionRecord)

    async def disconnect(self, user_id: str, connection_id: str) -> None:
        """Forget the connection and its tokens."""
        await self.store.delete("connections", connection_key(user_id, connection_id))

    async def rotate_keys(self) -> int:
        """Re-encrypt every connection's tokens under the current key; returns how many."""
        current = f"tb1.{self.box.current_key_id}."
        moved = 0
        for record in await self.store.values("connections", ">", ConnectionRecord):
            if not record.tokens or record.tokens.startswith(current):
                continue

            def reseal(r: ConnectionRecord) -> ConnectionRecord | None:
                if not r.tokens or r.tokens.startswith(current):
                    return None
                return msgspec.structs.replace(
                    r, tokens=self.box.reencrypt(r.tokens, context=r.connection_id)
                )

            await self.store.update(
                "connections",
                connection_key(record.user_id, record.connection_id),
                ConnectionRecord,
                reseal,
            )
            moved += 1
        return moved

    def spotify_auth(self, record: ConnectionRecord) -> SpotifyAuth:
        """A token keeper for a Spotify connection whose rotations are stored here."""
        stored = self.tokens(record)

        async def keep(token: SpotifyToken) -> None:
            await self.save_tokens(
                record.user_id,
                record.connection_id,
                StoredTokens(token.access_token, token.refresh_token, token.expires_at),
            )

        return SpotifyAuth(
            self.spotify_accounts_url,
            record.client_id or self.default_client_id or "",
            SpotifyToken(stored.access_token, stored.refresh_token, stored.expires_at),
            keep,
            clock=self.clock,
            client=self._client,
        )
