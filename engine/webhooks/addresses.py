"""Webhooks reach the public internet only: a receiver URL naming a loopback, private, link-local or
reserved address (or a host name that resolves to one) is refused, so an administrator cannot make
GEE's workers call the provider's internal services. Deployments whose receivers live on the
provider's own network allow private addresses with ``GEE_WEBHOOK_PRIVATE_ADDRESSES=1`` (the default
outside production)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from engine.base.settings import current_settings

#: Host names that always mean this machine, whatever DNS says.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def private_allowed() -> bool:
    return current_settings().webhook_private_addresses


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_global


def names_private_address(url: str) -> bool:
    """True when the URL's host is written as a non-public address or a local name (no DNS asked)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    address = _literal(host)
    return host in LOCAL_NAMES or host.endswith(".localhost") or (address is not None and not _public(address))


def resolves_to_private_address(url: str) -> str | None:
    """The first non-public address the URL's host resolves to (None when all are public or the name
    does not resolve: the request then fails on its own)."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    for info in infos:
        address = _literal(str(info[4][0]))
        if address is not None and not _public(address):
            return str(address)
    return None
