"""What each provider can do, as shown to users and other services."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    """A provider and its capabilities."""

    name: str
    display_name: str
    capabilities: tuple[str, ...]


PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo("folder", "Music folder", ("scan_library",)),
    ProviderInfo("json", "JSON track list", ("import_playlist",)),
    ProviderInfo("m3u", "M3U / M3U8 playlist", ("import_playlist",)),
)
