"""A worker in a process of its own, to be killed mid-message by a test.

``python -m tests.support.bus_worker NATS_URL NAMESPACE ACK_WAIT_S MARKER`` consumes
``RunCompleted`` as the ``tests`` service; its handler writes the event id to ``MARKER`` and
then works forever (reporting progress all the while, as every handler does).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from faststream.nats import NatsBroker

from services.kernel.bus import Bus, BusSettings
from services.kernel.contracts import RunCompleted
from services.kernel.subjects import Topology


async def main(nats_url: str, namespace: str, ack_wait_s: float, marker: Path) -> None:
    broker = NatsBroker(nats_url)
    await broker.connect()
    settings = BusSettings(nats_url=nats_url, namespace=namespace, ack_wait_s=ack_wait_s)
    bus = Bus(broker, Topology(namespace), "tests", settings)

    async def forever(event: RunCompleted) -> None:
        await asyncio.to_thread(marker.write_text, event.event_id)
        await asyncio.Event().wait()

    bus.consume(RunCompleted, forever)
    await broker.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    url, space, wait, path = sys.argv[1:5]
    asyncio.run(main(url, space, float(wait), Path(path)))
