"""Per-provider work queues on the bus: reads into snapshots, idempotent writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import msgspec
import pytest

from services.connectors.adapters.accounts import Accounts
from services.connectors.adapters.spotify import SpotifySettings
from services.connectors.registry import ProviderSettings
from services.kernel.bus import jetstream
from services.kernel.contracts import (
    CandidatesRequested,
    Correlation,
    Event,
    ProviderRead,
    ProviderReadRequested,
    ProviderWriteRequested,
    ProviderWritten,
    Ranked,
    RankRequested,
    Track,
    new_id,
)
from services.kernel.crypto import SecretBox, SecretsSettings, generate_key_spec
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from services.kernel.store import load_collection
from tests.emulators.scripted import serving
from tests.emulators.spotify import SpotifyState, spotify_app
from tests.support.installation import Installation, running_installation

pytestmark = pytest.mark.timeout(90)
KEY = generate_key_spec("k1")


@pytest.fixture
async def world(
    nats_url: str, namespace: str
) -> AsyncIterator[tuple[Installation, SpotifyState, str]]:
    state = SpotifyState()
    async with serving(spotify_app(state)) as url:
        settings = ProviderSettings(
            spotify=SpotifySettings(api_url=url, accounts_url=url, client_id=state.client_id),
            secrets=SecretsSettings(keys=(KEY,)),
        )
        async with running_installation(nats_url, namespace, providers=settings) as installation:
            store = installation.store
            accounts = Accounts(store, SecretBox([KEY]), url, state.client_id)
            access, refresh = state.grant()
            record = await accounts.add_from_tokens(
                "u1", "spotify", access, refresh, 3600, state.client_id
            )
            await accounts.close()
            yield installation, state, record.connection_id


async def replies(installation: Installation, event_type: type[Event], count: int) -> list[bytes]:
    ctx = installation.runtimes["scheduler"].context
    subscription = await jetstream(ctx.bus.broker).pull_subscribe(
        ctx.topology.subject(event_type), stream=ctx.topology.stream_for(event_type)
    )
    found: list[bytes] = []
    while len(found) < count:
        found += [m.data for m in await subscription.fetch(count - len(found), timeout=20)]
    return found


async def drained(installation: Installation, event_type: type[Event], provider: str) -> None:
    """Wait until the connectors have handled every ``event_type`` message for ``provider``."""
    ctx = installation.runtimes["connectors"].context
    js = jetstream(ctx.bus.broker)
    durable = ctx.topology.durable("connectors", event_type, provider)
    for _ in range(200):
        info = await js.consumer_info(ctx.topology.stream_for(event_type), durable)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{durable} still has work")


async def test_a_redelivered_write_is_answered_again_and_written_once(
    world: tuple[Installation, SpotifyState, str],
) -> None:
    installation, state, connection_id = world
    source = state.add_generated_playlist(100)
    ids = tuple(uri.rsplit(":", 1)[1] for uri in state.playlists[source]["items"])
    bus = installation.bus
    request = dict(
        user_id="u1",
        request_id="w1",
        connection_id=connection_id,
        provider="spotify",
        create_name="From the bus",
        add=ids,
    )
    await bus.publish(ProviderWriteRequested(**request), qualifier="spotify")
    (first,) = await replies(installation, ProviderWritten, 1)
    # The same request again, as a redelivery after a crash would bring it.
    await bus.publish(ProviderWriteRequested(**request), qualifier="spotify")
    written = msgspec.json.decode(first, type=ProviderWritten)
    assert written.error is None and written.added == 100 and written.playlist_id
    created = [p for p in state.playlists.values() if p["name"] == "From the bus"]
    assert len(created) == 1 and created[0]["items"] == state.playlists[source]["items"]
    await bus.publish(
        ProviderReadRequested(
            user_id="u1",
            request_id="r1",
            connection_id=connection_id,
            provider="spotify",
            collection="playlist",
            playlist_id=written.playlist_id,
        ),
        qualifier="spotify",
    )
    (raw,) = await replies(installation, ProviderRead, 1)
    read = msgspec.json.decode(raw, type=ProviderRead)
    assert read.snapshot is not None and read.snapshot.track_count == 100
    collection = await load_collection(installation.store, read.snapshot)
    assert collection is not None
    assert [t.provider_id for t in collection.tracks] == list(ids)
    await drained(installation, ProviderWriteRequested, "spotify")
    created_again = [p for p in state.playlists.values() if p["name"] == "From the bus"]
    assert len(created_again) == 1 and len(created_again[0]["items"]) == 100


async def test_a_refused_consent_is_reported_and_marks_the_connection(
    world: tuple[Installation, SpotifyState, str],
) -> None:
    installation, state, connection_id = world
    for token in state.access_tokens:
        state.access_tokens[token] = 0
    state.consent_expired = True
    bus = installation.bus
    await bus.publish(
        ProviderReadRequested(
            user_id="u1",
            request_id="r2",
            connection_id=connection_id,
            provider="spotify",
            collection="liked",
        ),
        qualifier="spotify",
    )
    (raw,) = await replies(installation, ProviderRead, 1)
    read = msgspec.json.decode(raw, type=ProviderRead)
    assert read.needs_reauthorisation and read.error and "connect the account again" in read.error
    store = installation.store
    accounts = Accounts(store, SecretBox([KEY]), "http://127.0.0.1:1")
    record = await accounts.get("u1", connection_id)
    assert record is not None and record.status == "needs_reauthorisation"
    await accounts.close()


async def test_catalog_search_as_a_users_spotify_connection_over_grpc(
    world: tuple[Installation, SpotifyState, str],
) -> None:
    installation, _, connection_id = world
    async with installation.dial("connectors") as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        found = await stub.LookupIsrc(
            catalog_pb2.LookupIsrcRequest(
                user_id="u1", provider="spotify", isrc="USIR20400274", connection_id=connection_id
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as stranger:
            await stub.LookupIsrc(
                catalog_pb2.LookupIsrcRequest(
                    user_id="someone-else",
                    provider="spotify",
                    isrc="USIR20400274",
                    connection_id=connection_id,
                )
            )
    assert [t.title for t in found.tracks] == ["Mr. Brightside"]
    assert stranger.value.code() == grpc.StatusCode.NOT_FOUND  # not another user's connection


async def test_the_connectors_and_the_matcher_answer_with_the_correlation_they_were_given(
    world: tuple[Installation, SpotifyState, str],
) -> None:
    """They copy it without reading it: the scheduler routes every reply by it alone."""
    installation, _, connection_id = world
    bus = installation.bus
    heard: dict[str, Event] = {}
    arrived = asyncio.Event()

    async def hear(event: Event) -> None:
        heard[type(event).__name__] = event
        if len(heard) == 2:
            arrived.set()

    stop = await bus.listen((ProviderRead, Ranked), hear)
    try:
        run = new_id()  # no such run: the scheduler hears the replies and leaves them
        read = Correlation(flow="sync", run_id=run, step="read", index=4, side="b")
        rank = Correlation(flow="sync", run_id=run, step="match", index=1, side="a")
        await bus.publish(
            ProviderReadRequested(
                user_id="u1",
                correlation=read,
                request_id="an id nobody parses",
                connection_id=connection_id,
                provider="spotify",
                collection="liked",
            ),
            qualifier="spotify",
        )
        await bus.publish(
            RankRequested(user_id="u1", correlation=rank, request_id="another", items=())
        )
        await asyncio.wait_for(arrived.wait(), 30)
    finally:
        await stop()
    assert heard["ProviderRead"].correlation == read
    assert heard["Ranked"].correlation == rank


async def test_the_connectors_send_what_they_found_to_the_matcher_whose_verdict_comes_back(
    world: tuple[Installation, SpotifyState, str],
) -> None:
    """No relay through the scheduler: asked for a run it has never heard of (which it would
    leave alone), the candidates still reach the matcher and its verdict comes back."""
    installation, _, connection_id = world
    bus = installation.bus
    verdicts: list[Ranked] = []
    arrived = asyncio.Event()

    async def hear(event: Event) -> None:
        assert isinstance(event, Ranked)
        verdicts.append(event)
        arrived.set()

    stop = await bus.listen((Ranked,), hear)
    try:
        asked = Correlation(flow="sync", run_id=new_id(), step="match", index=0, side="a")
        wanted = Track(title="Mr. Brightside", artists=("The Killers",), isrc="USIR20400274")
        await bus.publish(
            CandidatesRequested(
                user_id="u1",
                correlation=asked,
                request_id="a batch",
                connection_id=connection_id,
                provider="spotify",
                tracks=(wanted,),
            ),
            qualifier="spotify",
        )
        await asyncio.wait_for(arrived.wait(), 30)
    finally:
        await stop()
    [verdict] = verdicts
    assert verdict.correlation == asked and verdict.request_id == "a batch"
    [item] = verdict.items
    assert item.candidates and item.candidates[0].track.title == "Mr. Brightside"
    assert item.candidates[0].confidence > 0.9
