"""The AsyncAPI 3.0 document of every topic and event, generated from the declarations.

Which events travel on which topic is :data:`shared.messaging.CHANNELS`; who sends and receives
them is each service's :class:`~shared.messaging.Messaging` declaration (the same one its
consumer is built from); the message schemas come from :mod:`shared.events` itself. So the
document cannot drift from the code (``tests/unit/ops/test_documents.py`` fails when the
committed copy in ``docs/`` is stale, and compares it with the services' real subscriptions).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel

from shared import events
from shared.messaging import CHANNELS, Channel, Messaging, event_type_of
from shared.topics import DLQ_SUFFIX, Topics

__all__ = ["CHANNELS", "SERVICES", "Channel", "asyncapi_document", "declarations"]

SERVICES = ("auth", "deletion", "survey", "notifier")


def declarations() -> list[Messaging[Any]]:
    """Every service's declaration (``services.<name>.agents.MESSAGING``), imported on demand."""
    found: list[Messaging[Any]] = []
    for service in SERVICES:
        found.append(importlib.import_module(f"services.{service}.agents").MESSAGING)
    return found


class DeadLetterSource(BaseModel):
    """Where the failed record was read."""

    topic: str
    partition: int
    offset: int


class DeadLetter(BaseModel):
    """A record a consumer could not handle, with the reason and where the original lies.

    ``value_b64`` is the original when it is at most 64 KiB; a larger one is only described:
    ``value_head_b64`` (its first 512 bytes), ``value_size`` and ``value_sha256``.
    """

    reason: str
    consumer: str
    source: DeadLetterSource
    event_id: str | None
    failed_at: str
    value_size: int
    value_sha256: str
    value_b64: str | None
    value_head_b64: str | None


def _event_classes() -> dict[str, type[BaseModel]]:
    union = get_args(get_args(events.Event)[0])
    return {cls.model_fields["event_type"].default: cls for cls in union}


def _schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return dict(sorted(schemas.items()))


def _message(name: str, summary: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{name}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "account_id"}}},
    }


def _senders(channel: Channel, services: Sequence[Messaging[Any]]) -> list[str]:
    return [m.service for m in services if channel in m.published()]


def _receivers(channel: Channel, services: Sequence[Messaging[Any]]) -> list[str]:
    return [m.service for m in services if channel in m.subscribed()]


def _channels(
    classes: dict[str, type[BaseModel]], services: Sequence[Messaging[Any]]
) -> dict[str, Any]:
    topics = Topics(prefix="{prefix}")
    prefix = {"prefix": {"default": "adieu.", "description": "ADIEU_TOPIC_PREFIX"}}
    channels: dict[str, Any] = {}
    for channel in CHANNELS:
        address = getattr(topics, channel.attribute)
        channels[channel.attribute] = {
            "address": address,
            "title": channel.attribute.replace("_", " "),
            "description": (
                f"Sent by {', '.join(_senders(channel, services))}; received by "
                f"{', '.join(_receivers(channel, services))}. Keyed by account_id. "
                f"Retention {channel.retention}."
            ),
            "parameters": prefix,
            "messages": {
                name: _message(name, (classes[name].__doc__ or name).strip().splitlines()[0])
                for name in channel.events
            },
        }
        channels[f"{channel.attribute}_dlq"] = {
            "address": address + DLQ_SUFFIX,
            "title": f"{channel.attribute.replace('_', ' ')} dead letters",
            "description": "Records a consumer could not handle; `adieu dlq replay` re-sends.",
            "parameters": prefix,
            "messages": {"DeadLetter": _message("DeadLetter", "A record that failed")},
        }
    return channels


def _operation(action: str, service: str, channel: Channel, names: list[str]) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel.attribute}"},
        "summary": f"{service} {action}s {', '.join(names)} on {channel.attribute}",
        "messages": [{"$ref": f"#/channels/{channel.attribute}/messages/{n}"} for n in names],
    }


def _operations(services: Sequence[Messaging[Any]]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for channel in CHANNELS:
        for messaging in services:
            handled = [event_type_of(on.event) for on in messaging.handles]
            published = [event_type_of(cls) for cls in messaging.publishes]
            for action, names in (("send", published), ("receive", handled)):
                carried = [name for name in channel.events if name in names]
                if carried:
                    key = f"{messaging.service}_{action}s_{channel.attribute}"
                    operations[key] = _operation(action, messaging.service, channel, carried)
    return operations


def asyncapi_document(services: Sequence[Messaging[Any]] | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a plain dict (write it with ``json.dumps``).

    ``services``: the declarations to describe; by default every service's (:func:`declarations`).
    """
    services = declarations() if services is None else services
    classes = _event_classes()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Adieu events",
            "version": str(events.CURRENT_VERSION),
            "description": (
                "Every event Adieu's services exchange over Kafka. Each record's value is one "
                "JSON envelope (event_id, event_type, schema_version, occurred_at, "
                "correlation_id, account_id, payload); its key is the account_id."
            ),
        },
        "defaultContentType": "application/json",
        "channels": _channels(classes, services),
        "operations": _operations(services),
        "components": {"schemas": _schemas([*classes.values(), DeadLetter])},
    }
