"""The real client address of a request, and how the web edge vouches for it to auth.

Two hops can stand between a person and auth:

- a load balancer or reverse proxy in front of a service appends the address it saw to
  ``X-Forwarded-For``. Only proxies listed in ``ADIEU_TRUSTED_PROXIES`` are believed: the
  address is the right-most one in the chain that is not a trusted proxy, so a client cannot
  choose it by sending its own header;
- the web edge calls auth on the person's behalf. It sends ``X-Adieu-Client``: the address,
  a time, and an HMAC-SHA256 of both under ``ADIEU_EDGE_KEY`` (a key only the web edge and auth
  hold). Auth believes the header only with a valid MAC younger than a minute, else uses the
  connection's address, so no caller without the key can pick the address auth throttles.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from datetime import datetime

from starlette.requests import Request

from shared.clock import Clock

__all__ = [
    "EDGE_HEADER",
    "ClientAddresses",
    "TrustedProxies",
    "edge_header",
    "parse_proxies",
    "proxies_from",
    "vouched_address",
]

EDGE_HEADER = "X-Adieu-Client"
_MAX_AGE_SECONDS = 60
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` entries are believed."""

    def __init__(self, networks: Iterable[_Network] = ()) -> None:
        self._networks = tuple(networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def client(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client's address: the peer, or behind trusted proxies the right-most entry of
        ``X-Forwarded-For`` that is not itself a trusted proxy."""
        if peer is None or not self.trusts(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop if _is_address(hop) else peer
        return hops[0] if hops else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_proxies(value: str | Sequence[str]) -> tuple[str, ...]:
    """Comma-separated addresses or networks (CIDR), each checked; raises ValueError."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    cleaned = tuple(part.strip() for part in parts if part.strip())
    for part in cleaned:
        ipaddress.ip_network(part, strict=False)
    return cleaned


def proxies_from(names: Iterable[str]) -> TrustedProxies:
    """The :class:`TrustedProxies` for checked network texts."""
    return TrustedProxies(ipaddress.ip_network(name, strict=False) for name in names)


def _mac(key: bytes, address: str, stamp: int) -> str:
    return hmac.new(key, f"{address}\n{stamp}".encode(), hashlib.sha256).hexdigest()


def edge_header(key: bytes, address: str, now: datetime) -> str:
    """The header value by which the web edge vouches that ``address`` is its client."""
    stamp = int(now.timestamp())
    return f"{address} {stamp} {_mac(key, address, stamp)}"


def vouched_address(key: bytes | None, value: str | None, now: datetime) -> str | None:
    """The address in a genuine, fresh ``X-Adieu-Client`` value; None for anything else."""
    if key is None or not value:
        return None
    parts = value.split(" ")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    address, stamp, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(_mac(key, address, stamp), mac):
        return None
    if abs(now.timestamp() - stamp) > _MAX_AGE_SECONDS or not _is_address(address):
        return None
    return address


class ClientAddresses:
    """Tells a request's client address: vouched for by the edge (with ``edge_key``), else the
    connection's peer, seen through the trusted proxies."""

    def __init__(
        self, proxies: TrustedProxies, clock: Clock, edge_key: bytes | None = None
    ) -> None:
        self._proxies = proxies
        self._clock = clock
        self._edge_key = edge_key

    def of(self, request: Request) -> str | None:
        """The client address of ``request`` (None when the server cannot tell)."""
        vouched = vouched_address(
            self._edge_key, request.headers.get(EDGE_HEADER), self._clock.now()
        )
        if vouched is not None:
            return vouched
        peer = request.client.host if request.client else None
        return self._proxies.client(peer, request.headers.get("x-forwarded-for"))
