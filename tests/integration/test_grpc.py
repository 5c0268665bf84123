"""The gRPC APIs, on real servers over real channels, and through the gateway; only
callers with their own token reach them, each only the services it may call."""

from __future__ import annotations

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.kernel.grpcwire import GrpcAuth
from services.kernel.grpcwire import channel as traced_channel
from services.kernel.rpc.tunebridge.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from services.kernel.rpc.tunebridge.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from services.kernel.rpc.tunebridge.music.v1 import track_pb2
from tests.support.installation import Installation, running_installation

pytestmark = pytest.mark.timeout(60)


def grpc_address(installation: Installation, service: str) -> str:
    return f"127.0.0.1:{installation.runtimes[service].context.detail['grpc_port']}"


def dial(installation: Installation, service: str, caller: str = "gateway") -> grpc.aio.Channel:
    return installation.dial(service, caller)


async def test_a_caller_without_a_token_or_at_a_service_not_its_own_is_refused(
    installation: Installation,
) -> None:
    """Any local process could call the matcher and the catalog with any user id."""
    ask = catalog_pb2.ListProvidersRequest(user_id="u1")
    async with grpc.aio.insecure_channel(grpc_address(installation, "connectors")) as anyone:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await catalog_pb2_grpc.CatalogServiceStub(anyone).ListProviders(ask)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # Health says only "serving", to anyone (probes carry no token).
        status = await health_pb2_grpc.HealthStub(anyone).Check(health_pb2.HealthCheckRequest())
        assert status.status == health_pb2.HealthCheckResponse.SERVING
    forged = traced_channel(
        grpc_address(installation, "connectors"), TracerProvider(), GrpcAuth("not-a-token")
    )
    async with forged:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await catalog_pb2_grpc.CatalogServiceStub(forged).ListProviders(ask)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # The downloader may ask the matcher, never the catalog (connections, tokens).
    async with dial(installation, "connectors", caller="downloader") as downloader:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await catalog_pb2_grpc.CatalogServiceStub(downloader).ListProviders(ask)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with dial(installation, "matcher", caller="downloader") as downloader:
        stub = matcher_pb2_grpc.MatcherServiceStub(downloader)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RankCandidates(matcher_pb2.RankCandidatesRequest(user_id="u1"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # let in, then judged


async def test_matcher_ranks_the_same_recording_first_and_reports_health(
    installation: Installation,
) -> None:
    async with dial(installation, "matcher") as channel:
        stub = matcher_pb2_grpc.MatcherServiceStub(channel)
        response = await stub.RankCandidates(
            matcher_pb2.RankCandidatesRequest(
                user_id="u1",
                source=track_pb2.Track(
                    title="Hey Jude", artists=["The Beatles"], duration_ms=431000
                ),
                candidates=[
                    track_pb2.Track(
                        title="Hey Jude (Live)", artists=["Elvis Presley"], duration_ms=250000
                    ),
                    track_pb2.Track(title="Hey Jude", artists=["The Beatles"], duration_ms=431333),
                ],
            )
        )
        assert [r.index for r in response.ranked] == [1, 0]
        assert response.decision == "auto"
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.RankCandidates(matcher_pb2.RankCandidatesRequest(user_id="u1"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        health = health_pb2_grpc.HealthStub(channel)
        status = await health.Check(
            health_pb2.HealthCheckRequest(service="tunebridge.matcher.v1.MatcherService")
        )
        assert status.status == health_pb2.HealthCheckResponse.SERVING


async def test_catalog_lists_providers_directly_and_through_the_gateway(
    installation: Installation, api: httpx.AsyncClient
) -> None:
    async with dial(installation, "connectors") as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        response = await stub.ListProviders(catalog_pb2.ListProvidersRequest(user_id="u1"))
    names = [p.name for p in response.providers]
    assert "folder" in names and names == sorted(names)
    listed = (await api.get("/api/v1/providers")).json()
    assert [p["name"] for p in listed] == names


async def test_gateway_ranks_through_the_matcher_and_rejects_bad_input(
    api: httpx.AsyncClient,
) -> None:
    ranked = await api.post(
        "/api/v1/match/rank",
        json={
            "source": {"title": "Stay", "artists": ["Rihanna"]},
            "candidates": [
                {"title": "Stay", "artists": ["Zedd"]},
                {"title": "Stay", "artists": ["Rihanna", "Mikky Ekko"]},
            ],
        },
    )
    assert ranked.status_code == 200
    assert ranked.json()["ranked"][0]["index"] == 1
    too_many = await api.post(
        "/api/v1/match/rank",
        json={"source": {"title": "x"}, "candidates": [{"title": "x"}] * 501},
    )
    assert too_many.status_code == 400
    # The gateway now refuses it at its edge (a field error on "candidates" naming the
    # limit) before the matcher's own "at most 500" would.
    assert "candidates" in too_many.text and "500" in too_many.text


async def test_trace_context_crosses_grpc_from_gateway_to_matcher(
    nats_url: str, namespace: str
) -> None:
    exporter = InMemorySpanExporter()
    async with (
        running_installation(
            nats_url, namespace, span_processors=[SimpleSpanProcessor(exporter)]
        ) as installation,
        installation.client() as api,
    ):
        response = await api.post(
            "/api/v1/match/rank",
            json={"source": {"title": "Halo"}, "candidates": [{"title": "Halo"}]},
        )
    assert response.status_code == 200
    spans = exporter.get_finished_spans()
    (root,) = [s for s in spans if s.name.startswith("POST /api/v1/match/rank") and not s.parent]
    server_spans = [
        s
        for s in spans
        if s.resource.attributes["service.name"] == "matcher" and "RankCandidates" in s.name
    ]
    assert [s.context.trace_id for s in server_spans] == [root.context.trace_id]


async def test_matcher_suggests_and_searches_artists_over_grpc(installation: Installation) -> None:
    async with dial(installation, "matcher") as channel:
        stub = matcher_pb2_grpc.MatcherServiceStub(channel)
        suggested = await stub.SuggestArtists(
            matcher_pb2.SuggestArtistsRequest(
                user_id="u1",
                title="Kapo - OHANANA (Letra)",
                uploader="Lyrics Hub",
                search_results=[track_pb2.Track(title="OHANANA", artists=["Kapo"])],
                options=[track_pb2.Artist(name="Kapo", image_url="https://img/kapo.jpg")],
            )
        )
        searched = await stub.SearchArtists(
            matcher_pb2.SearchArtistsRequest(
                user_id="u1",
                query="beyonce",
                options=[track_pb2.Artist(name="Bey"), track_pb2.Artist(name="Beyoncé")],
            )
        )
        explained = await stub.RankCandidates(
            matcher_pb2.RankCandidatesRequest(
                user_id="u1",
                source=track_pb2.Track(title="Hello", artists=["Adele"]),
                candidates=[track_pb2.Track(title="Hello (Live)", artists=["Adele"])],
                explain=True,
            )
        )
    first = suggested.suggestions[0]
    assert (first.artist.name, first.artist.image_url) == ("Kapo", "https://img/kapo.jpg")
    assert 0 < first.percent <= 100 and "search result" in first.reasons
    assert [s.artist.name for s in searched.suggestions] == ["Beyoncé", "Bey"]
    features = {c.feature: c.contribution for c in explained.ranked[0].explain}
    assert features["version"] < 0 and explained.decision != "auto"
