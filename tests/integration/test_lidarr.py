"""Lidarr (its emulator, real HTTP) as a connectors provider: its imported tracks read as a
library for the missing check; a missing album handed to it (added monitored with its
profiles and root folder, searched), followed until imported; an album it has already
monitored and searched, not added twice; a search that finds nothing and a failed one
said in words; a wrong key and a blocked address are refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from services.connectors.adapters.http import CallCounter, ProviderError, ProviderHttp, RetryPolicy
from services.connectors.adapters.lidarr import LidarrProvider, LidarrSettings
from services.connectors.adapters.ratelimit import InProcessTokenBuckets
from services.connectors.domain.limits import classify_generic
from services.kernel.addresses import AddressPolicy
from tests.emulators.lidarr import API_KEY, LidarrState, lidarr_app
from tests.emulators.scripted import serving

pytestmark = pytest.mark.timeout(60)
FAST = LidarrSettings(follow_s=10, poll_s=0.1)


def lidarr_http(url: str, addresses: AddressPolicy | None = None) -> ProviderHttp:
    return ProviderHttp(
        "lidarr",
        url,
        classify_generic,
        InProcessTokenBuckets(),
        CallCounter(CollectorRegistry()),
        RetryPolicy(attempts=2, base_s=0.01),
        addresses=addresses,
    )


@pytest.fixture
async def lidarr() -> AsyncIterator[tuple[LidarrState, LidarrProvider, str]]:
    state = LidarrState(search_s=0.6)
    state.catalogue = {
        "Massive Attack": {"Mezzanine": 11, "Protection": 10},
        "Portishead": {"Dummy": 11},
    }
    state.own("Massive Attack", "Blue Lines", 3, 3)
    state.own("Massive Attack", "Heligoland", 10, 0)
    state.titles[("Massive Attack", "Blue Lines")] = ["Safe from Harm", "One Love", "Lately"]
    async with serving(lidarr_app(state)) as url:
        http = lidarr_http(url)
        yield state, LidarrProvider(http, API_KEY, FAST), url
        await http.close()


async def test_its_imported_tracks_are_a_library_for_the_missing_check(
    lidarr: tuple[LidarrState, LidarrProvider, str],
) -> None:
    _, provider, _ = lidarr
    tracks = [t async for t in provider.library()]
    assert [(t.title, t.artists, t.album, t.track_number) for t in tracks] == [
        ("Safe from Harm", ("Massive Attack",), "Blue Lines", 1),
        ("One Love", ("Massive Attack",), "Blue Lines", 2),
        ("Lately", ("Massive Attack",), "Blue Lines", 3),
    ]  # Heligoland is monitored with no file yet: nothing of it counts
    assert (await provider.profile()).display_name == "Lidarr"


async def test_a_missing_album_is_added_searched_and_followed_until_imported(
    lidarr: tuple[LidarrState, LidarrProvider, str],
) -> None:
    state, provider, _ = lidarr
    # An artist new to Lidarr is added with the album, with the profiles and folder asked.
    handed = await provider.hand_album(
        "Portishead", "Dummy", quality_profile="Lossless", root_folder="/music", monitor="none"
    )
    assert handed.status == "searching" and handed.command_id is not None
    added = state.albums[handed.album_id]
    assert added["monitored"] is True
    artist = state.artists[added["artistId"]]
    assert (artist["qualityProfileId"], artist["metadataProfileId"], artist["rootFolderPath"]) == (
        4,
        1,
        "/music",
    )
    assert state.commands[handed.command_id]["body"] == {
        "name": "AlbumSearch",
        "albumIds": [handed.album_id],
    }
    done = await provider.follow(handed)
    assert done.status == "imported", done
    assert any(t.album == "Dummy" for t in [t async for t in provider.library()])


async def test_an_album_lidarr_already_has_is_monitored_and_searched_not_added_twice(
    lidarr: tuple[LidarrState, LidarrProvider, str],
) -> None:
    state, provider, _ = lidarr
    state.catalogue["Massive Attack"]["Heligoland"] = 10
    before = len(state.albums)
    handed = await provider.hand_album("Massive Attack", "Heligoland")
    assert len(state.albums) == before and state.albums[handed.album_id]["monitored"]
    assert (await provider.follow(handed)).status == "imported"


async def test_nothing_found_is_said_and_a_failed_search_gives_lidarrs_reason(
    lidarr: tuple[LidarrState, LidarrProvider, str],
) -> None:
    state, provider, _ = lidarr
    missing = await provider.hand_album("Massive Attack", "No Such Album")
    assert missing.status == "not_found" and "No Such Album" in (missing.reason or "")
    state.unfindable.add("Protection")
    failed = await provider.follow(await provider.hand_album("Massive Attack", "Protection"))
    assert (failed.status, failed.reason) == ("failed", "No releases found")
    named = await provider.hand_album("Massive Attack", "Mezzanine", quality_profile="Hi-Res")
    assert (named.status, named.reason) == ("failed", "Lidarr has no qualityprofile named 'Hi-Res'")
    with pytest.raises(ValueError, match="monitor must be one of"):
        await provider.hand_album("Massive Attack", "Mezzanine", monitor="sometimes")


async def test_a_wrong_key_and_a_blocked_address_are_refusals(
    lidarr: tuple[LidarrState, LidarrProvider, str],
) -> None:
    _, _, url = lidarr
    for http, key, outcome in (
        (lidarr_http(url), "wrong", "unauthorized"),
        (lidarr_http(url, AddressPolicy.from_entries([])), API_KEY, "blocked"),
    ):
        with pytest.raises(ProviderError) as raised:
            await LidarrProvider(http, key, FAST).profile()
        assert raised.value.verdict.outcome == outcome
        assert key not in str(raised.value)
        await http.close()
