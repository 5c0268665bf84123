"""A replica (re)started while its NATS cluster cannot answer (two of three nodes down: no
leader for anything) waits, saying so, and comes up ready once the cluster is back,
instead of failing at start-up as a crash-looping pod would."""

from __future__ import annotations

import asyncio
import logging

import pytest

from services.kernel.bus import BusSettings
from services.kernel.runtime import Runtime
from services.matcher.app import MatcherApp
from services.matcher.settings import MatcherSettings
from tests.support.cluster import REPLICAS, NatsCluster

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]


async def test_a_replica_started_while_the_cluster_has_no_leader_waits_and_comes_up(
    cluster: NatsCluster, cluster_url: str, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tunebridge.bus")
    down = [1, 2]
    for index in down:
        await asyncio.to_thread(cluster.kill, index)
    settings = BusSettings(nats_url=cluster_url, namespace=namespace, replicas=REPLICAS)
    runtime = Runtime(MatcherApp(MatcherSettings(grpc_port=0)), settings)
    starting = asyncio.create_task(runtime.start())
    try:
        # It is waiting (and says why), not failed.
        for _ in range(300):
            if "not answering yet" in caplog.text or starting.done():
                break
            await asyncio.sleep(0.1)
        assert not starting.done(), starting.exception()
        waiting = [r.getMessage() for r in caplog.records if "not answering yet" in r.message]
        assert waiting and "trying again in" in waiting[0], caplog.text
        password = next(u.password for u in cluster.users if u.name == "admin")
        assert "nats://" not in caplog.text and password not in caplog.text
        assert not runtime.ready

        for index in down:
            await asyncio.to_thread(cluster.restart, index, index == down[-1])
        await asyncio.wait_for(starting, 120)
        assert runtime.ready
        # It works: its heartbeat is in the cluster's bucket, where health reads it.
        beats = await runtime.context.store.keys("services")
        assert any(key.startswith("matcher.") for key in beats), beats
    finally:
        if not starting.done():
            starting.cancel()
        await runtime.stop()
        for index in down:
            if not cluster.nodes[index].alive():
                await asyncio.to_thread(cluster.restart, index)
