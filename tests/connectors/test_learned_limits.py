"""What one provider taught about its limits applies to it alone: for a server a person
runs, to that server alone (found by an audit: one Subsonic server refusing pages over
100 had every user's server read 62 songs at a time from then on)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import CallCounter, ProviderError, ProviderHttp
from services.connectors.adapters.provider import Page, Provider, WriteLimits
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.addresses import AddressPolicy
from services.connectors.domain.limits import classify_generic
from services.connectors.domain.providers import Capability
from tests.emulators.scripted import Answer, Script, scripted_app, serving


def http(provider: str, url: str, user_given: bool) -> ProviderHttp:
    return ProviderHttp(
        provider,
        url,
        classify_generic,
        InProcessTokenBuckets(),
        CallCounter(CollectorRegistry()),
        addresses=AddressPolicy.from_entries(["127.0.0.1"]) if user_given else None,
    )


async def test_a_page_size_learned_from_one_server_does_not_shrink_another() -> None:
    mine, theirs = (
        http("subsonic", "http://127.0.0.1:4040", True),
        http("subsonic", "http://127.0.0.1:4533", True),
    )
    limits = WriteLimits()
    await limits.learn_page(theirs.limits_scope, "search3", 62)
    assert await limits.page_size(theirs.limits_scope, "search3", 500) == 62
    assert await limits.page_size(mine.limits_scope, "search3", 500) == 500
    # A provider's own service is one service, whoever's account: learned once for all.
    assert http("spotify", "https://api.spotify.com", False).limits_scope == "spotify"
    for client in (mine, theirs):
        await client.close()


class _Listing(Provider):
    """The smallest adapter: one list, read in pages through the shared base."""

    name: ClassVar[str] = "listing"
    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, client: ProviderHttp, limits: WriteLimits) -> None:
        self.http, self.limits = client, limits

    async def items(self) -> list[Any]:
        async def page(offset: int, size: int) -> Page[Any]:
            found = await self.http.call(
                "GET", "/items", endpoint="items", params={"offset": offset, "limit": size}
            )
            return Page(found["items"], found["total"])

        return [item async for item in self._offset_pages("items", page, 100)]


async def test_a_page_refused_at_every_size_teaches_no_size() -> None:
    """A 400 for some other reason (a bad offset, a server bug) made every later read go
    one item a page; only a size that then worked is remembered."""
    script = Script({"items": [Answer(400, {"error": "unrelated"})]})
    limits = WriteLimits()
    async with serving(scripted_app(script)) as url:
        client = http("listing", url, False)
        with pytest.raises(ProviderError):
            await _Listing(client, limits).items()
        assert await limits.page_size("listing", "items", 100) == 100
        script.answers["items"] = [
            Answer(400, {"error": "limit too large"}),
            Answer(200, {"items": list(range(50)), "total": 50}),
        ]
        assert await _Listing(client, limits).items() == list(range(50))
        assert await limits.page_size("listing", "items", 100) == 50
        await client.close()
