"""The cluster tests' NATS: three clustered ``nats-server`` processes with the
installation's authentication (tests/support/cluster.py), one per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import nats_auth
from tests.support.cluster import NatsCluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cluster-seeds",
        default="1",
        help="fault-test seeds: a number N (seeds 1..N) or a comma-separated list",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seed" in metafunc.fixturenames:
        given = str(metafunc.config.getoption("--cluster-seeds"))
        seeds = [int(s) for s in given.split(",")] if "," in given else range(1, int(given) + 1)
        metafunc.parametrize("seed", list(seeds))


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    made = NatsCluster(tmp_path_factory.mktemp("cluster"))
    nats_auth.start(made)
    made.wait_for_jetstream()
    yield made
    made.stop()


@pytest.fixture(scope="session")
def cluster_url(cluster: NatsCluster) -> str:
    """The cluster's servers, carrying the ``admin`` identity (as ``nats_url`` does)."""
    return nats_auth.with_credentials(
        cluster.url, "admin", next(u.password for u in cluster.users if u.name == "admin")
    )
