"""Secrets stay out of logs: an ordinary session through ``tunebridge up`` (log-in, API
token, two-step set-up, Spotify with a refresh, Deezer, Plex, webhooks and the sync runs
they start, a move), at INFO and at DEBUG, and then every line that ``up`` and each of its
services printed is read for every secret that went by."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import time
import uuid
from collections.abc import Callable

import httpx
import pyotp
import pytest

from tests.e2e.conftest import Started, ready_line
from tests.emulators.deezer import TOKEN as DEEZER_TOKEN
from tests.emulators.deezer import DeezerState, deezer_app
from tests.emulators.plex import TOKEN as PLEX_TOKEN
from tests.emulators.plex import PlexState, plex_app
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.catalogues import shared_recordings
from tests.support.threaded import serving_in_thread
from tests.support.users import ADMIN

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ENDED = ("planned", "completed", "failed", "cancelled", "partial")


def _signed(secret: str, body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Tunebridge-Timestamp": stamp,
        "X-Tunebridge-Signature": f"sha256={digest}",
        "X-Tunebridge-Delivery": uuid.uuid4().hex,
        "content-type": "application/json",
    }


def _wait(api: httpx.Client, url: str) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        view = api.get(url).json()
        if view.get("status") in ENDED:
            return dict(view)
        time.sleep(0.3)
    raise AssertionError(f"the run did not end: {view}")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_no_secret_reaches_any_line_up_or_a_service_prints(
    start_up: Callable[[dict[str, str]], Started], level: str
) -> None:
    spotify, deezer, plex = SpotifyState(), DeezerState(), PlexState()
    apps = {"spotify": spotify_app(spotify), "deezer": deezer_app(deezer), "plex": plex_app(plex)}
    secrets: dict[str, str] = {"deezer token": DEEZER_TOKEN, "plex token": PLEX_TOKEN}
    with serving_in_thread(apps) as urls:
        process, url, log = start_up(
            {
                "TUNEBRIDGE_LOG_LEVEL": level,
                "TUNEBRIDGE_SPOTIFY__API_URL": urls["spotify"],
                "TUNEBRIDGE_SPOTIFY__ACCOUNTS_URL": urls["spotify"],
                "TUNEBRIDGE_DEEZER__API_URL": urls["deezer"],
                "TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "127.0.0.1",
            }
        )
        assert process.stdout is not None
        assert "ready" in ready_line(process, log), log.read_text()[-3000:]
        with httpx.Client(base_url=url, timeout=20) as api:
            # Set-up, log-in (a session cookie and its CSRF token), an API token.
            assert api.post("/api/v1/setup", json=ADMIN).status_code == 201
            logged = api.post("/api/v1/login", json=ADMIN)
            assert logged.status_code == 200, logged.text
            csrf = logged.json()["csrf_token"]
            secrets |= {f"cookie {k}": v for k, v in logged.cookies.items()}
            secrets["csrf token"] = csrf
            made = api.post(
                "/api/v1/tokens",
                json={"name": "logs", "scopes": ["read", "write", "admin"]},
                headers={"X-CSRF-Token": csrf},
            )
            secrets["api token"] = made.json()["token"]
            api.cookies.clear()
            api.headers["Authorization"] = f"Bearer {secrets['api token']}"
            # Two-step log-in: the TOTP secret, and a code from it.
            enrolled = api.post("/api/v1/me/totp").json()
            secrets["totp secret"] = enrolled["secret"]
            code = pyotp.TOTP(enrolled["secret"]).now()
            assert api.post("/api/v1/me/totp/confirm", json={"code": code}).status_code == 200

            # Spotify (made to refresh, so rotated tokens go by), Deezer, Plex.
            access, refresh = spotify.grant()
            connections = {}
            for tokens in (
                {
                    "provider": "spotify",
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in_s": 3600,
                    "client_id": spotify.client_id,
                },
                {"provider": "deezer", "access_token": DEEZER_TOKEN},
                {"provider": "plex", "access_token": PLEX_TOKEN, "server_url": urls["plex"]},
            ):
                answer = api.post("/api/v1/connections", json=tokens)
                assert answer.status_code == 201, answer.text
                connections[tokens["provider"]] = answer.json()["connection_id"]
            spotify.access_tokens[access] = 0  # spent: the next call refreshes
            for connection in connections.values():
                listed = api.get(f"/api/v1/connections/{connection}/playlists")
                assert listed.status_code == 200, listed.text

            # A job, started by a signed generic webhook and by a Plex webhook's URL token.
            songs = shared_recordings(spotify, deezer, 5)
            source = spotify.new_playlist("Logs", [r.spotify_uri for r in songs])
            job = api.post(
                "/api/v1/sync/jobs",
                json={
                    "name": "logs",
                    "a_connection_id": connections["spotify"],
                    "b_connection_id": connections["deezer"],
                    "playlists": [{"a_playlist_id": source}],
                },
            )
            assert job.status_code == 201, job.text
            job_ids = [job.json()["job_id"]]
            generic = api.post("/api/v1/webhooks", json={"kind": "generic", "job_ids": job_ids})
            plex_hook = api.post("/api/v1/webhooks", json={"kind": "plex", "job_ids": job_ids})
            secrets["webhook secret"] = generic.json()["secret"]
            secrets["plex webhook token"] = plex_hook.json()["secret"]
            body = json.dumps({"event": "test"}).encode()
            delivered = httpx.post(
                f"{url}/api/v1/hooks/{generic.json()['webhook']['webhook_id']}",
                content=body,
                headers=_signed(secrets["webhook secret"], body),
            )
            assert delivered.status_code == 202, delivered.text
            (run_id,) = delivered.json()["started"]
            assert _wait(api, f"/api/v1/sync/runs/{run_id}")["status"] == "completed"
            plex_delivery = httpx.post(
                f"{url}/api/v1/hooks/{plex_hook.json()['webhook']['webhook_id']}",
                params={"token": secrets["plex webhook token"]},
                files={"payload": (None, json.dumps({"event": "media.play"}))},
            )
            assert plex_delivery.status_code in (200, 202), plex_delivery.text
            # A wrong secret too: refusals are logged, and must not echo what was sent.
            refused = httpx.post(
                f"{url}/api/v1/hooks/{plex_hook.json()['webhook']['webhook_id']}",
                params={"token": "wrong-" + secrets["plex webhook token"]},
                files={"payload": (None, "{}")},
            )
            assert refused.status_code == 401
            # A move too (liked songs: the playlist is on Deezer already), through its runs.
            spotify.library = [r.spotify_uri for r in songs[:2]]
            move = api.post(
                "/api/v1/moves",
                json={
                    "source_connection_id": connections["spotify"],
                    "target_connection_id": connections["deezer"],
                    "playlists": [],
                },
            )
            assert move.status_code == 201, move.text
            moved = api.post(f"/api/v1/moves/{move.json()['move_id']}/runs", json={})
            assert moved.status_code == 202, moved.text
            assert _wait(api, moved.json()["url"])["status"] == "completed"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    secrets |= {f"spotify access {i}": t for i, t in enumerate(spotify.access_tokens)}
    secrets |= {f"spotify refresh {i}": t for i, t in enumerate(spotify.refresh_tokens)}
    assert len(spotify.refreshes) >= 1  # a refresh happened, so rotated tokens went by

    printed = log.read_text(errors="replace") + (process.stdout.read() or "")
    lines = printed.splitlines()
    assert len(lines) > 20, printed[-2000:]
    # The lines that would hold them are there, redacted: the test reads the right thing.
    assert "HTTP Request" in printed and "[redacted]" in printed, printed[-3000:]
    leaked = {
        name: [line for line in lines if secret in line][:2]
        for name, secret in secrets.items()
        if secret and secret in printed
    }
    assert leaked == {}, leaked
