"""``adieu``: the operators' command-line tool (its commands arrive with the operators issue)."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    print("adieu: no commands yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
