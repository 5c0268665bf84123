"""What handlers receive: the current user, the store, the bus, the clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.gateway.adapters.rpc import ServiceClients
from services.gateway.settings import GatewaySettings
from services.kernel.crypto import SecretBox
from services.kernel.runtime import ServiceContext


@dataclass
class Gateway:
    """Everything the HTTP handlers need, built once by the app."""

    ctx: ServiceContext
    settings: GatewaySettings
    clients: ServiceClients
    is_ready: Any  # () -> bool: whether the gateway's own runtime is ready
    redis_url: str | None = None
    box: SecretBox | None = None  # seals webhook secrets; None without TUNEBRIDGE_SECRETS__KEYS

    def current_user(self) -> str:
        """The acting user (one local user until log-in comes with users)."""
        return self.settings.local_user
