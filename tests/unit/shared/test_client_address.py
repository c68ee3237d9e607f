"""Which client address a service believes: a forged header or a spoofed X-Forwarded-For
cannot choose the address auth throttles."""

from __future__ import annotations

from datetime import timedelta

from shared.client_address import edge_header, proxies_from, vouched_address
from shared.clock import FrozenClock
from shared.crypto import decode_key, new_key

KEY = decode_key(new_key())


def test_the_edge_header_is_believed_only_with_the_key_and_while_fresh() -> None:
    clock = FrozenClock()
    header = edge_header(KEY, "198.51.100.4", clock.now())
    assert vouched_address(KEY, header, clock.now()) == "198.51.100.4"
    assert vouched_address(decode_key(new_key()), header, clock.now()) is None  # another key
    assert vouched_address(None, header, clock.now()) is None  # auth without the key
    forged = header.replace("198.51.100.4", "203.0.113.9")
    assert vouched_address(KEY, forged, clock.now()) is None
    assert vouched_address(KEY, "203.0.113.9 0 00", clock.now()) is None
    assert vouched_address(KEY, header, clock.now() + timedelta(seconds=61)) is None  # replayed


def test_forwarded_for_is_read_only_from_trusted_proxies() -> None:
    proxies = proxies_from(["10.0.0.0/8"])
    # A client's own header is ignored when it connects directly.
    assert proxies.client("203.0.113.9", "198.51.100.4") == "203.0.113.9"
    # Behind the balancer: the right-most entry that is not a trusted proxy, so a client's
    # forged left-most entries are never chosen.
    assert proxies.client("10.0.0.2", "1.1.1.1, 198.51.100.4, 10.0.0.7") == "198.51.100.4"
    assert proxies.client("10.0.0.2", None) == "10.0.0.2"
    assert proxies.client("10.0.0.2", "not-an-address") == "10.0.0.2"
    assert proxies_from([]).client("10.0.0.2", "198.51.100.4") == "10.0.0.2"
