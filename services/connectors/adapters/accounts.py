"""Connections: consent, tokens encrypted at rest, rotation, re-authorisation, disconnect.

Tokens exist in plaintext only in memory: in the store they are ``SecretBox`` ciphertext
bound to their connection id (a ciphertext copied to another connection does not
decrypt), and they are never logged or returned. OAuth states are single-use and expire
after ten minutes (the bucket's time-to-live).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from services.connectors.adapters.spotify import (
    NeedsReauthorisation,
    RefreshFlight,
    SpotifyAuth,
    SpotifyToken,
)
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
from services.connectors.records import (
    AppSecretConsent,
    DeviceCodeConsent,
    OAuthState,
    PkceConsent,
)
from services.kernel.contracts import new_id, utcnow
from services.kernel.crypto import SecretBox
from services.kernel.erasure import erase_user_keys
from services.kernel.records import (
    ConnectionRecord,
    connection_key,
)
from services.kernel.store import Store

if TYPE_CHECKING:
    from services.connectors.adapters.spec import DeviceAuthorisation, DeviceCode


class StoredTokens(msgspec.Struct):
    """What is encrypted into ``ConnectionRecord.tokens``."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    lifetime_s: float = 3600.0


class RefreshLease(msgspec.Struct):
    """One replica is refreshing a connection's tokens until ``until`` (wall clock)."""

    until: float


@dataclass(frozen=True)
class Reauthorisation:
    """A new sign-in granted for an existing connection: its tokens (and the client they
    were granted to), to be tried with the provider before they replace the old ones."""

    existing: ConnectionRecord
    tokens: StoredTokens
    client_id: str


#: Longest a refresh may hold its lease (the token endpoint's timeout, and then some).
REFRESH_LEASE_S = 30.0


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
        # One refresh at a time per connection in this process (replicas: the lease).
        self._refreshing: dict[str, asyncio.Lock] = {}
        #: Token endpoints of other OAuth providers (TIDAL), one client each.
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def close(self) -> None:
        await self._client.aclose()
        for client in self._clients.values():
            await client.aclose()

    def app_needed(self, provider: str) -> bool:
        """Whether a person connecting ``provider`` must bring their own app: Spotify's
        consent needs a client id, and this installation was given none."""
        return provider == self.spotify.name and not (
            self.spotify.default_client_id or self.default_client_id
        )

    async def start_consent(
        self,
        user_id: str,
        redirect_uri: str,
        client_id: str | None = None,
        connection_id: str | None = None,
        oauth: OAuthProvider | None = None,
    ) -> tuple[str, str]:
        """The URL to send the person to, and the state that will come back with them.

        ``client_id`` is the user's own app, when they bring one; ``connection_id`` an
        existing connection to re-authorise (it keeps its id); ``oauth``: another
        provider's PKCE consent (TIDAL's), Spotify's when None.
        """
        oauth = oauth or self.spotify
        if connection_id:
            existing = await self.get(user_id, connection_id)
            if existing is None or existing.provider != oauth.name:
                raise OAuthError(f"no {oauth.shown} connection {connection_id} to re-authorise")
            # Made with the person's own app: its tokens are renewed through that app again.
            client_id = client_id or existing.client_id
        client = (
            client_id
            or oauth.default_client_id
            or (self.default_client_id if oauth is self.spotify else None)
        )
        if not client:
            raise OAuthError(
                f"no {oauth.shown} app in this installation: create one (see “Use your own "
                f"{oauth.shown} app”) and paste its Client ID"
            )
        redirect = check_redirect_uri(redirect_uri)
        verifier, challenge = pkce_pair()
        state = new_state()
        await self.store.put(
            "oauth_states",
            state,
            OAuthState(
                user_id=user_id,
                provider=oauth.name,
                client_id=client,
                redirect_uri=redirect,
                consent=PkceConsent(self.box.encrypt(verifier, context=state)),
                connection_id=connection_id,
            ),
        )
        return authorization_url(oauth, client, redirect, state, challenge), state

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
                consent=AppSecretConsent(
                    app_id, connect_url, self.box.encrypt(secret, context=state)
                ),
            ),
        )
        return deezer_authorization_url(connect_url, app_id, redirect, state), state

    async def consent_owner(self, state: str) -> str | None:
        """The user who started the consent ``state`` names, if it is still open."""
        pending = await self.store.get("oauth_states", state, OAuthState) if state else None
        return pending.user_id if pending else None

    async def start_device_consent(
        self,
        user_id: str,
        provider: str,
        flow: DeviceAuthorisation,
        client_id: str,
        client_secret: str,
        connection_id: str | None = None,
    ) -> tuple[DeviceCode, str]:
        """A device-code consent with the person's own client: the code to show them, and
        the state to poll with. The device code and the secret stay sealed in the state.
        ``connection_id``: an existing connection of ``provider`` to re-authorise (it keeps
        its id, so the sync jobs using it keep working)."""
        if connection_id:
            existing = await self.get(user_id, connection_id)
            if existing is None or existing.provider != provider:
                raise OAuthError("no such connection to sign in again: connect the account")
        code = await flow.start(client_id)
        state = new_state()
        await self.store.put(
            "oauth_states",
            state,
            OAuthState(
                user_id=user_id,
                provider=provider,
                client_id=client_id,
                redirect_uri="device",
                consent=DeviceCodeConsent(
                    self.box.encrypt(code.device_code, context=state),
                    self.box.encrypt(client_secret, context=state),
                ),
                connection_id=connection_id,
            ),
        )
        return code, state

    async def poll_device_consent(
        self, state: str, flows: Callable[[str], DeviceAuthorisation | None]
    ) -> ConnectionRecord | Reauthorisation | None:
        """The connection once the person agreed (for a connection being re-authorised,
        its new tokens, kept only once they are tried), None while they have not answered;
        ``OAuthError`` (and the consent forgotten) when they declined or it expired."""
        pending = await self.store.get("oauth_states", state, OAuthState) if state else None
        consent = pending.consent if pending else None
        flow = flows(pending.provider) if pending and consent else None
        if pending is None or not isinstance(consent, DeviceCodeConsent) or flow is None:
            raise OAuthError("this sign-in is unknown, finished or expired: start again")
        device_code = self.box.decrypt(consent.device_code, context=state)
        secret = self.box.decrypt(consent.client_secret, context=state)
        try:
            granted = await flow.poll(pending.client_id, secret, device_code)
        except OAuthError:
            await self.store.take("oauth_states", state, OAuthState)
            raise
        if granted is None:
            return None
        if await self.store.take("oauth_states", state, OAuthState) is None:
            raise OAuthError("this sign-in was finished already")  # two polls at once
        if pending.connection_id:
            existing = await self.get(pending.user_id, pending.connection_id)
            if existing is None:
                raise OAuthError("the connection was removed while it was being signed in again")
            lifetime = granted.expires_in_s
            tokens = StoredTokens(
                granted.access_token, granted.refresh_token, self.clock() + lifetime, lifetime
            )
            return Reauthorisation(existing, tokens, pending.client_id)
        return await self.add_from_tokens(
            pending.user_id,
            pending.provider,
            granted.access_token,
            granted.refresh_token,
            granted.expires_in_s,
            pending.client_id,
        )

    async def complete_consent(
        self,
        state: str,
        code: str,
        oauths: Callable[[str], OAuthProvider | None] | None = None,
    ) -> ConnectionRecord:
        """Exchange the code the provider sent back for tokens, and keep the connection.
        ``oauths``: the PKCE consent of a provider other than Spotify, by name."""
        pending = await self.store.take("oauth_states", state, OAuthState) if state else None
        consent = pending.consent if pending else None
        if pending is None or not isinstance(consent, PkceConsent | AppSecretConsent):
            raise OAuthError("this consent link is unknown, used or expired: start again")
        if isinstance(consent, AppSecretConsent):
            return await self._complete_deezer(pending, consent, state, code)
        oauth = (oauths(pending.provider) if oauths else None) or self.spotify
        # Spotify's token endpoint is on its accounts service; another's is a full URL.
        answer = await (
            self._token_client(oauth.token_url) if oauth.token_url else self._client
        ).post(
            oauth.token_url or "/api/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending.redirect_uri,
                "client_id": pending.client_id,
                "code_verifier": self.box.decrypt(consent.code_verifier, context=state),
            },
        )
        body: dict[str, Any] = answer.json() if answer.content else {}
        if answer.status_code != 200 or "access_token" not in body:
            raise OAuthError(
                f"{oauth.shown} refused the consent: {body.get('error', answer.status_code)}"
            )
        if pending.connection_id:
            return await self._reauthorised(pending, body)
        return await self.add_from_tokens(
            pending.user_id,
            pending.provider,
            body["access_token"],
            body.get("refresh_token"),
            float(body.get("expires_in", 3600)),
            pending.client_id,
            scopes=str(body.get("scope", "")).split(),
        )

    async def _reauthorised(self, pending: OAuthState, body: dict[str, Any]) -> ConnectionRecord:
        """New tokens (and perhaps a new app) for a connection that keeps its id."""
        lifetime = float(body.get("expires_in", 3600))
        tokens = StoredTokens(
            body["access_token"], body.get("refresh_token"), self.clock() + lifetime, lifetime
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
        self, pending: OAuthState, consent: AppSecretConsent, state: str, code: str
    ) -> ConnectionRecord:
        secret = self.box.decrypt(consent.secret, context=state)
        async with httpx.AsyncClient(base_url=consent.connect_url, timeout=20) as client:
            answer = await client.get(
                "/oauth/access_token.php",
                params={
                    "app_id": consent.app_id,
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
        account_id: str | None = None,
    ) -> ConnectionRecord:
        """A connection from tokens obtained elsewhere (headless set-ups), or a media
        server's token and address (Plex); ``account_id``: the user it logs in as, where a
        server takes a user name and password (Subsonic: the password is the sealed token)."""
        connection_id = new_id()
        sealed = self._seal(
            connection_id,
            StoredTokens(access_token, refresh_token, self.clock() + expires_in, expires_in),
        )
        record = ConnectionRecord(
            connection_id=connection_id,
            user_id=user_id,
            provider=provider,
            client_id=client_id,
            tokens=sealed,
            scopes=scopes or [],
            server_url=server_url,
            account_id=account_id,
        )
        await self.store.put("connections", connection_key(user_id, connection_id), record)
        return record

    def sealed_for(self, connection_id: str, tokens: StoredTokens) -> str:
        """``tokens`` sealed for ``connection_id``: to try new tokens before keeping them."""
        return self._seal(connection_id, tokens)

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

    async def disconnect(self, user_id: str, connection_id: str) -> int:
        """Forget the connection and its tokens; how many there were (0 or 1)."""
        key = connection_key(user_id, connection_id)
        if await self.store.get("connections", key, ConnectionRecord) is None:
            return 0
        await self.store.delete("connections", key)
        return 1

    async def disconnect_all(self, user_id: str) -> int:
        """Forget every connection of ``user_id`` (their account is being removed)."""
        return await erase_user_keys(self.store, user_id, ("connections",))

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

    def _token_client(self, url: str) -> httpx.AsyncClient:
        """One client per other provider's token service (``url`` may be a full URL)."""
        parts = httpx.URL(url)
        base = f"{parts.scheme}://{parts.netloc.decode()}"
        if base not in self._clients:
            self._clients[base] = httpx.AsyncClient(base_url=base, timeout=20)
        return self._clients[base]

    def spotify_auth(self, record: ConnectionRecord) -> SpotifyAuth:
        """A token keeper for a Spotify connection whose rotations are stored here, and
        whose refreshes are single-flight across every adapter of the connection."""
        return self.oauth_auth(record, self.spotify_accounts_url, self.default_client_id)

    def oauth_auth(
        self,
        record: ConnectionRecord,
        accounts_url: str,
        default_client_id: str | None,
        token_path: str = "/api/token",
        shown: str = "Spotify",
    ) -> SpotifyAuth:
        """A token keeper for any OAuth connection with refresh tokens (Spotify, TIDAL):
        rotations stored here, refreshes single-flight across the connection's adapters."""
        stored = self.tokens(record)
        same = accounts_url.rstrip("/") == self.spotify_accounts_url.rstrip("/")
        client = self._client if same else self._token_client(accounts_url)
        keep = self._keeper(record)

        return SpotifyAuth(
            accounts_url,
            record.client_id or default_client_id or "",
            SpotifyToken(
                stored.access_token, stored.refresh_token, stored.expires_at, stored.lifetime_s
            ),
            keep,
            clock=self.clock,
            client=client,
            flight=self._flight(record, keep),
            token_path=token_path,
            shown=shown,
        )

    def refresh_flight(self, record: ConnectionRecord) -> RefreshFlight:
        """The connection's single-flight refresh: a trade made once at a time (a lock
        here, a lease across replicas), its tokens stored at once, and whoever waited
        given them."""
        return self._flight(record, self._keeper(record))

    def _keeper(self, record: ConnectionRecord) -> Callable[[SpotifyToken], Awaitable[None]]:
        """Stores a connection's renewed tokens the moment they arrive."""

        async def keep(token: SpotifyToken) -> None:
            await self.save_tokens(
                record.user_id,
                record.connection_id,
                StoredTokens(
                    token.access_token, token.refresh_token, token.expires_at, token.lifetime_s
                ),
            )

        return keep

    def _flight(
        self, record: ConnectionRecord, keep: Callable[[SpotifyToken], Awaitable[None]]
    ) -> RefreshFlight:
        lock = self._refreshing.setdefault(record.connection_id, asyncio.Lock())

        async def flight(
            stale: str, trade: Callable[[SpotifyToken], Awaitable[SpotifyToken]]
        ) -> SpotifyToken:
            async with lock, self._lease(record.user_id, record.connection_id):
                # Whoever held the lock before may have renewed the tokens already: the
                # stored ones are the latest (and hold the only refresh token still good).
                current = await self.get(record.user_id, record.connection_id)
                if current is None:
                    raise NeedsReauthorisation("the connection was removed")
                stored = self.tokens(current)
                token = SpotifyToken(
                    stored.access_token, stored.refresh_token, stored.expires_at, stored.lifetime_s
                )
                if token.access_token != stale and not token.due(self.clock()):
                    return token
                renewed = await trade(token)
                await keep(renewed)
                return renewed

        return flight

    @contextlib.asynccontextmanager
    async def _lease(self, user_id: str, connection_id: str) -> AsyncIterator[None]:
        """Hold the connection's refresh lease (other replicas wait for it). A lease whose
        holder died runs out after ``REFRESH_LEASE_S`` and is taken over."""
        key = f"{user_id}.refresh-{connection_id}"
        while not await self.store.create(
            "operations", key, RefreshLease(until=time.time() + REFRESH_LEASE_S)
        ):
            held = await self.store.get("operations", key, RefreshLease)
            if held is not None and held.until < time.time():
                await self.store.take("operations", key, RefreshLease)  # one taker wins
                continue
            await asyncio.sleep(0.05)
        try:
            yield
        finally:
            await self.store.delete("operations", key)
