"""Deletion's request and response bodies for the person's routes (the wire, kept apart).

No `from __future__ import annotations` here: FastAPI and pydantic read the annotations.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from services.deletion.domain import Progress
from shared.events import Channel

__all__ = [
    "Cancelled",
    "CodeIn",
    "ConsequencesOut",
    "DeletionRequestIn",
    "LostItem",
    "RequestCreated",
    "RequestView",
    "ResendIn",
    "Resent",
    "Scheduled",
    "Ticked",
]


def _ticked(value: bool) -> bool:
    if value is not True:
        raise ValueError("must be true: the box has to be ticked")
    return value


# StrictBool: 1 or "true" are not a ticked box; only JSON true is.
Ticked = Annotated[StrictBool, AfterValidator(_ticked), Field(json_schema_extra={"const": True})]


class LostItem(BaseModel):
    id: str
    text: str


class ConsequencesOut(BaseModel):
    lang: Literal["nb", "en"]
    shop_name: str
    title: str
    intro: str
    lost: list[LostItem]
    linked_services: list[str]
    identifiers: str
    alternative: str
    notification_settings_url: str


class DeletionRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    understood_consequences: Ticked
    accepted_terms: Ticked
    channel: Channel = Field(description="Where the confirmation code is sent")


class RequestCreated(BaseModel):
    request_id: str
    status: str


class RequestView(BaseModel):
    request_id: str
    status: str
    code_delivery_failed: bool
    code_delayed: bool = Field(
        default=False,
        description="The code is late: the notifier's first try failed and it keeps trying",
    )
    expires_at: datetime | None = Field(
        default=None, description="When the request lapses if left unfinished"
    )
    purge_deadline: datetime | None = None
    code_expires_at: datetime | None = Field(
        default=None, description="While a code waits: when it stops being valid"
    )
    code_valid_minutes: int | None = Field(
        default=None, description="Until the code is confirmed: how long a code is valid once sent"
    )
    participants: dict[str, Progress] | None = None
    held: Literal[True] | None = Field(
        default=None, description="Present while a participant's hold pauses the timer"
    )


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel | None = Field(default=None, description="Switch e-mail ↔ SMS")


class Resent(BaseModel):
    channel: Channel


class Scheduled(BaseModel):
    status: Literal["scheduled"] = "scheduled"
    purge_deadline: datetime


class Cancelled(BaseModel):
    status: Literal["cancelled"] = "cancelled"
