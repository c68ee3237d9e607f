"""The CLI's exit codes and the error that carries one."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CliError", "Exit"]


class Exit(IntEnum):
    """Exit codes scripts can rely on."""

    OK = 0
    NOT_FOUND_OR_INVALID = 1  # no such request, a refused call, an invalid receipt
    USAGE = 2  # bad arguments or missing configuration (argparse also exits 2)
    UNREACHABLE = 3  # the service or the broker did not answer (or answered 5xx)


class CliError(Exception):
    """A failure to report on stderr with its exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
