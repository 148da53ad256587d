"""Who the client is, and which ``Host`` the service answers to.

- **Proxy headers** (``X-Forwarded-For``, ``-Proto``, ``-Host``) are believed only when the
  connection comes from a proxy listed in ``GEOSERVICE_TRUSTED_PROXIES`` (addresses or
  networks; none by default). The client is then the nearest address of the
  ``X-Forwarded-For`` chain that is not itself a trusted proxy: a client cannot choose the
  address it is counted by (rate limits) by writing the header itself.
- **Host**: without ``GEOSERVICE_PUBLIC_URL`` the links of the API are built from the
  request's ``Host``, so only the names the service is reached by are accepted: the address
  it listens on and the loopback names (``localhost``, ``127.0.0.1``, ``[::1]``), plus
  ``GEOSERVICE_ALLOWED_HOSTS``. With a public URL, links never come from ``Host``, and any
  is accepted unless ``GEOSERVICE_ALLOWED_HOSTS`` says otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: object, trusted: Iterable[Network]) -> bool:
    return ip is not None and any(ip in net for net in trusted)  # type: ignore[operator]


def _last(value: str) -> str:
    """The value the nearest proxy wrote (the last of a comma-separated list)."""
    return value.split(",")[-1].strip()


class ProxyHeaders:
    """Pure ASGI: from a trusted proxy, the client address, scheme and ``Host`` come from
    its ``X-Forwarded-*`` headers; from anyone else, those headers are ignored (and
    removed, so nothing further down reads them)."""

    FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")

    def __init__(self, app: ASGIApp, trusted: list[Network]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self.resolve(scope)
        await self.app(scope, receive, send)

    def resolve(self, scope: Scope) -> Scope:
        headers = scope.get("headers") or []
        forwarded = {name: value.decode("latin-1") for name, value in headers
                     if name in self.FORWARDED}
        client = scope.get("client")
        if not forwarded:
            return scope
        kept = [(n, v) for n, v in headers if n not in self.FORWARDED]
        scope = {**scope, "headers": kept}
        if not client or not _trusted(_ip(client[0]), self.trusted):
            return scope
        chain = [p.strip() for p in forwarded.get(b"x-forwarded-for", "").split(",")
                 if p.strip()]
        for hop in reversed(chain):  # nearest first; the first one not a trusted proxy
            ip = _ip(hop)
            if ip is None:
                break
            scope["client"] = (str(ip), 0)
            if not _trusted(ip, self.trusted):
                break
        proto = _last(forwarded.get(b"x-forwarded-proto", "")).lower()
        if proto in ("http", "https"):
            scope["scheme"] = ("wss" if proto == "https" else "ws") \
                if scope["type"] == "websocket" else proto
        host = _last(forwarded.get(b"x-forwarded-host", ""))
        if host and host.isascii() and " " not in host:
            scope["headers"] = [(n, v) for n, v in kept if n != b"host"] + [
                (b"host", host.encode("latin-1"))]
        return scope


def default_hosts(scope: Scope) -> list[str]:
    """The names a request may give as ``Host`` when none are configured and no public
    URL is set: the address the connection came in on, and the loopback names."""
    server = scope.get("server")
    names = list(LOOPBACK_NAMES)
    if server and server[0]:
        address = str(server[0]).lower()
        names.append(f"[{address}]" if ":" in address else address)
    return names
