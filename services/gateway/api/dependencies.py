"""What handlers receive: the current user, the store, the bus, the clients."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import NotAuthorizedException

from services.gateway.adapters.passwords import PasswordWorkers
from services.gateway.adapters.rpc import ServiceClients
from services.gateway.api.live import LiveEvents
from services.gateway.domain.auth import WEBHOOK_DELIVERIES, LoginLimits, SlidingWindow, Window
from services.gateway.domain.reports import TallyCache
from services.gateway.settings import GatewaySettings
from services.kernel.crypto import SecretBox
from services.kernel.library import LibrarySettings
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
    passwords: PasswordWorkers = field(default_factory=lambda: PasswordWorkers(2, 16))
    # Failed log-ins per name and address, per address and in all (see LoginLimits);
    # sixty deliveries a minute per webhook and address.
    login_limits: LoginLimits = field(default_factory=LoginLimits.defaults)
    report_tallies: TallyCache = field(default_factory=TallyCache)
    library: LibrarySettings = field(default_factory=LibrarySettings)  # the users' roots
    webhook_deliveries: Window = field(default_factory=lambda: SlidingWindow(*WEBHOOK_DELIVERIES))
    live: LiveEvents | None = None  # what live views follow; started with the app

    @property
    def events(self) -> LiveEvents:
        """The events live views follow."""
        assert self.live is not None, "the gateway's live events are not started"
        return self.live

    def current_user(self) -> str:
        """The user the current request acts as (set by the authentication middleware)."""
        user_id = CURRENT_USER.get()
        if user_id is None:
            raise NotAuthorizedException("log in first")
        return user_id
