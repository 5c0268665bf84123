"""Settings come from the environment, typed, and a bad one names its variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from services.kernel.bus import BusSettings
from services.kernel.settings import SettingsError, load
from services.matcher.settings import MatcherSettings


def test_values_are_converted_to_their_types() -> None:
    settings = load(
        BusSettings,
        "bus",
        {
            "NATS_URL": "nats://nats:4222",
            "TUNEBRIDGE_BUS__MAX_DELIVER": "7",
            "TUNEBRIDGE_BUS__RETRY_BACKOFF_S": "0.5, 2",
            "TUNEBRIDGE_BUS__NAMESPACE": "",
        },
    )
    assert settings.nats_url == "nats://nats:4222"
    assert settings.max_deliver == 7
    assert settings.retry_backoff_s == (0.5, 2.0)
    assert settings.namespace == ""


def test_a_bad_value_names_the_variable_to_fix() -> None:
    with pytest.raises(SettingsError, match="TUNEBRIDGE_MATCHER__GRPC_PORT"):
        load(MatcherSettings, "matcher", {"TUNEBRIDGE_MATCHER__GRPC_PORT": "fifty"})


def test_a_service_exits_with_the_variable_name_on_bad_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.matcher"],
        env={"TUNEBRIDGE_MATCHER__AUTO_THRESHOLD": "very", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TUNEBRIDGE_MATCHER__AUTO_THRESHOLD" in result.stderr
