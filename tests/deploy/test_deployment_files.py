"""The Helm chart renders with the real Helm engine into valid Kubernetes objects, and
compose, chart and ``services/`` name the same services."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from services.kernel.runtime import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "tunebridge"
KUBERNETES_VERSION = "1.31.0"
# Chart dependencies cannot be fetched here: render with them switched off.
OFFLINE = {
    "nats": {"enabled": False, "url": "nats://nats.example:4222"},
    "redis": {"enabled": False},
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    chart = helm_python.Chart.load(CHART)
    rendered = chart.render(values)
    documents = []
    for text in rendered.values():
        documents += [doc for doc in yaml.safe_load_all(text) if doc]
    return documents


def test_chart_lints_without_errors() -> None:
    result = helm_python.lint(CHART, OFFLINE)
    assert result["errors"] == []
    assert not [m for m in result["messages"] if m["severity"] >= 3]


def test_chart_renders_valid_kubernetes_objects_for_every_service() -> None:
    documents = render(OFFLINE)
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"] for d in documents if d["kind"] == "Service"}
    expected = {f"release-name-{name}" for name in SERVICE_NAMES}
    workers = {f"release-name-connectors-{p}" for p in ("spotify", "deezer", "plex")}
    assert set(deployments) == expected | workers and services == expected
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        service = name.removeprefix("release-name-").split("-")[0]
        assert container["args"][-1] == f"services.{service}"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["NATS_URL"] == "nats://nats.example:4222"


def test_each_provider_has_a_deployment_serving_only_its_queues() -> None:
    documents = render(OFFLINE)
    served = {}
    for document in documents:
        if document["kind"] == "Deployment" and "connectors" in document["metadata"]["name"]:
            env = {
                e["name"]: e.get("value")
                for e in document["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            served[document["metadata"]["name"]] = env["TUNEBRIDGE_CONNECTORS__PROVIDERS"]
    assert served == {
        "release-name-connectors": "none",
        "release-name-connectors-spotify": "spotify",
        "release-name-connectors-deezer": "deezer",
        "release-name-connectors-plex": "plex",
    }


def test_gateway_dials_the_matcher_and_connectors_services() -> None:
    documents = render(OFFLINE)
    gateway = next(
        d
        for d in documents
        if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-gateway")
    )
    env = {
        e["name"]: e["value"] for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["TUNEBRIDGE_GATEWAY__MATCHER_ADDRESS"] == "release-name-matcher:50051"
    assert env["TUNEBRIDGE_GATEWAY__CATALOG_ADDRESS"] == "release-name-connectors:50052"


def test_secrets_are_referenced_never_inlined() -> None:
    documents = render({**OFFLINE, "secrets": {"existingSecret": "tunebridge-keys"}})
    for document in documents:
        if document["kind"] == "Deployment":
            container = document["spec"]["template"]["spec"]["containers"][0]
            assert container["envFrom"] == [{"secretRef": {"name": "tunebridge-keys"}}]
            assert not any("SECRETS" in e["name"] for e in container["env"])
    assigned = re.compile(r"SECRETS__KEYS\s*[:=]")
    assert not assigned.search((CHART / "values.yaml").read_text())
    assert not assigned.search((ROOT / "docker-compose.yml").read_text())


def test_nats_is_a_declared_dependency_that_can_be_switched_off() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    dependencies = {d["name"]: d for d in chart["dependencies"]}
    assert dependencies["nats"]["condition"] == "nats.enabled"
    with pytest.raises(helm_python.HelmError, match=r"nats\.url is required"):
        render({"nats": {"enabled": False}, "redis": {"enabled": False}})


def test_compose_chart_and_code_name_the_same_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    compose_services = set(compose["services"]) - {"nats", "redis"}
    chart_services = set(yaml.safe_load((CHART / "values.yaml").read_text())["services"])
    code_services = {p.parent.name for p in (ROOT / "services").glob("*/__main__.py")} - {"cli"}
    assert compose_services == chart_services == code_services == set(SERVICE_NAMES)
    for name in SERVICE_NAMES:
        assert compose["services"][name]["command"][-1] == f"services.{name}"


def test_the_library_is_mounted_where_it_is_scanned_and_filled() -> None:
    documents = render({**OFFLINE, "library": {"existingClaim": "music"}})
    mounts = {}
    for document in documents:
        if document["kind"] != "Deployment":
            continue
        pod = document["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for mount in pod["containers"][0]["volumeMounts"]:
            if mount["name"] == "library":
                assert volumes["library"]["persistentVolumeClaim"]["claimName"] == "music"
                mounts[document["metadata"]["name"]] = mount.get("readOnly", False)
    assert mounts["release-name-downloader"] is False
    assert mounts["release-name-connectors"] is True
