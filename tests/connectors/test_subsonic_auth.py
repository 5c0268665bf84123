"""Subsonic authentication: the salted token of the API's own example, a fresh salt each
call, and a server that takes tokens never sees the password (nor a key-only connection
a user name)."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Litestar, Request, route
from litestar.params import FromPath
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import CallCounter, ProviderHttp, RetryPolicy
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.adapters.subsonic import SubsonicProvider
from services.connectors.domain.subsonic import (
    TOKENS_UNSUPPORTED,
    classify_subsonic,
    token_auth,
)
from tests.emulators.scripted import serving

PASSWORD, API_KEY = "sesame", "key-123"


def test_the_token_of_the_apis_own_example() -> None:
    # subsonic.org/pages/api.jsp: password "sesame", salt "c19b2d".
    assert token_auth("joe", PASSWORD, "c19b2d")["t"] == "26719a1196d2a940705a59634eb18eab"
    assert token_auth("joe", PASSWORD)["s"] != token_auth("joe", PASSWORD)["s"]


def test_answers_are_read_from_the_body_not_the_status() -> None:
    def failed(code: int, version: str = "1.16.1") -> dict[str, Any]:
        body = {"status": "failed", "version": version, "error": {"code": code}}
        return {"subsonic-response": body}

    assert classify_subsonic(200, {}, {"subsonic-response": {"status": "ok"}}).outcome == "ok"
    assert classify_subsonic(200, {}, failed(40)).outcome == "unauthorized"
    assert classify_subsonic(200, {}, failed(70)).outcome == "not_found"
    assert classify_subsonic(200, {}, failed(50)).outcome == "forbidden"
    assert classify_subsonic(200, {}, failed(41)).message == TOKENS_UNSUPPORTED
    # "Missing parameter" from a server older than tokens: it did not know the token.
    assert classify_subsonic(200, {}, failed(10, "1.12.0")).message == TOKENS_UNSUPPORTED
    assert classify_subsonic(200, {}, failed(10)).message is None
    assert classify_subsonic(502, {}, None).outcome == "server_error"


def token_server(seen: list[dict[str, str]]) -> Litestar:
    """A server of API 1.16.1 that checks salted tokens and API keys, and keeps every
    request's parameters."""

    @route("/rest/{method:str}", http_method=["GET", "POST"])
    async def rest(request: Request[Any, Any, Any], method: FromPath[str]) -> dict[str, Any]:
        fields = {**dict(request.query_params), **dict(await request.form())}
        seen.append(fields)
        if "apiKey" in fields:
            good = fields["apiKey"] == API_KEY and "u" not in fields
        else:
            expected = hashlib.md5((PASSWORD + fields.get("s", "")).encode()).hexdigest()
            good = fields.get("t") == expected
        if not good:
            error = {"code": 40, "message": "Wrong username or password"}
            return {"subsonic-response": {"status": "failed", "version": "1.16.1", "error": error}}
        answer: dict[str, Any] = {"status": "ok", "version": "1.16.1", "openSubsonic": True}
        if method == "getOpenSubsonicExtensions":
            answer["openSubsonicExtensions"] = [{"name": "apiKey", "versions": [1]}]
        if method == "tokenInfo":
            answer["tokenInfo"] = {"username": "joe"}
        if method == "getUser":
            answer["user"] = {"username": "joe"}
        return {"subsonic-response": answer}

    return Litestar([rest])


async def test_a_server_that_takes_tokens_never_sees_the_password_or_a_key_users_name() -> None:
    seen: list[dict[str, str]] = []
    async with serving(token_server(seen)) as url:
        http = ProviderHttp(
            "subsonic",
            url,
            classify_subsonic,
            InProcessTokenBuckets(),
            CallCounter(CollectorRegistry()),
            RetryPolicy(attempts=2, base_s=0.01),
        )
        by_password = SubsonicProvider(http, "joe", PASSWORD)
        assert (await by_password.profile()).account_id == "joe"
        assert by_password.mode == "token"
        assert seen and all(PASSWORD not in str(fields) for fields in seen)
        assert len({fields["s"] for fields in seen}) == len(seen)  # a fresh salt each call

        seen.clear()
        by_key = SubsonicProvider(http, None, API_KEY, api_key=True)
        assert (await by_key.profile()).account_id == "joe"
        assert seen and all("u" not in fields and "t" not in fields for fields in seen)
        await http.close()
