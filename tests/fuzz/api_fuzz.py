"""``make api-fuzz``: Schemathesis over every service's OpenAPI document, against the platform
started as ``make run`` starts it (on free ports, in a temporary folder).

Each service's own ``/openapi.json`` is fuzzed with every check Schemathesis has, a bounded
number of examples per operation and a fixed seed, as a signed-in person (a fresh account) and,
for the operator routes, with the operator's token. Any server error or answer the document
does not describe fails the run. The web edge is left out: it serves HTML pages, not an API,
and publishes no document.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.stack import running_stack

__all__ = ["main"]

PASSWORD = "fuzzing is a fine password"
# Operator routes take the operator's token; every other route a person's.
_OPERATOR_ROUTES = {"deletion": "^/v1/admin/", "survey": "^/v1/reports/"}
_OPERATOR_SECRETS = {"deletion": "DELETION_ADMIN_TOKEN", "survey": "SURVEY_ADMIN_TOKEN"}
# Routes that would end the fuzzing person's session for every later case.
_ENDS_SESSION = r"^/v1/sessions/current$|^/v1/me/password$"


@dataclass(frozen=True)
class Pass:
    """One Schemathesis run: a service, the routes it covers, and whose token it sends."""

    service: str
    token: str
    include: str | None = None
    exclude: str | None = None


def _person_token(auth: str) -> str:
    login = "fuzzer@example.com"
    with httpx.Client(base_url=auth, timeout=30) as client:
        created = client.post("/v1/accounts", json={"email": login, "password": PASSWORD})
        created.raise_for_status()
        signed = client.post("/v1/sessions", json={"login": login, "password": PASSWORD})
        signed.raise_for_status()
        return str(signed.json()["access_token"])


def _passes(person: str, secrets: dict[str, str]) -> list[Pass]:
    passes = []
    for service in ("auth", "deletion", "survey", "notifier"):
        operator = _OPERATOR_ROUTES.get(service)
        exclude = "|".join(part for part in (operator, _ENDS_SESSION) if part)
        passes.append(Pass(service, person, exclude=exclude))
        if operator is not None:
            passes.append(Pass(service, secrets[_OPERATOR_SECRETS[service]], include=operator))
    return passes


def _run(one: Pass, url: str, examples: int, seed: int, reports: Path) -> int:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/openapi.json",
        "--checks=all",
        f"--max-examples={examples}",
        f"--seed={seed}",
        "--workers=1",  # CPython 3.11's ast.parse is not thread-safe (Hypothesis calls it)
        "--phases=examples,coverage,fuzzing",
        f"--header=Authorization: Bearer {one.token}",
        "--output-sanitize=true",
        "--report=junit",
        f"--report-junit-path={reports / f'{one.service}-{len(os.listdir(reports))}.xml'}",
    ]
    if one.include:
        command.append(f"--include-path-regex={one.include}")
    if one.exclude:
        command.append(f"--exclude-path-regex={one.exclude}")
    print(f"== {one.service}: {one.include or 'all but ' + str(one.exclude)}", flush=True)
    return subprocess.run(command, check=False).returncode  # our own argv


def main(argv: list[str] | None = None) -> int:
    """Start the platform, fuzz each service's API, stop; exit 0 only if every run passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=15, help="examples per operation")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--reports", type=Path, default=Path("var/api-fuzz"))
    args = parser.parse_args(argv)
    args.reports.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="adieu-fuzz-") as base,
        running_stack(Path(base), "fuzz", None, {"DEVSTACK_BROKER": "tansu"}) as stack,
    ):
        person = _person_token(stack.auth)
        codes = [
            (one, _run(one, stack.urls[one.service], args.examples, args.seed, args.reports))
            for one in _passes(person, stack.secrets())
        ]
    failed = [one for one, code in codes if code != 0]
    for one in failed:
        print(f"FAILED: {one.service} ({one.include or 'person routes'})")
    print(f"{len(codes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
