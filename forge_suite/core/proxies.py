"""The client's address behind trusted reverse proxies: ``client_ip(request)``.

Off by default: ``REMOTE_ADDR`` is the client. Behind load balancers, set
``FORGE["TRUSTED_PROXIES"]`` to the number of proxies in front of the application (``1`` for
one load balancer) or to the networks they live in (``["10.0.0.0/8"]``), and
``FORGE["TRUSTED_PROXY_HEADER"]`` to the header they append to: ``"X-Forwarded-For"`` (the
default) or RFC 7239 ``"Forwarded"``. The chain is read from the right, so addresses a client
writes into the header itself are never believed: only what the trusted proxies appended is.

Used by throttling's ``ip`` keys and trusted networks, and by observability's access log.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest

from forge_suite.core.conf import forge_settings

__all__ = ["client_ip", "forwarded_chain"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _parse_ip(value: str) -> IPAddress | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _forwarded_for(header: str) -> list[str]:
    """The ``for=`` values of an RFC 7239 ``Forwarded`` header, in order."""
    values = []
    for element in header.split(","):
        found = ""
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.strip().lower() == "for":
                found = value.strip()
        values.append(found)  # an element without for= still counts as a hop
    return values


def forwarded_chain(request: HttpRequest) -> list[str]:
    """The proxy chain as raw strings, client side first, ``REMOTE_ADDR`` last."""
    header = str(forge_settings.TRUSTED_PROXY_HEADER)
    raw = request.headers.get(header, "")
    if header.lower() == "forwarded":
        entries = _forwarded_for(raw) if raw else []
    else:
        entries = [part.strip() for part in raw.split(",")] if raw else []
    return [*entries, request.META.get("REMOTE_ADDR", "") or ""]


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or what the trusted proxies saw.

    Never raises on hostile input: an unparsable entry where the client should be gives
    ``REMOTE_ADDR`` back (the connection's peer, which the client cannot forge).
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = forge_settings.TRUSTED_PROXIES
    if not trusted:
        return remote
    chain = forwarded_chain(request)
    if isinstance(trusted, int):
        # The last `trusted` entries were written by our proxies; the one before is the client.
        candidate = chain[max(0, len(chain) - 1 - trusted)]
        parsed = _parse_ip(candidate)
        return str(parsed) if parsed is not None else remote
    networks = _networks(tuple(str(n) for n in trusted))
    client = remote
    for entry in reversed(chain):
        parsed = _parse_ip(entry)
        if parsed is None:
            return client  # garbage left of a trusted hop: keep the last address we trust
        client = str(parsed)
        if not any(parsed in network for network in networks):
            return client  # the first untrusted address from the right is the client
    return client
