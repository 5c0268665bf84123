"""Every provider Tunebridge connects to, in one list.

Settings, the adapter factory, consent, ``ListProviders``, the CLI's choices and the web
UI's connect forms all read ``SPECS``: adding a provider is its adapter module (ending in
its ``SPEC``), its emulator and its tests, plus one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from services.connectors.adapters import (
    applemusic,
    deezer,
    jellyfin,
    lidarr,
    plex,
    spotify,
    subsonic,
    tidal,
    ytmusic,
)
from services.connectors.adapters.spec import ProviderSpec, S
from services.connectors.domain.providers import LOCAL_SOURCES, ProviderInfo
from services.kernel.crypto import SecretsSettings
from services.kernel.settings import load_or_exit

SPECS: tuple[ProviderSpec[Any], ...] = (
    applemusic.SPEC,
    deezer.SPEC,
    jellyfin.SPEC,
    lidarr.SPEC,
    plex.SPEC,
    spotify.SPEC,
    subsonic.SPEC,
    tidal.SPEC,
    ytmusic.SPEC,
)
REGISTRY: Mapping[str, ProviderSpec[Any]] = {spec.name: spec for spec in SPECS}
#: Providers with accounts, each with its own work queues.
ACCOUNT_PROVIDERS: tuple[str, ...] = tuple(REGISTRY)
#: Every provider and local source, for ``ListProviders``.
ALL_PROVIDERS: tuple[ProviderInfo, ...] = (*(spec.info for spec in SPECS), *LOCAL_SOURCES)


class ProviderSettings:
    """Every provider's settings (each its own ``TUNEBRIDGE_<NAME>__`` section), and the keys
    that seal their tokens. A provider given none uses its defaults."""

    def __init__(self, secrets: SecretsSettings | None = None, **given: msgspec.Struct) -> None:
        unknown = set(given) - set(REGISTRY)
        if unknown:
            raise TypeError(f"no such provider: {', '.join(sorted(unknown))}")
        for name, value in given.items():
            if not isinstance(value, REGISTRY[name].settings):
                raise TypeError(f"{name} takes {REGISTRY[name].settings.__name__}")
        self.secrets = secrets or SecretsSettings()
        self._given = given

    def of(self, spec: ProviderSpec[S]) -> S:
        """The settings of one provider."""
        value = self._given.get(spec.name)
        return value if isinstance(value, spec.settings) else spec.settings()

    @classmethod
    def load(cls) -> ProviderSettings:
        """From the environment; a bad value exits naming its variable."""
        return cls(
            secrets=load_or_exit(SecretsSettings, "secrets"),
            **{spec.name: load_or_exit(spec.settings, spec.name) for spec in SPECS},
        )
