"""The client's address: the peer's, or behind a trusted proxy, the one the proxy forwarded.

Only when the direct peer is a trusted proxy (``PLANNER_TRUSTED_PROXIES``) is
``X-Forwarded-For`` read. Each proxy appends the address it saw, so the list is walked from
the right and the first address that is not itself a trusted proxy is the client; what lies
left of it was written by the client and is never believed. If every entry is a trusted
proxy, the left-most is the client; an entry that is not an address ends the walk at the
last address known. From any other peer the header is ignored and the peer's address is
the client's, so nobody picks the address their logins are counted under.

``app.RequestContext`` calls this once per request; the API, the pages and the audit log
all read the result (``request.state.client_address``).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The client's address for a request from ``peer`` carrying these X-Forwarded-For lines."""
    if peer is None:
        return "unknown"
    if not trusted:
        return peer  # no proxy is trusted: nothing to parse (the default, on every request)
    address = parsed(peer)
    if address is None or not _is_trusted(address, trusted):
        return peer
    client = peer
    entries = [entry for line in forwarded_for for entry in line.split(",")]
    for entry in reversed(entries):
        address = parsed(entry)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address, trusted):
            break
    return client


def parsed(text: str) -> Address | None:
    """An address as proxies write it (``192.0.2.1``, ``192.0.2.1:443``, ``[2001:db8::1]:443``,
    ``2001:db8::1``); an IPv4-mapped IPv6 address as IPv4; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text, bracket, port = text[1:].partition("]")
        if not bracket or (port and not (port.startswith(":") and port[1:].isdigit())):
            return None
    elif text.count(":") == 1:  # IPv4 with a port
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address):
        if address.scope_id is not None:
            return None
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
