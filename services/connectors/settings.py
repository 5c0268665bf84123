"""The connectors' settings (section ``CONNECTORS``, and one section per provider)."""

from __future__ import annotations

import msgspec


class ConnectorsSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    grpc_host: Interface the gRPC ``CatalogService`` listens on.
    grpc_port: Its port (0 picks a free one).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    providers: Whose work queues this process serves (Helm runs one process per provider).
    """

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50052
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
    providers: tuple[str, ...] = ("spotify", "deezer", "plex")


class DeezerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``DEEZER``.

    Attributes:
        api_url: Deezer's API (an emulator's in tests).
        connect_url: Deezer's consent pages and token endpoint.
        calls_per_5s: Deezer's allowance per 5 seconds (50, as documented by users).
    """

    api_url: str = "https://api.deezer.com"
    connect_url: str = "https://connect.deezer.com"
    calls_per_5s: int = 50


class SpotifySettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``SPOTIFY``.

    Attributes:
        api_url: The Web API (an emulator's in tests).
        accounts_url: Where consent and tokens are (an emulator's in tests).
        client_id: The installation's own Spotify app, for users who bring none.
        calls_per_30s: This app's allowance per rolling 30 seconds (unpublished; a guess).
    """

    api_url: str = "https://api.spotify.com"
    accounts_url: str = "https://accounts.spotify.com"
    client_id: str | None = None
    calls_per_30s: int = 150


class PlexSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Section ``PLEX``.

    Attributes:
        url: The Plex server used when a connection names none.
        client_identifier: How Tunebridge names itself to Plex.
    """

    url: str = "http://127.0.0.1:32400"
    client_identifier: str = "tunebridge"
