"""Rate limits shared by logins and residents' proposals: how a client is counted (its
network, never its address), and one atomic check that counts the attempt before the work
it guards (the events themselves are short-lived counters in the store, for every
replica: :meth:`~geoservice.storage.base.RateEvents.take`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .storage.base import RateEvents, stamp

IPV6_PREFIX = 64
"""An IPv6 client is counted by its /64: one subscriber usually holds a whole /64."""


def client_network(address: str | None) -> str:
    """What one client is: an IPv4 address, or the /64 network of an IPv6 address (an
    IPv4-mapped IPv6 address is its IPv4 one). Anything else is counted as itself.

    Examples
    --------
    >>> client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:ffff::9")
    True
    >>> client_network("::ffff:192.0.2.7")
    '192.0.2.7'
    """
    if not address:
        return "inconnu"
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def take(rates: RateEvents, limits: Mapping[str, int], window: timedelta
         ) -> tuple[str, int] | None:
    """Count one attempt for every key of ``limits`` unless one is at its limit within
    ``window``: None when counted (go on), else that key and the seconds until its soonest
    event ends (nothing counted)."""
    moment = datetime.now(UTC)
    refused = rates.take(limits, stamp(moment + window))
    if refused is None:
        return None
    key, ends = refused
    soonest = datetime.fromisoformat(ends[0])
    return key, max(1, int((soonest - moment).total_seconds()) + 1)
