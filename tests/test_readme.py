"""The README stays true: every setting is documented, the two commands are there."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from services.connectors.registry import SPECS
from services.connectors.settings import ConnectorsSettings
from services.downloader.settings import DownloaderSettings
from services.gateway.settings import GatewaySettings
from services.kernel.bus import BusSettings
from services.kernel.crypto import SecretsSettings
from services.kernel.library import LibrarySettings
from services.kernel.settings import TransportSettings, env_name
from services.matcher.settings import MatcherSettings
from services.scheduler.settings import SchedulerSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SETTINGS = [
    (BusSettings, "bus"),
    (GatewaySettings, "gateway"),
    (ConnectorsSettings, "connectors"),
    (MatcherSettings, "matcher"),
    (DownloaderSettings, "downloader"),
    (SchedulerSettings, "scheduler"),
    *((spec.settings, spec.name) for spec in SPECS),
    (SecretsSettings, "secrets"),
    (LibrarySettings, "library"),
    (TransportSettings, "transport"),
]


@pytest.mark.parametrize(("settings", "section"), SETTINGS, ids=[s for _, s in SETTINGS])
def test_every_setting_is_documented(settings: type[msgspec.Struct], section: str) -> None:
    for field in msgspec.structs.fields(settings):
        name = env_name(section, field.name)
        documented = name in README or (
            # "TUNEBRIDGE_GATEWAY__HOST / __PORT" documents both in one row.
            f"__{field.name.upper()}`" in README and f"TUNEBRIDGE_{section.upper()}__" in README
        )
        if field.name in ("ops_host", "ops_port"):
            documented = "TUNEBRIDGE_<SERVICE>__OPS_HOST" in README
        assert documented, f"{name} is not in the README"


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_one() -> None:
    assert "pip install . && .venv/bin/tunebridge up" in README
    test_command = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest'
    assert test_command in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert re.search(r'python3 -m venv \.venv && \.venv/bin/pip install -q -e "\.\[test\]"', ci)
    assert ci.rstrip().endswith(".venv/bin/pytest")
