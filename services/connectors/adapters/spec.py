"""What a provider brings to the registry: who it is, its settings, how to build it.

Each adapter module ends with one ``ProviderSpec``; ``services/connectors/registry.py``
lists them, and settings, the factory, consent, ``ListProviders``, the CLI and the web UI
all read that list, so adding a provider is its module plus one registry line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import msgspec

from services.connectors.adapters.http import Classifier, ProviderHttp
from services.connectors.domain.limits import classify_generic
from services.connectors.domain.oauth import OAuthProvider
from services.connectors.domain.providers import ProviderInfo

if TYPE_CHECKING:
    from services.connectors.adapters.accounts import Accounts, StoredTokens
    from services.connectors.adapters.cache import LookupCache
    from services.connectors.adapters.provider import Provider
    from services.kernel.records import ConnectionRecord

S = TypeVar("S", bound=msgspec.Struct)


class Building(Protocol):
    """What the factory lends a builder: shared HTTP layers, the look-up cache, tokens."""

    @property
    def accounts(self) -> Accounts:
        """Connections and their tokens (only where the sealing keys are configured)."""
        ...

    @property
    def cache(self) -> LookupCache:
        """The look-up cache shared by replicas (Redis) or this process."""
        ...

    def http(self, provider: str, base_url: str, user_given: bool = False) -> ProviderHttp:
        """The one HTTP layer of ``provider`` at ``base_url``; ``user_given``: an address a
        user gave, reached only where the address policy allows."""
        ...

    def tokens(self, record: ConnectionRecord) -> StoredTokens:
        """A connection's tokens, decrypted in memory only."""
        ...


@dataclass(frozen=True)
class DeviceCode:
    """A device-code consent under way: the person types ``user_code`` at
    ``verification_url``; ``device_code`` (a secret) is what is polled with."""

    device_code: str
    user_code: str
    verification_url: str
    expires_in_s: float
    interval_s: float


@dataclass(frozen=True)
class GrantedTokens:
    """What a granted consent gave, already in the shape the provider's adapter stores."""

    access_token: str
    refresh_token: str | None
    expires_in_s: float


class DeviceAuthorisation(Protocol):
    """A provider's OAuth device flow (RFC 8628) with the person's own client."""

    async def start(self, client_id: str) -> DeviceCode:
        """Ask for a code to show the person."""
        ...

    async def poll(
        self, client_id: str, client_secret: str, device_code: str
    ) -> GrantedTokens | None:
        """The tokens once the person agreed, None while they have not yet; ``OAuthError``
        saying why, in plain words, when they refused or the code expired."""
        ...


@dataclass(frozen=True)
class ProviderSpec(Generic[S]):
    """One provider, as everything else in the connectors sees it.

    Attributes:
        info: Name, display name, capabilities and auth strategy.
        settings: Its settings type, read from ``TUNEBRIDGE_<NAME>__<FIELD>``.
        build: Makes the adapter acting as one connection's account.
        classify: Reads its answers (rate limits, quota errors hidden in 200s...).
        catalog: Makes an adapter for its public catalog, where one needs no account.
        device: Its device-code consent, where it has one (besides ``info.auth``).
        pasted: For ``BROWSER_HEADERS``: what a person pasted, as what is sealed (only
            what signs in); ``ValueError`` saying, for a person, what to paste instead.
        login: For ``SERVER_TOKEN``: trades a user name and password at a server's address
            for a token (Jellyfin's user log-in), so only the token is kept.
        oauth: For ``OAUTH_PKCE`` other than Spotify's: its consent page, token endpoint
            and scopes (the same PKCE consent serves them all).
        warning: What the installation's owner should hear about the provider's own
            credentials (Apple's developer token nearing its end), shown by health.
        signin: For ``MUSICKIT``: the token the gateway's sign-in page configures the
            provider's own script with (Apple's developer token); ``ValueError`` saying
            what the owner must configure first.
    """

    info: ProviderInfo
    settings: type[S]
    build: Callable[[Building, ConnectionRecord, S], Provider]
    classify: Classifier = classify_generic
    catalog: Callable[[Building, S], Provider | None] | None = None
    device: Callable[[S], DeviceAuthorisation] | None = None
    pasted: Callable[[str], str] | None = None
    login: Callable[[Building, str, str, str, S], Awaitable[str]] | None = None
    oauth: Callable[[S], OAuthProvider] | None = None
    signin: Callable[[S], str] | None = None
    warning: Callable[[S], str | None] | None = None

    @property
    def name(self) -> str:
        """The provider's stable name (also its settings section)."""
        return self.info.name
