"""The address policy, where the connectors first had it: it lives in the kernel now
(``services/kernel/addresses.py``), shared with every service that fetches an address a
user could influence."""

from services.kernel.addresses import AddressPolicy, AllowListError, IpAddress, is_public

__all__ = ["AddressPolicy", "AllowListError", "IpAddress", "is_public"]
