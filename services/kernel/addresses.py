"""Which network addresses a user-given address may reach (no server-side request forgery).

A Plex (or any media server) URL comes from a user. Fetched blindly, it would let that user
make the connectors call whatever they can reach: the cloud's metadata endpoint
(169.254.169.254), NATS, Redis, the other services' ports on loopback, the LAN. So only
public addresses are reached unless an administrator allows a host or a range
(``TUNEBRIDGE_CONNECTORS__ALLOWED_SERVER_HOSTS``): a household's Plex on the LAN is the
common case. The check is made on the address actually connected to, after DNS resolution.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class AllowListError(ValueError):
    """An entry of the allow-list is neither a host name, an address nor a range."""


def _plain(address: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (``::ffff:127.0.0.1``, 6to4 aside) is that IPv4
    address: otherwise it would slip past the IPv4 rules."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public(address: IpAddress) -> bool:
    """Whether ``address`` is a public unicast address: not loopback, private, link-local
    (the metadata endpoint), shared (carrier NAT), reserved, multicast or unspecified."""
    plain = _plain(address)
    return plain.is_global and not plain.is_multicast


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus what an administrator allowed.

    Attributes:
        hosts: Host names allowed whatever they resolve to (lower case, no trailing dot).
        networks: Addresses and ranges allowed (an address is a range of one).
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = field(default=())

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        """From ``plex.lan``, ``192.168.1.20``, ``192.168.1.0/24``, ``fd00::/8`` entries."""
        hosts: set[str] = set()
        networks: list[IpNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_NAME.match(entry):
                raise AllowListError(f"{raw!r} is not a host name, an address or a range")
            hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: IpAddress) -> bool:
        """Whether connecting to ``address`` (what ``host`` resolved to) is allowed."""
        if host.lower().rstrip(".").strip("[]") in self.hosts:
            return True
        plain = _plain(address)
        if any(plain in network for network in self.networks):
            return True
        return is_public(plain)
