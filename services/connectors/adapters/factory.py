"""Provider adapters for connections, built by the registry's specs: one HTTP layer per
provider and address, tokens from the connection (decrypted in memory only)."""

from __future__ import annotations

from services.connectors.adapters.accounts import Accounts, StoredTokens
from services.connectors.adapters.cache import LookupCache
from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.provider import Provider
from services.connectors.adapters.ratelimit import TokenBuckets
from services.connectors.domain.limits import classify_generic
from services.connectors.registry import REGISTRY, ProviderSettings
from services.kernel.addresses import AddressPolicy
from services.kernel.records import ConnectionRecord


def _paged(provider: Provider, settings: object) -> Provider:
    """The adapter asking for the page size its settings name (``page_size``), where they
    name one; the base halves a size the provider refuses."""
    size = getattr(settings, "page_size", None)
    if isinstance(size, int):
        provider.page_size = size
    return provider


class UnknownProvider(ValueError):
    """No adapter for this provider."""


class ProviderFactory:
    """Builds the adapter for a connection, or for a provider's public catalog."""

    def __init__(
        self,
        accounts: Accounts | None,
        buckets: TokenBuckets,
        cache: LookupCache,
        counter: CallCounter,
        settings: ProviderSettings,
        server_addresses: AddressPolicy | None = None,
    ) -> None:
        """``server_addresses``: where a server address a user gave may connect."""
        self.server_addresses = server_addresses or AddressPolicy()
        self._accounts = accounts
        self.buckets = buckets
        self.cache = cache
        self.counter = counter
        self.settings = settings
        self._http: dict[tuple[str, str, bool], ProviderHttp] = {}

    @property
    def accounts(self) -> Accounts:
        if self._accounts is None:
            raise UnknownProvider("accounts need TUNEBRIDGE_SECRETS__KEYS")
        return self._accounts

    def tokens(self, record: ConnectionRecord) -> StoredTokens:
        return self.accounts.tokens(record)

    def http(self, provider: str, base_url: str, user_given: bool = False) -> ProviderHttp:
        """The HTTP layer of one provider at one address, made once. An address a user
        gave is reached only where ``server_addresses`` allows (no request forgery)."""
        key = (provider, base_url.rstrip("/"), user_given)
        if key not in self._http:
            spec = REGISTRY.get(provider)
            classify = spec.classify if spec else classify_generic
            self._http[key] = ProviderHttp(
                provider,
                key[1],
                classify,
                self.buckets,
                self.counter,
                addresses=self.server_addresses if user_given else None,
            )
        return self._http[key]

    def for_connection(self, record: ConnectionRecord) -> Provider:
        """The adapter acting as this connection's account."""
        spec = REGISTRY.get(record.provider)
        if spec is None:
            raise UnknownProvider(record.provider)
        settings = self.settings.of(spec)
        return _paged(spec.build(self, record, settings), settings)

    def catalogs(self) -> dict[str, Provider]:
        """Every public catalog that needs no account, by provider (a catalog that needs
        the installation's own credentials is left out while none are configured)."""
        made: dict[str, Provider] = {}
        for name, spec in REGISTRY.items():
            settings = self.settings.of(spec)
            provider = spec.catalog(self, settings) if spec.catalog is not None else None
            if provider is not None:
                made[name] = _paged(provider, settings)
        return made

    async def close(self) -> None:
        for http in self._http.values():
            await http.close()
