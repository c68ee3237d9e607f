"""The committed API documents in docs/ are what the code generates today.

Regenerate with ``python -m shared.docs`` after changing a route or an event. The AsyncAPI
document is also validated against the AsyncAPI 3.0.0 JSON schema, vendored under data/ from
asyncapi/spec-json-schemas (schemas/3.0.0-without-$id.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import jsonschema
import pytest

from shared.asyncapi import CHANNELS, asyncapi_document
from shared.docs import documents
from shared.events import Event

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
ASYNCAPI_SCHEMA = Path(__file__).parent / "data" / "asyncapi-3.0.0.json"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return documents()


def test_every_committed_document_is_up_to_date(generated: dict[str, str]) -> None:
    stale = [
        relative
        for relative, text in generated.items()
        if not (DOCS / relative).is_file() or (DOCS / relative).read_text() != text
    ]
    assert stale == [], f"out of date (run `python -m shared.docs`): {stale}"


def test_no_stale_document_is_left_behind(generated: dict[str, str]) -> None:
    committed = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.json")}
    assert committed <= set(generated)


def test_every_event_travels_on_some_topic() -> None:
    declared = {name for channel in CHANNELS for name in channel.events}
    union = get_args(get_args(Event)[0])
    every = {cls.model_fields["event_type"].default for cls in union}
    assert declared == every


def test_each_service_documents_health_readiness_and_metrics(generated: dict[str, str]) -> None:
    for service in ("auth", "deletion", "survey", "notifier"):
        paths = json.loads(generated[f"openapi/{service}.json"])["paths"]
        assert {"/healthz", "/readyz", "/metrics"} <= set(paths), service


def test_the_asyncapi_document_names_every_topic_and_its_dead_letters() -> None:
    document = asyncapi_document()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert "{prefix}notifications" in addresses
    assert "{prefix}notifications.dlq" in addresses
    for channel in document["channels"].values():
        for message in channel["messages"].values():
            ref = message["payload"]["$ref"].rsplit("/", 1)[-1]
            assert ref in document["components"]["schemas"]


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(asyncapi_document())
