"""Connections to the emulated Spotify and Deezer accounts, made through the HTTP API as a
person with tokens in hand makes them."""

from __future__ import annotations

import httpx

from tests.emulators.deezer import TOKEN
from tests.emulators.spotify import SpotifyState


def connect_both(api: httpx.Client, spotify: SpotifyState) -> tuple[str, str]:
    """``(spotify connection id, deezer connection id)``."""
    access, refresh = spotify.grant()
    made = []
    for tokens in (
        {
            "provider": "spotify",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in_s": 3600,
            "client_id": spotify.client_id,
        },
        {"provider": "deezer", "access_token": TOKEN},
    ):
        answer = api.post("/api/v1/connections", json=tokens)
        assert answer.status_code == 201, answer.text
        made.append(str(answer.json()["connection_id"]))
    return made[0], made[1]
