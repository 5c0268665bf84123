"""The Helm chart renders with the real Helm engine into valid Kubernetes objects, and
compose, chart and ``services/`` name the same services."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from services.cli import main
from services.cli.up import secret_keys
from services.kernel.natsserver import find_binary
from services.kernel.runtime import SERVICE_NAMES
from services.kernel.settings import TransportSettings

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
    from services.connectors.registry import ACCOUNT_PROVIDERS

    workers = {f"release-name-connectors-{p}" for p in ACCOUNT_PROVIDERS}
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
    # The chart's providers are the registry's: a provider added there and not here (or
    # the other way round) fails this test.
    from services.connectors.registry import ACCOUNT_PROVIDERS

    assert served == {
        "release-name-connectors": "none",
        **{f"release-name-connectors-{name}": name for name in ACCOUNT_PROVIDERS},
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
            service = document["metadata"]["name"].removeprefix("release-name-").split("-")[0]
            # Only the two services that seal and open stored secrets get the key.
            if service in ("gateway", "connectors"):
                assert container["envFrom"] == [{"secretRef": {"name": "tunebridge-keys"}}]
            else:
                assert "envFrom" not in container, service
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
    compose_services = set(compose["services"]) - {"nats", "redis", "declare"}
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


def test_each_pod_mounts_only_its_own_transport_credentials() -> None:
    for document in render(OFFLINE):
        if document["kind"] != "Deployment":
            continue
        pod = document["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        service = container["args"][-1].removeprefix("services.")
        volume = next(v for v in pod["volumes"] if v["name"] == "transport")["secret"]
        assert volume["secretName"] == "tunebridge-transport"
        assert volume["items"] == [{"key": f"{service}.json", "path": "transport.json"}]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mount = next(m for m in container["volumeMounts"] if m["name"] == "transport")
        assert env["TUNEBRIDGE_TRANSPORT__FILE"] == f"{mount['mountPath']}/transport.json"
        assert mount["readOnly"] is True


def test_the_nats_chart_requires_the_transport_users_and_exposes_no_monitoring() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    nats = values["nats"]
    assert nats["config"]["monitor"]["enabled"] is False
    assert nats["natsBox"]["enabled"] is False  # it would connect without credentials
    include = nats["config"]["merge"]["$include"]
    (mount,) = [p["value"] for p in nats["container"]["patch"] if p["path"] == "/volumeMounts/-"]
    (volume,) = [p["value"] for p in nats["podTemplate"]["patch"] if p["path"] == "/spec/volumes/-"]
    assert mount["name"] == volume["name"]
    # The chart's config lives in /etc/nats-config: the include is the mounted Secret's key.
    assert f"/etc/nats-config/{include.removeprefix('./')}" == (
        f"{mount['mountPath']}/{volume['secret']['items'][0]['path']}"
    )
    assert volume["secret"]["items"][0]["key"] == "nats-auth.conf"
    assert volume["secret"]["secretName"] == values["transport"]["existingSecret"]


def test_compose_gives_each_container_only_its_own_credentials_and_nats_no_open_door() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    nats = compose["services"]["nats"]
    command = " ".join(nats["command"])
    assert "-m" not in nats["command"] and "8222" not in command and "ports" not in nats
    assert command == "-c /run/secrets/nats-server.conf" and nats["secrets"] == ["nats-server.conf"]
    for name in SERVICE_NAMES:
        service = compose["services"][name]
        assert service["secrets"] == [{"source": name, "target": "transport"}]
        assert compose["secrets"][name] == {"file": f"./credentials/{name}.json"}
        assert service["environment"]["TUNEBRIDGE_TRANSPORT__FILE"] == "/run/secrets/transport"
        # .env holds the sealing key: only for the gateway and the connectors.
        assert ("env_file" in service) == (name in ("gateway", "connectors")), name
    assert compose["secrets"]["nats-server.conf"] == {"file": "./credentials/nats-server.conf"}


def test_streams_are_declared_by_the_admin_alone_before_services_start_or_upgrade() -> None:
    """No service may change a stream: compose runs ``tunebridge declare`` as the admin
    before every service starts, the chart before each upgrade, each with admin.json only."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    declare = compose["services"]["declare"]
    assert declare["command"][-2:] == ["services.cli", "declare"]
    assert declare["secrets"] == [{"source": "admin", "target": "transport"}]
    assert compose["secrets"]["admin"] == {"file": "./credentials/admin.json"}
    assert "env_file" not in declare and declare["restart"] == "no"
    for name in SERVICE_NAMES:
        waits = compose["services"][name]["depends_on"]["declare"]
        assert waits == {"condition": "service_completed_successfully"}
    (job,) = [d for d in render(OFFLINE) if d["kind"] == "Job"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][-2:] == ["services.cli", "declare"]
    volume = next(v for v in pod["volumes"] if v["name"] == "transport")["secret"]
    assert volume["items"] == [{"key": "admin.json", "path": "transport.json"}]


def test_tunebridge_credentials_writes_a_valid_locked_server_config_and_one_file_each(
    tmp_path: Path,
) -> None:
    out = tmp_path / "credentials"
    assert main(["credentials", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o700
    checked = subprocess.run(
        [find_binary(), "-c", str(out / "nats-server.conf"), "-t"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    config = (out / "nats-server.conf").read_text()
    assert "authorization" in config and "monitor" not in config and "http" not in config
    stored = json.loads((out / "credentials.json").read_text())
    for name in SERVICE_NAMES:
        path = out / f"{name}.json"
        assert path.stat().st_mode & 0o777 == 0o600
        own = TransportSettings(file=str(path)).with_file()
        assert own.nats_user == name and own.nats_password == stored["nats"][name]
        assert own.grpc_token == stored["grpc"][name]
        others = [p for n, p in stored["nats"].items() if n != name]
        assert not any(secret in path.read_text() for secret in others)
    admin = TransportSettings(file=str(out / "admin.json")).with_file()
    assert (admin.nats_user, admin.nats_password) == ("admin", stored["nats"]["admin"])
    assert (out / "admin.json").stat().st_mode & 0o777 == 0o600
    # Run again: the same credentials (the deployment keeps working).
    assert main(["credentials", "--out", str(out)]) == 0
    assert json.loads((out / "credentials.json").read_text()) == stored


def test_the_sealing_key_file_is_made_private_again_at_each_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As credentials.json is: a key file left readable to others (a copied backup, a
    careless chmod) is 0600 again once ``tunebridge up`` starts, with the same key."""
    monkeypatch.delenv("TUNEBRIDGE_SECRETS__KEYS", raising=False)
    key = secret_keys(tmp_path)
    (tmp_path / "secret.keys").chmod(0o644)
    assert secret_keys(tmp_path) == key
    assert (tmp_path / "secret.keys").stat().st_mode & 0o777 == 0o600
