"""The connectors' settings (section ``CONNECTORS``; each provider's own section is declared
by its adapter module, see ``services/connectors/registry.py``)."""

from __future__ import annotations

import msgspec

from services.connectors.registry import ACCOUNT_PROVIDERS
from services.kernel.addresses import AddressPolicy


class ConnectorsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    grpc_host: Interface the gRPC ``CatalogService`` listens on.
    grpc_port: Its port (0 picks a free one).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    providers: Whose work queues this process serves (Helm runs one process per provider).
    allowed_server_hosts: Host names, addresses and ranges (CIDR) that a user-given server
        URL (Plex) may reach although they are not public: a household's Plex on the LAN
        (``192.168.1.20``, ``192.168.1.0/24``, ``plex.lan``). Loopback, private, link-local
        and metadata addresses are refused otherwise.
    """

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50052
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
    providers: tuple[str, ...] = msgspec.field(default_factory=lambda: ACCOUNT_PROVIDERS)
    allowed_server_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A bad entry stops the service at start, naming the variable.
        AddressPolicy.from_entries(self.allowed_server_hosts)

    @property
    def server_addresses(self) -> AddressPolicy:
        """Where a user-given server URL may connect."""
        return AddressPolicy.from_entries(self.allowed_server_hosts)
