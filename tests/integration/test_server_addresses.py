"""No server-side request forgery: a server URL a user gives reaches only public addresses,
or what an administrator allowed, checked on the resolved address and on every redirect;
and nothing a remote server answered comes back in an error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar, Request, Response, route
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import (
    CallCounter,
    ProviderError,
    ProviderHttp,
    RetryPolicy,
)
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import classify_generic
from services.connectors.registry import ProviderSettings
from services.downloader.adapters.artwork import CoverArt
from services.downloader.domain.planning import plan
from services.kernel.addresses import AddressPolicy
from services.kernel.contracts import DownloadRequested, Track
from services.kernel.crypto import SecretsSettings, generate_key_spec
from services.kernel.netguard import BlockedAddress, GuardedTransport
from tests.emulators.scripted import Answer, Script, scripted_app, serving
from tests.support.audio import make_picture
from tests.support.files import serving_folder
from tests.support.installation import running_installation

pytestmark = pytest.mark.timeout(60)
#: What a fake metadata endpoint holds; it must never come back to the user.
SECRET = "AKIA-metadata-secret-4f9c2e"
KEY = generate_key_spec("k1")


def guarded(url: str, policy: AddressPolicy) -> ProviderHttp:
    return ProviderHttp(
        "plex",
        url,
        classify_generic,
        InProcessTokenBuckets(),
        CallCounter(CollectorRegistry()),
        RetryPolicy(attempts=2, base_s=0.01),
        addresses=policy,
    )


@dataclass
class Fake:
    """A server that answers every path, "/" included, with ``status`` and a secret."""

    status: int = 400
    log: list[str] = field(default_factory=list)


def fake_app(fake: Fake) -> Litestar:
    @route(["/", "/{path:path}"], http_method=["GET", "POST", "PUT"])
    async def answer(request: Request[Any, Any, Any]) -> Response[Any]:
        fake.log.append(request.url.path)
        body = {"error": {"message": SECRET}, "MediaContainer": {"token": SECRET}}
        return Response(body, status_code=fake.status)

    return Litestar([answer], logging_config=None)


@pytest.fixture
async def fake_server() -> AsyncIterator[tuple[str, Fake]]:
    """A server on loopback that answers everything with a secret in its body."""
    fake = Fake()
    async with serving(fake_app(fake)) as url:
        yield url, fake


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3:32400",
        "http://192.168.1.20:32400",
        "http://[::1]:32400",
        "http://[::ffff:127.0.0.1]:32400",
        "http://0.0.0.0:32400",
    ],
)
async def test_private_loopback_and_metadata_addresses_are_refused(url: str) -> None:
    http = guarded(url, AddressPolicy())
    with pytest.raises(ProviderError) as refused:
        await http.call("GET", "/identity", endpoint="server")
    assert refused.value.verdict.outcome == "blocked"
    assert "ALLOWED_SERVER_HOSTS" in str(refused.value)
    await http.close()


async def test_loopback_is_refused_before_any_request_and_allowed_when_an_admin_says_so(
    fake_server: tuple[str, Fake],
) -> None:
    url, script = fake_server
    for address in (url, url.replace("127.0.0.1", "localhost")):  # by address, and by name
        http = guarded(address, AddressPolicy())
        with pytest.raises(ProviderError, match="not allowed"):
            await http.call("GET", "/identity", endpoint="server")
        await http.close()
    assert script.log == []  # nothing was sent
    http = guarded(url, AddressPolicy.from_entries(["127.0.0.0/8"]))
    with pytest.raises(ProviderError) as refused:
        await http.call("GET", "/identity", endpoint="server")
    assert refused.value.verdict.outcome == "client_error"  # reached, and it said 400
    assert SECRET not in str(refused.value)
    assert len(script.log) == 1
    await http.close()
    http = guarded(url.replace("127.0.0.1", "localhost"), AddressPolicy.from_entries(["localhost"]))
    with pytest.raises(ProviderError, match="refused the request"):
        await http.call("GET", "/identity", endpoint="server")
    await http.close()


async def test_a_redirect_to_a_private_address_is_not_followed() -> None:
    script = Script(
        answers={
            "identity": [
                Answer(302, None, {"location": "http://169.254.169.254/latest/meta-data/"})
            ]
        }
    )
    async with serving(scripted_app(script)) as url:
        http = guarded(url, AddressPolicy.from_entries(["127.0.0.1"]))
        with pytest.raises(ProviderError) as refused:
            await http.call("GET", "/identity", endpoint="server")
        assert refused.value.verdict.outcome == "redirected"
        await http.close()
        # Even a client that follows redirects gets nowhere: each hop's address is checked.
        port = url.rsplit(":", 1)[1]
        script.answers["identity"] = [Answer(302, None, {"location": f"http://127.0.0.2:{port}/"})]
        transport = GuardedTransport(AddressPolicy.from_entries(["127.0.0.1"]))
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
            with pytest.raises(BlockedAddress):
                await client.get(f"{url}/identity")
    assert len(script.log) == 2


async def test_the_api_refuses_a_loopback_plex_and_never_echoes_a_remote_body(
    nats_url: str, namespace: str, fake_server: tuple[str, Fake]
) -> None:
    url, script = fake_server
    settings = ProviderSettings(secrets=SecretsSettings(keys=(KEY,)))
    async with (
        running_installation(
            nats_url, namespace, providers=settings, allowed_server_hosts=()
        ) as installation,
        installation.client(timeout=20) as api,
    ):
        for server_url in (url, "http://169.254.169.254/", "http://10.0.0.7:32400"):
            answer = await api.post(
                "/api/v1/connections",
                json={"provider": "plex", "access_token": "plex-token", "server_url": server_url},
            )
            assert answer.status_code == 400, answer.text
            assert "not allowed" in answer.json()["detail"]
            assert "ALLOWED_SERVER_HOSTS" in answer.json()["detail"]
        assert script.log == []
        assert (await api.get("/api/v1/connections")).json() == []


async def test_an_allowed_server_that_fails_is_told_in_plain_words(
    nats_url: str, namespace: str, fake_server: tuple[str, Fake]
) -> None:
    url, script = fake_server
    settings = ProviderSettings(secrets=SecretsSettings(keys=(KEY,)))
    async with (
        running_installation(
            nats_url, namespace, providers=settings, allowed_server_hosts=("127.0.0.1",)
        ) as installation,
        installation.client(timeout=20) as api,
    ):
        for status in (400, 401, 500):
            script.status = status
            answer = await api.post(
                "/api/v1/connections",
                json={"provider": "plex", "access_token": "plex-token", "server_url": url},
            )
            assert answer.status_code in (400, 503), answer.text
            assert SECRET not in answer.text
            assert answer.json()["detail"].startswith("plex ")
        assert script.log  # it was reached this time


async def test_a_cover_is_fetched_only_from_an_allowed_address(tmp_path: Path) -> None:
    # An artwork address can come from a user's CSV upload: it is guarded like a server URL.
    root = tmp_path / "www"
    make_picture(root / "cover.jpg", size=64)
    (item,) = plan((Track(title="Teardrop", artists=("Massive Attack",)),), (0,), "opus")
    with serving_folder(root) as url:
        track = msgspec.structs.replace(item.track, artwork_urls=(f"{url}/cover.jpg",))
        request = DownloadRequested(
            user_id="u", download_id="d", item=msgspec.structs.replace(item, track=track)
        )
        refused = CoverArt()
        assert await refused(request) is None
        await refused.close()
        allowed = CoverArt(addresses=AddressPolicy.from_entries(["127.0.0.1"]))
        assert await allowed(request) == (root / "cover.jpg").read_bytes()
        await allowed.close()
