"""Provider adapters for connections: one HTTP layer per provider, buckets per app and per
account, tokens from the connection (decrypted in memory only)."""

from __future__ import annotations

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.cache import LookupCache
from services.connectors.adapters.deezer import DeezerProvider
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.plex import PlexProvider
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import TokenBuckets
from services.connectors.adapters.spotify import SpotifyProvider
from services.connectors.domain.limits import (
    Bucket,
    classify_deezer,
    classify_generic,
    classify_spotify,
)
from services.connectors.settings import DeezerSettings, PlexSettings, SpotifySettings
from services.kernel.records import ConnectionRecord


class UnknownProvider(ValueError):
    """No adapter for this provider."""


class ProviderFactory:
    """Builds the adapter for a connection."""

    def __init__(
        self,
        accounts: Accounts | None,
        buckets: TokenBuckets,
        cache: LookupCache,
        counter: CallCounter,
        spotify: SpotifySettings,
        deezer: DeezerSettings,
        plex: PlexSettings,
    ) -> None:
        self.accounts = accounts
        self.buckets = buckets
        self.cache = cache
        self.counter = counter
        self.spotify = spotify
        self.deezer = deezer
        self.plex = plex
        self._http: dict[tuple[str, str], ProviderHttp] = {}

    def http(self, provider: str, base_url: str) -> ProviderHttp:
        """The HTTP layer of one provider at one address, made once."""
        key = (provider, base_url.rstrip("/"))
        if key not in self._http:
            classify = {"spotify": classify_spotify, "deezer": classify_deezer}.get(
                provider, classify_generic
            )
            self._http[key] = ProviderHttp(provider, key[1], classify, self.buckets, self.counter)
        return self._http[key]

    def for_connection(self, record: ConnectionRecord) -> Provider:
        """The adapter acting as this connection's account."""
        if self.accounts is None:
            raise UnknownProvider("accounts need TUNEBRIDGE_SECRETS__KEYS")
        tokens = self.accounts.tokens(record)
        if record.provider == "spotify":
            allowance = float(self.spotify.calls_per_30s)
            app = record.client_id or self.spotify.client_id or "default"
            return SpotifyProvider(
                self.http("spotify", self.spotify.api_url),
                self.accounts.spotify_auth(record),
                [
                    Bucket(f"spotify:app:{app}", capacity=allowance, per_second=allowance / 30),
                    # One account may not spend its app's whole allowance.
                    Bucket(
                        f"spotify:account:{record.connection_id}",
                        capacity=allowance / 2,
                        per_second=allowance / 60,
                    ),
                ],
            )
        if record.provider == "deezer":
            allowance = float(self.deezer.calls_per_5s)
            return DeezerProvider(
                self.http("deezer", self.deezer.api_url),
                self.cache,
                tokens.access_token,
                Bucket("deezer:ip", capacity=allowance, per_second=allowance / 5),
            )
        if record.provider == "plex":
            return PlexProvider(
                self.http("plex", record.server_url or self.plex.url),
                tokens.access_token,
                self.plex.client_identifier,
            )
        raise UnknownProvider(record.provider)

    async def close(self) -> None:
        for http in self._http.values():
            await http.close()
