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
    READ_ARTISTS = "read_artists"
    #: Save albums to the library; take them out of it.
    SAVE_ALBUMS = "save_albums"
    UNSAVE_ALBUMS = "unsave_albums"
    #: Follow artists; stop following them.
    FOLLOW_ARTISTS = "follow_artists"
    UNFOLLOW_ARTISTS = "unfollow_artists"
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
    #: Take a whole album to find and import itself (Lidarr).
    ADD_ALBUMS = "add_albums"


class AuthStrategy(StrEnum):
    """How a person connects an account: the consent or credentials a provider takes."""

    #: Nothing to connect: a local source (a folder, an export file).
    NONE = "none"
    #: OAuth authorization code with PKCE (Spotify).
    OAUTH_PKCE = "oauth_pkce"
    #: OAuth authorization code with the app's secret (Deezer's legacy apps), or a token.
    OAUTH_SECRET = "oauth_secret"
    #: OAuth device code: a code to type in on the provider's page (TIDAL).
    DEVICE_CODE = "device_code"
    #: A key or token the person copies from the provider.
    API_KEY = "api_key"
    #: A server's address and a token for it (Plex, Jellyfin).
    SERVER_TOKEN = "server_token"
    #: A server's address, a user name and a password, sent salted (Subsonic).
    SUBSONIC_PASSWORD = "subsonic_password"
    #: Request headers copied from a signed-in browser (YouTube Music).
    BROWSER_HEADERS = "browser_headers"
    #: Apple's MusicKit JS sign-in on a page the gateway serves: a Music-User-Token.
    MUSICKIT = "musickit"


@dataclass(frozen=True)
class ProviderInfo:
    """A provider, its capabilities and how one connects an account to it."""

    name: str
    display_name: str
    capabilities: tuple[Capability, ...]
    auth: AuthStrategy = AuthStrategy.NONE


def removal_refusal(info: ProviderInfo, collection: str) -> str | None:
    """Why tracks cannot be taken out of ``collection`` (``playlist`` or ``liked``) at
    this provider, for a person; None where they can (Apple Music's playlists only grow)."""
    if collection == "playlist" and Capability.REMOVE_ITEMS not in info.capabilities:
        return f"{info.display_name} cannot remove tracks from a playlist"
    if collection == "liked" and Capability.UNLIKE not in info.capabilities:
        return f"{info.display_name} cannot take tracks out of its saved songs"
    if collection == "albums" and Capability.UNSAVE_ALBUMS not in info.capabilities:
        return f"{info.display_name} cannot take albums out of its library"
    if collection == "artists" and Capability.UNFOLLOW_ARTISTS not in info.capabilities:
        return f"{info.display_name} cannot stop following artists"
    return None


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
#: Saved albums and followed artists, read and written.
LIBRARY_SETS = (
    Capability.READ_ALBUMS,
    Capability.READ_ARTISTS,
    Capability.SAVE_ALBUMS,
    Capability.UNSAVE_ALBUMS,
    Capability.FOLLOW_ARTISTS,
    Capability.UNFOLLOW_ARTISTS,
)
#: A media server with favourites: its library, playlists and stars, read and written.
MEDIA_SERVER = (
    Capability.READ_PROFILE,
    Capability.READ_PLAYLISTS,
    Capability.READ_LIKED,
    Capability.SEARCH,
    *ACCOUNT_WRITES,
    Capability.SCAN_LIBRARY,
)
#: A streaming service with a catalog and accounts: search, ISRCs, reads and writes.
STREAMING_SERVICE = (Capability.SEARCH, Capability.ISRC_LOOKUP, *ACCOUNT_READS, *ACCOUNT_WRITES)

#: Sources read from this machine, with no account: each adapter module declares its own
#: account provider beside its code (``services/connectors/registry.py`` lists them).
LOCAL_SOURCES: tuple[ProviderInfo, ...] = (
    ProviderInfo("folder", "Music folder", (Capability.SCAN_LIBRARY,)),
    ProviderInfo("csv", "CSV export", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("json", "JSON track list", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("m3u", "M3U / M3U8 playlist", (Capability.IMPORT_PLAYLIST,)),
    ProviderInfo("spotify-export", "Spotify data download", (Capability.IMPORT_PLAYLIST,)),
)
