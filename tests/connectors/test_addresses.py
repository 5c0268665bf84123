"""Which addresses a user-given server URL may reach: public ones, and what an admin allows."""

from __future__ import annotations

import ipaddress

import pytest

from services.connectors.settings import ConnectorsSettings
from services.kernel.addresses import AddressPolicy, AllowListError
from services.kernel.settings import SettingsError, load

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "::ffff:127.0.0.1",
    "10.0.0.7",
    "172.16.5.4",
    "192.168.1.20",
    "169.254.169.254",
    "fe80::1",
    "fd00:ec2::254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_and_metadata_are_refused(address: str) -> None:
    assert not AddressPolicy().permits("server", ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["1.1.1.1", "2606:4700:4700::1111", "93.184.216.34"])
def test_public_addresses_need_nothing(address: str) -> None:
    assert AddressPolicy().permits("server", ipaddress.ip_address(address))


def test_an_admin_allows_a_name_an_address_or_a_range() -> None:
    policy = AddressPolicy.from_entries(["plex.lan.", "192.168.1.0/24", "10.0.0.7"])
    assert policy.permits("PLEX.lan", ipaddress.ip_address("10.9.9.9"))  # the name, wherever
    assert policy.permits("x", ipaddress.ip_address("192.168.1.200"))
    assert policy.permits("x", ipaddress.ip_address("::ffff:192.168.1.3"))
    assert policy.permits("x", ipaddress.ip_address("10.0.0.7"))
    assert not policy.permits("x", ipaddress.ip_address("10.0.0.8"))
    assert not policy.permits("x", ipaddress.ip_address("169.254.169.254"))


def test_a_bad_entry_is_refused_naming_the_variable() -> None:
    with pytest.raises(AllowListError):
        AddressPolicy.from_entries(["plex lan"])
    with pytest.raises(SettingsError, match="TUNEBRIDGE_CONNECTORS__"):
        load(
            ConnectorsSettings,
            "connectors",
            {"TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS": "192.168.1.0/33"},
        )
