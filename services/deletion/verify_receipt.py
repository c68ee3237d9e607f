"""``python -m services.deletion.verify_receipt FILE [--public-key KEY | --url URL]``.

Checks a receipt saved from ``GET /v1/receipts/{request_id}``. Exit status 0: the signature is
valid; 1: the receipt was changed, or was not signed by this key; 2: bad usage or unreadable
input. Without ``--public-key`` the key is fetched from the deletion service at ``--url``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx

from services.deletion.receipts import verify_receipt

__all__ = ["main"]


def _public_key(args: argparse.Namespace) -> str:
    if args.public_key:
        return str(args.public_key)
    answer = httpx.get(f"{args.url.rstrip('/')}/v1/receipts/public-key", timeout=10)
    answer.raise_for_status()
    return str(answer.json()["public_key"])


def main(argv: list[str] | None = None) -> int:
    """Verify one receipt file; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m services.deletion.verify_receipt")
    parser.add_argument("file", type=Path, help="a receipt as returned by the API (JSON)")
    parser.add_argument(
        "--public-key",
        help="the receipt public key; write --public-key=KEY (a key may start with -)",
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8002", help="where to fetch the public key"
    )
    args = parser.parse_args(argv)
    try:
        raw = args.file.read_bytes()
        key = _public_key(args)
    except (OSError, ValueError, httpx.HTTPError) as exc:
        print(f"cannot check the receipt: {exc}", file=sys.stderr)
        return 2
    try:
        document = json.loads(raw)
    except ValueError:
        document = None  # a changed byte may break the JSON itself: that is tampering too
    if isinstance(document, dict) and verify_receipt(document, key):
        print("valid: the receipt is signed by this key and unchanged")
        return 0
    print("INVALID: the receipt was changed or not signed by this key", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
