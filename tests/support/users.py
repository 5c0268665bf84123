"""Signing in as a person does: first-run set-up, log-in, then an API token for the
client (tests then act as that user through ``Authorization: Bearer``)."""

from __future__ import annotations

import httpx

ADMIN = {"username": "admin", "password": "correct horse battery staple"}


def _token_request(logged: httpx.Response) -> dict[str, object]:
    """A token that may do all its user may (an admin's may manage users too)."""
    admin = ["admin"] if logged.json()["user"]["is_admin"] else []
    return {
        "json": {"name": "tests", "scopes": ["read", "write", *admin]},
        "headers": {"X-CSRF-Token": logged.json()["csrf_token"]},
    }


async def sign_in(api: httpx.AsyncClient, credentials: dict[str, str] = ADMIN) -> str:
    """Set up the installation (if it is not yet), log in, and make the client carry an API
    token from then on; the user's id."""
    await api.post("/api/v1/setup", json=credentials)
    logged = await api.post("/api/v1/login", json=credentials)
    assert logged.status_code == 200, logged.text
    made = await api.post("/api/v1/tokens", **_token_request(logged))  # type: ignore[arg-type]
    assert made.status_code == 201, made.text
    api.cookies.clear()
    api.headers["Authorization"] = f"Bearer {made.json()['token']}"
    return str(logged.json()["user"]["user_id"])


def sign_in_sync(api: httpx.Client, credentials: dict[str, str] = ADMIN) -> str:
    """``sign_in`` for a synchronous client."""
    api.post("/api/v1/setup", json=credentials)
    logged = api.post("/api/v1/login", json=credentials)
    assert logged.status_code == 200, logged.text
    made = api.post("/api/v1/tokens", **_token_request(logged))  # type: ignore[arg-type]
    assert made.status_code == 201, made.text
    api.cookies.clear()
    api.headers["Authorization"] = f"Bearer {made.json()['token']}"
    return str(logged.json()["user"]["user_id"])
