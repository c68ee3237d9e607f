"""The AsyncAPI 3.0 document of every topic and event, generated from the pydantic models.

Which events travel on which topic, and who sends and receives them, is stated once here
(:data:`CHANNELS`); the message schemas come from :mod:`shared.events` itself, so the document
cannot drift from the code (``tests/unit/ops/test_documents.py`` fails when the committed copy
in ``docs/`` is stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel

from shared import events
from shared.topics import DLQ_SUFFIX, Topics

__all__ = ["CHANNELS", "Channel", "asyncapi_document"]


@dataclass(frozen=True)
class Channel:
    """One topic: its attribute on :class:`Topics`, its events, senders and receivers."""

    attribute: str
    events: tuple[str, ...]
    senders: tuple[str, ...]
    receivers: tuple[str, ...]
    retention: str = "30 days"


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "auth_events",
        ("AccountRegistered", "SessionsRevoked"),
        ("auth",),
        ("deletion", "survey", "notifier"),
    ),
    Channel(
        "deletion_events",
        (
            "DeletionRequested",
            "CodeVerified",
            "AccountPurged",
            "DeletionCompleted",
            "DeletionExpired",
            "HoldsQueried",
            "ExportRequested",
        ),
        ("deletion",),
        ("auth", "survey", "notifier"),
    ),
    Channel("survey_events", ("SurveySubmitted",), ("survey",), ("deletion",)),
    Channel(
        "purge_completions",
        ("PurgeCompleted",),
        ("auth", "survey", "notifier"),
        ("deletion",),
    ),
    Channel(
        "participant_answers",
        ("HoldsReported", "ExportPartDelivered"),
        ("auth", "survey", "notifier"),
        ("deletion",),
        retention="7 days",
    ),
    Channel(
        "notifications",
        ("ContactDetailsChanged", "CodeDeliveryRequested", "NoticeRequested"),
        ("auth", "deletion"),
        ("notifier",),
        retention="7 days",
    ),
    Channel(
        "notifier_events",
        ("NotificationDelivered", "NotificationFailed"),
        ("notifier",),
        ("deletion",),
    ),
)


class DeadLetterSource(BaseModel):
    """Where the failed record was read."""

    topic: str
    partition: int
    offset: int


class DeadLetter(BaseModel):
    """A record a consumer could not handle, with the reason; ``value_b64`` is the original."""

    reason: str
    consumer: str
    source: DeadLetterSource
    event_id: str | None
    failed_at: str
    value_b64: str


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


def _channels(classes: dict[str, type[BaseModel]]) -> dict[str, Any]:
    topics = Topics(prefix="{prefix}")
    prefix = {"prefix": {"default": "adieu.", "description": "ADIEU_TOPIC_PREFIX"}}
    channels: dict[str, Any] = {}
    for channel in CHANNELS:
        address = getattr(topics, channel.attribute)
        channels[channel.attribute] = {
            "address": address,
            "title": channel.attribute.replace("_", " "),
            "description": (
                f"Sent by {', '.join(channel.senders)}; received by "
                f"{', '.join(channel.receivers)}. Keyed by account_id. "
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


def _operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for channel in CHANNELS:
        for action, services in (("send", channel.senders), ("receive", channel.receivers)):
            for service in services:
                operations[f"{service}_{action}s_{channel.attribute}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel.attribute}"},
                    "summary": f"{service} {action}s on {channel.attribute}",
                }
    return operations


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a plain dict (write it with ``json.dumps``)."""
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
        "channels": _channels(classes),
        "operations": _operations(),
        "components": {"schemas": _schemas([*classes.values(), DeadLetter])},
    }
