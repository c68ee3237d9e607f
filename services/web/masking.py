"""Addresses shown half-hidden ("where did the code go?"): enough to recognise, not to copy."""

from __future__ import annotations

__all__ = ["mask_address"]


def mask_address(address: str) -> str:
    """``k***@example.com`` for an e-mail address, ``+47*****567`` for a phone number."""
    local, at, domain = address.rpartition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(address) <= 6:
        return "*" * len(address)
    return address[:3] + "*" * (len(address) - 6) + address[-3:]
