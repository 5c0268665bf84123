"""What each provider can do, as shown to users and other services."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Capability(StrEnum):
    """One thing a provider can do."""

    READ_PROFILE = "read_profile"
    READ_PLAYLISTS = "read_playlists"
    READ_LIKED = "read_liked"
    READ_RECENT = "read_recent"
    READ_ALBUMS = "read_albums"
    CREATE_PLAYLIST = "create_playlist"
    ADD_ITEMS = "add_items"
    REMOVE_ITEMS = "remove_items"
    REORDER_ITEMS = "reorder_items"
    LIKE = "like"
    UNLIKE = "unlike"
    SEARCH = "search"
    ISRC_LOOKUP = "isrc_lookup"
    SCAN_LIBRARY = "scan_library"
    IMPORT_PLAYLIST = "import_playlist"


@dataclass(frozen=True)
class ProviderInfo:
    """A provider and its capabilities."""

    name: str
    display_name: str
    capabilities: tuple[Capability, ...]


ACCOUNT_WRITES = (
    Capability.CREATE_PLAYLIST,
    Capability.ADD_ITEMS,
    Capability.REMOVE_ITEMS,
    Capability.REORDER_ITEMS,
    Capability.LIKE,
    Capability.UNLIKE,
)
ACCOUNT_READS = (
    Capability.READ_PROFILE,
    Capability.READ_PLAYLISTS,
    Capability.READ_LIKED,
    Capability.READ_RECENT,
)

PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo(
        "deezer",
        "Deezer",
        (Capability.SEARCH, Capability.ISRC_LOOKUP, *ACCOUNT_READS, *ACCOUNT_WRITES),
    ),
    ProviderInfo(
        "spotify",
        "Spotify",
        (
            Capability.SEARCH,
            Capability.ISRC_LOOKUP,
            *ACCOUNT_READS,
            *ACCOUNT_WRITES,
        ),
    ),
    ProviderInfo(
        "plex",
        "Plex",
        (
            Capability.READ_PROFILE,
            Capability.READ_PLAYLISTS,
            Capability.SEARCH,
            Capability.CREATE_PLAYLIST,
            Capability.ADD_ITEMS,
            Capability.REMOVE_ITEMS,
            Capability.REORDER_ITEMS,
            Capability.LIKE,
            Capability.UNLIKE,
            Capability.SCAN_LIBRARY,
        ),
    ),
    ProviderInfo("folder", "Music folder", (Capability.SCAN_LIBRARY,)),
    ProviderInfo("csv", "CSV export", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("json", "JSON track list", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("m3u", "M3U / M3U8 playlist", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("spotify-export", "Spotify data download", (Capability.IMPORT_PLAYLIST,)),
)
