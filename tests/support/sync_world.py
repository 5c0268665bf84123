"""Both emulated services (Spotify and Deezer), a running installation, and a connection
to each made through the API: the world the sync tests and the CLI tests share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from services.connectors.adapters.deezer import DeezerSettings
from services.connectors.adapters.spotify import SpotifySettings
from services.connectors.registry import ProviderSettings
from services.kernel.crypto import SecretsSettings, generate_key_spec
from tests.emulators.deezer import TOKEN, DeezerState, deezer_app
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.installation import Installation, running_installation

KEY = generate_key_spec("k1")


@dataclass
class World:
    """Both emulated services, an installation, a connection to each, and its API."""

    spotify: SpotifyState
    deezer: DeezerState
    api: httpx.AsyncClient
    spotify_connection: str
    deezer_connection: str
    installation: Installation

    def deezer_titles(self) -> dict[str, list[int]]:
        return {self.deezer.titles[pid]: ids for pid, ids in self.deezer.playlists.items()}


@contextlib.asynccontextmanager
async def sync_world(
    nats_url: str,
    namespace: str,
    spotify_settings: dict[str, Any] | None = None,
    **options: Any,
) -> AsyncIterator[World]:
    """``options`` go to ``running_installation`` (replicas of each service, for one);
    ``spotify_settings``: more ``SpotifySettings`` fields (its page size, say)."""
    spotify, deezer = SpotifyState(), DeezerState()
    async with serving(spotify_app(spotify)) as s_url, serving(deezer_app(deezer)) as d_url:
        providers = ProviderSettings(
            spotify=SpotifySettings(
                api_url=s_url,
                accounts_url=s_url,
                client_id=spotify.client_id,
                **(spotify_settings or {}),
            ),
            deezer=DeezerSettings(api_url=d_url, calls_per_5s=5000),
            secrets=SecretsSettings(keys=(KEY,)),
        )
        async with (
            running_installation(nats_url, namespace, providers=providers, **options) as running,
            running.client(timeout=10) as api,
        ):
            access, refresh = spotify.grant()
            s = await connect(
                api,
                provider="spotify",
                access_token=access,
                refresh_token=refresh,
                expires_in_s=3600,
                client_id=spotify.client_id,
            )
            d = await connect(api, provider="deezer", access_token=TOKEN)
            yield World(spotify, deezer, api, s, d, running)


async def connect(api: httpx.AsyncClient, **tokens: Any) -> str:
    """A connection made through the API, as a person with tokens in hand makes one."""
    answer = await api.post("/api/v1/connections", json=tokens)
    assert answer.status_code == 201, answer.text
    assert tokens["access_token"] not in answer.text
    return str(answer.json()["connection_id"])
