"""What one provider taught about its limits applies to it alone: for a server a person
runs, to that server alone (found by an audit: one Subsonic server refusing pages over
100 had every user's server read 62 songs at a time from then on)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import CallCounter, ProviderHttp
from services.connectors.adapters.provider import WriteLimits
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.addresses import AddressPolicy
from services.connectors.domain.limits import classify_generic


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
