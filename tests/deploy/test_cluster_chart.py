"""The chart runs what the cluster tests measured: two of every service, at most one taken
away at a time, streams and buckets with as many copies as the NATS subchart has nodes,
autoscaling on CPU (the reason is in values.yaml); compose runs two of each worker."""

from __future__ import annotations

import kubernetes_validate
import yaml

from tests.deploy.test_deployment_files import CHART, KUBERNETES_VERSION, OFFLINE, ROOT, render


def test_every_deployment_runs_two_and_a_drain_takes_at_most_one() -> None:
    documents = render(OFFLINE)
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    scalers = {
        d["spec"]["scaleTargetRef"]["name"]: d
        for d in documents
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    budgets = {d["metadata"]["name"]: d for d in documents if d["kind"] == "PodDisruptionBudget"}
    assert set(budgets) == set(deployments)
    for name, deployment in deployments.items():
        scaler = scalers.get(name)
        if scaler:
            assert scaler["spec"]["minReplicas"] >= 2, name
            (metric,) = scaler["spec"]["metrics"]
            assert metric["resource"]["name"] == "cpu"
        else:
            assert deployment["spec"]["replicas"] >= 2, name
        budget = budgets[name]
        kubernetes_validate.validate(budget, KUBERNETES_VERSION, strict=True)
        assert budget["spec"]["maxUnavailable"] == 1
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_streams_and_buckets_have_a_copy_on_every_nats_node() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    nodes = values["nats"]["config"]["cluster"]["replicas"]
    assert values["nats"]["config"]["cluster"]["enabled"] and nodes == 3
    for document in render(OFFLINE):
        if document["kind"] != "Deployment":
            continue
        (container,) = document["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["TUNEBRIDGE_BUS__REPLICAS"] == str(nodes)
    # One NATS (a server of the operator's): one copy.
    single = render({**OFFLINE, "bus": {"replicas": 1}})
    (container,) = next(d for d in single if d["kind"] == "Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    assert {"name": "TUNEBRIDGE_BUS__REPLICAS", "value": "1"} in container["env"]


def test_compose_runs_two_of_each_worker_on_its_single_nats() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("connectors", "matcher", "downloader", "scheduler"):
        assert compose[name]["deploy"]["replicas"] == 2, name
    # The gateway publishes a host port: one of it. One NATS node: one copy of each stream.
    assert "deploy" not in compose["gateway"]
    assert "TUNEBRIDGE_BUS__REPLICAS" not in compose["gateway"]["environment"]
