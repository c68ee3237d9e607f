"""``adieu``: the operators' command-line tool.

Commands: ``status REQUEST_ID``, ``requests [--status S|overdue]``, ``dlq list TOPIC``,
``dlq replay TOPIC``, ``survey-report [--from D --to D]``, ``verify-receipt FILE``. Every
command takes ``--json``. Exit codes (:class:`adieu_cli.errors.Exit`): 0 ok, 1 not found or
invalid, 2 usage or missing configuration, 3 a service or the broker is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adieu_cli import dlq
from adieu_cli.api import get_json, receipt_public_key
from adieu_cli.config import CliSettings
from adieu_cli.errors import CliError, Exit
from adieu_cli.output import emit, human_letters, human_mapping, human_requests

__all__ = ["main"]


def _status(args: argparse.Namespace, settings: CliSettings) -> Any:
    body = get_json(settings, "deletion", f"/v1/admin/requests/{args.request_id}")
    emit(args, body, human_mapping)
    return Exit.OK


def _requests(args: argparse.Namespace, settings: CliSettings) -> Any:
    params = {"overdue": "true"} if args.status == "overdue" else {}
    if args.status and args.status != "overdue":
        params["status"] = args.status
    body = get_json(settings, "deletion", "/v1/admin/requests", params)
    emit(args, body, human_requests)
    return Exit.OK


def _dlq_list(args: argparse.Namespace, settings: CliSettings) -> Any:
    topic = dlq.resolve_topic(args.topic, settings.topic_prefix)
    letters = asyncio.run(dlq.list_dead_letters(settings.kafka_bootstrap, topic))
    body = {"topic": topic, "dead_letters": [letter.as_dict() for letter in letters]}
    emit(args, body, human_letters)
    return Exit.OK


def _dlq_replay(args: argparse.Namespace, settings: CliSettings) -> Any:
    topic = dlq.resolve_topic(args.topic, settings.topic_prefix)
    result = asyncio.run(dlq.replay(settings.kafka_bootstrap, topic))
    body = {
        "topic": topic,
        "replayed": [letter.as_dict() for letter in result.replayed],
        "skipped": result.skipped,
    }
    emit(args, body, lambda b: f"replayed {len(b['replayed'])} record(s) to {topic}")
    return Exit.OK


def _survey_report(args: argparse.Namespace, settings: CliSettings) -> Any:
    params = {k: v for k, v in (("from", args.date_from), ("to", args.date_to)) if v}
    body = get_json(settings, "survey", "/v1/reports/summary", params)
    emit(args, body, human_mapping)
    return Exit.OK


def _verify_receipt(args: argparse.Namespace, settings: CliSettings) -> Any:
    from services.deletion.receipts import verify_receipt

    try:
        document = json.loads(Path(args.file).read_bytes())
    except OSError as exc:
        raise CliError(Exit.USAGE, f"cannot read {args.file}: {exc.strerror}") from None
    except ValueError:
        raise CliError(Exit.NOT_FOUND_OR_INVALID, f"{args.file} is not JSON") from None
    key = args.public_key or receipt_public_key(settings)
    valid = isinstance(document, dict) and verify_receipt(document, key)
    emit(args, {"file": str(args.file), "valid": valid}, lambda b: "valid" if valid else "INVALID")
    return Exit.OK if valid else Exit.NOT_FOUND_OR_INVALID


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--deletion-url", help="default $ADIEU_DELETION_URL")
    parser.add_argument("--survey-url", help="default $ADIEU_SURVEY_URL")
    parser.add_argument("--token", help="operator token; default $ADIEU_<SERVICE>_ADMIN_TOKEN")
    parser.add_argument("--bootstrap", help="Kafka bootstrap; default $ADIEU_KAFKA_BOOTSTRAP")
    parser.add_argument("--topic-prefix", help="default $ADIEU_TOPIC_PREFIX")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adieu", description="Adieu operators' tool.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[..., Any], text: str) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=text, description=text)
        _common(child)
        child.set_defaults(run=run)
        return child

    command("status", _status, "one deletion request").add_argument("request_id")
    listing = command("requests", _requests, "deletion requests, e.g. --status overdue")
    listing.add_argument("--status", help="a request status, or 'overdue'")
    dead = sub.add_parser("dlq", help="dead-letter topics").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for action, run, text in (
        ("list", _dlq_list, "the dead letters of TOPIC"),
        ("replay", _dlq_replay, "re-send TOPIC's dead letters not yet replayed"),
    ):
        child = dead.add_parser(action, help=text, description=text)
        _common(child)
        child.add_argument("topic", metavar="TOPIC", help="e.g. deletion.events")
        child.set_defaults(run=run)
    report = command("survey-report", _survey_report, "the exit survey summary")
    report.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
    verify = command("verify-receipt", _verify_receipt, "check a deletion receipt's signature")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument(
        "--public-key",
        help="default: fetched from deletion; write --public-key=KEY (it may start with -)",
    )
    return parser


def _settings(args: argparse.Namespace) -> CliSettings:
    overrides = {
        "deletion_url": args.deletion_url,
        "survey_url": args.survey_url,
        "admin_token": args.token,
        "kafka_bootstrap": args.bootstrap,
        "topic_prefix": args.topic_prefix,
    }
    given: dict[str, Any] = {key: value for key, value in overrides.items() if value}
    if args.token:  # a token on the command line beats every configured one
        given |= {"deletion_admin_token": args.token, "survey_admin_token": args.token}
    # Keyword arguments take precedence over the environment in pydantic-settings.
    return CliSettings(**given)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args, _settings(args)))
    except CliError as exc:
        print(f"adieu: {exc.message}", file=sys.stderr)
        return int(exc.code)


if __name__ == "__main__":
    sys.exit(main())
