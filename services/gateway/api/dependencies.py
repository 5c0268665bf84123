"""What handlers receive: the current user, the store, the bus, the clients."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import NotAuthorizedException

from services.gateway.adapters.rpc import ServiceClients
from services.gateway.domain.auth import SlidingWindow
from services.gateway.settings import GatewaySettings
from services.kernel.crypto import SecretBox
from services.kernel.runtime import ServiceContext

#: The user the request being handled acts as; set once it is authenticated.
CURRENT_USER: ContextVar[str | None] = ContextVar("tunebridge_user", default=None)


@dataclass
class Gateway:
    """Everything the HTTP handlers need, built once by the app."""

    ctx: ServiceContext
    settings: GatewaySettings
    clients: ServiceClients
    is_ready: Any  # () -> bool: whether the gateway's own runtime is ready
    redis_url: str | None = None
    box: SecretBox | None = None  # seals webhook secrets; None without TUNEBRIDGE_SECRETS__KEYS
    # Five failed log-ins per name and address in five minutes; sixty deliveries a minute
    # per webhook and address.
    login_failures: SlidingWindow = field(default_factory=lambda: SlidingWindow(5, 300.0))
    webhook_deliveries: SlidingWindow = field(default_factory=lambda: SlidingWindow(60, 60.0))

    def current_user(self) -> str:
        """The user the current request acts as (set by the authentication middleware)."""
        user_id = CURRENT_USER.get()
        if user_id is None:
            raise NotAuthorizedException("log in first")
        return user_id
