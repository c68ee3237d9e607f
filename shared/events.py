"""The one event envelope and every event Adieu's services exchange.

Events are frozen pydantic models parsed through one discriminated union on ``event_type``.
General events carry opaque ids only. The notification commands, which must tell the notifier
an address or a code, carry those fields sealed to the account's own key (version 2, see
:mod:`shared.shredding`); their names end in ``_enc``. Version 1 of those commands carried them
under one platform key; they still decode, and only the notifier can open them, with the legacy
key, if it is configured.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Container
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "EVENT_TYPES",
    "AccountPurged",
    "AccountRegistered",
    "Channel",
    "CodeDeliveryRequested",
    "CodePurpose",
    "CodeVerified",
    "ContactDetailsChanged",
    "DeletionCancelled",
    "DeletionCompleted",
    "DeletionExpired",
    "DeletionRequested",
    "Event",
    "EventDecodeError",
    "ExportPartDelivered",
    "ExportRequested",
    "HoldReason",
    "HoldsQueried",
    "HoldsReported",
    "IdentifierDigestsIssued",
    "Language",
    "NoticeKind",
    "NoticeRequested",
    "NotificationDelayed",
    "NotificationDelivered",
    "NotificationFailed",
    "NotificationKeyIssued",
    "PurgeCompleted",
    "ReportedHold",
    "RevocationReason",
    "SessionsRevoked",
    "SurveySubmitted",
    "decode_event",
    "decode_wanted",
    "encode_event",
    "new_event",
]

Channel = Literal["email", "sms"]
Language = Literal["nb", "en"]
CodePurpose = Literal["deletion", "password_reset", "contact_change", "address_proof"]
NoticeKind = Literal[
    "deletion_scheduled",
    "deletion_completed",
    "address_changed",
    "deletion_held",
    "deletion_resumed",
    "export_ready",
]
# Why a participant holds a deletion; a participant may also name a reason of its own.
HoldReason = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
ExportPartError = Literal["too_large", "failed"]
RevocationReason = Literal[
    "logout", "password_changed", "password_reset", "deletion_confirmed", "purged"
]


class _Frozen(BaseModel):
    # Consumers ignore fields they do not know, so producers can add fields first.
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Envelope(_Frozen):
    # Random by design (a redelivery is recognised by it); a test that needs a known id passes it.
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: int = 1
    occurred_at: datetime
    correlation_id: str
    account_id: str


# --- payloads -------------------------------------------------------------------------------


class AccountRegisteredPayload(_Frozen):
    language: Language


class ContactDetailsChangedPayload(_Frozen):
    """The addresses the notifier may write to, sealed to the account's notification key."""

    language: Language
    email_enc: str | None = None
    phone_enc: str | None = None
    # IANA zone name (e.g. "Europe/Oslo") for dates in messages; None means UTC.
    time_zone: str | None = None


_Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class IdentifierDigestsIssuedPayload(_Frozen):
    """Keyed digests of the words of the account's identifiers, for the survey to remove them
    from the request's free text without knowing them (:mod:`shared.identifier_digests`)."""

    request_id: str
    salt: _Hex32
    digests: tuple[_Hex32, ...] = Field(max_length=64)
    check: _Hex32


class SessionsRevokedPayload(_Frozen):
    """Tokens of this account issued before ``revoked_before`` are no longer valid.

    With ``session_id`` set, only that one session (a logout) is revoked.
    """

    revoked_before: datetime
    reason: RevocationReason
    session_id: str | None = None


class DeletionRequestedPayload(_Frozen):
    request_id: str
    channel: Channel
    survey_required: bool


class SurveySubmittedPayload(_Frozen):
    request_id: str


class CodeVerifiedPayload(_Frozen):
    request_id: str
    purge_deadline: datetime


class AccountPurgedPayload(_Frozen):
    request_id: str
    participants: tuple[str, ...]


class PurgeCompletedPayload(_Frozen):
    request_id: str
    participant: str


class DeletionCompletedPayload(_Frozen):
    request_id: str


class DeletionCancelledPayload(_Frozen):
    """The owner withdrew the request before it was scheduled; the account stays."""

    request_id: str


class DeletionExpiredPayload(_Frozen):
    """An abandoned request lapsed; the account stays as it was."""

    request_id: str


class HoldsQueriedPayload(_Frozen):
    """Deletion asks the named participants whether anything must hold the account's deletion."""

    request_id: str
    participants: tuple[str, ...]


class ReportedHold(_Frozen):
    """One reason a participant holds the deletion: machine-readable, with texts to show.

    Known reasons: ``open_order``, ``open_dispute``, ``balance``, ``legal_hold``; others are
    the participant's own. ``until`` (optional) is when the hold ends by itself.
    """

    hold_id: str = Field(min_length=1, max_length=64)
    reason: HoldReason
    text_nb: str = Field(min_length=1, max_length=300)
    text_en: str = Field(min_length=1, max_length=300)
    until: datetime | None = None


class HoldsReportedPayload(_Frozen):
    """All of a participant's current holds on the account (empty: none, every hold lifted).

    Sent in answer to HoldsQueried (``request_id`` set) or whenever the holds change.
    """

    participant: str
    holds: tuple[ReportedHold, ...] = Field(default=(), max_length=20)
    request_id: str | None = None


class ExportRequestedPayload(_Frozen):
    """Deletion asks the named participants for the account's data, sealed to ``public_key``."""

    export_id: str
    participants: tuple[str, ...]
    public_key: str
    max_part_bytes: int


class ExportPartDeliveredPayload(_Frozen):
    """A participant's part of an export: the JSON sealed to the account's key, or an error."""

    export_id: str
    participant: str
    part_enc: str | None = None
    size: int = Field(ge=0)
    error: ExportPartError | None = None


class CodeDeliveryRequestedPayload(_Frozen):
    notification_id: str
    purpose: CodePurpose
    channel: Channel
    code_enc: str
    valid_minutes: int
    # Set only when the code goes to an address the notifier does not know yet (a new e-mail).
    destination_enc: str | None = None


class NoticeRequestedPayload(_Frozen):
    notification_id: str
    notice: NoticeKind
    deadline: datetime | None = None


class NotificationDeliveredPayload(_Frozen):
    notification_id: str
    channel: Channel


class NotificationKeyIssuedPayload(_Frozen):
    """The public half of the account's notification key (X25519, URL-safe base64).

    Harmless on a retained topic: it seals, it cannot open.
    """

    public_key: str = Field(min_length=43, max_length=44)


class NotificationDelayedPayload(_Frozen):
    notification_id: str
    reason: str


class NotificationFailedPayload(_Frozen):
    notification_id: str
    reason: str


# --- events ---------------------------------------------------------------------------------


class AccountRegistered(_Envelope):
    event_type: Literal["AccountRegistered"] = "AccountRegistered"
    payload: AccountRegisteredPayload


class ContactDetailsChanged(_Envelope):
    schema_version: int = 2
    event_type: Literal["ContactDetailsChanged"] = "ContactDetailsChanged"
    payload: ContactDetailsChangedPayload


class SessionsRevoked(_Envelope):
    event_type: Literal["SessionsRevoked"] = "SessionsRevoked"
    payload: SessionsRevokedPayload


class IdentifierDigestsIssued(_Envelope):
    event_type: Literal["IdentifierDigestsIssued"] = "IdentifierDigestsIssued"
    payload: IdentifierDigestsIssuedPayload


class DeletionExpired(_Envelope):
    event_type: Literal["DeletionExpired"] = "DeletionExpired"
    payload: DeletionExpiredPayload


class DeletionCancelled(_Envelope):
    event_type: Literal["DeletionCancelled"] = "DeletionCancelled"
    payload: DeletionCancelledPayload


class DeletionRequested(_Envelope):
    event_type: Literal["DeletionRequested"] = "DeletionRequested"
    payload: DeletionRequestedPayload


class SurveySubmitted(_Envelope):
    event_type: Literal["SurveySubmitted"] = "SurveySubmitted"
    payload: SurveySubmittedPayload


class CodeVerified(_Envelope):
    event_type: Literal["CodeVerified"] = "CodeVerified"
    payload: CodeVerifiedPayload


class AccountPurged(_Envelope):
    event_type: Literal["AccountPurged"] = "AccountPurged"
    payload: AccountPurgedPayload


class PurgeCompleted(_Envelope):
    event_type: Literal["PurgeCompleted"] = "PurgeCompleted"
    payload: PurgeCompletedPayload


class DeletionCompleted(_Envelope):
    event_type: Literal["DeletionCompleted"] = "DeletionCompleted"
    payload: DeletionCompletedPayload


class HoldsQueried(_Envelope):
    event_type: Literal["HoldsQueried"] = "HoldsQueried"
    payload: HoldsQueriedPayload


class HoldsReported(_Envelope):
    event_type: Literal["HoldsReported"] = "HoldsReported"
    payload: HoldsReportedPayload


class ExportRequested(_Envelope):
    event_type: Literal["ExportRequested"] = "ExportRequested"
    payload: ExportRequestedPayload


class ExportPartDelivered(_Envelope):
    event_type: Literal["ExportPartDelivered"] = "ExportPartDelivered"
    payload: ExportPartDeliveredPayload


class CodeDeliveryRequested(_Envelope):
    schema_version: int = 2
    event_type: Literal["CodeDeliveryRequested"] = "CodeDeliveryRequested"
    payload: CodeDeliveryRequestedPayload


class NoticeRequested(_Envelope):
    event_type: Literal["NoticeRequested"] = "NoticeRequested"
    payload: NoticeRequestedPayload


class NotificationDelivered(_Envelope):
    event_type: Literal["NotificationDelivered"] = "NotificationDelivered"
    payload: NotificationDeliveredPayload


class NotificationKeyIssued(_Envelope):
    event_type: Literal["NotificationKeyIssued"] = "NotificationKeyIssued"
    payload: NotificationKeyIssuedPayload


class NotificationDelayed(_Envelope):
    """A delivery attempt failed for a passing reason; the notifier keeps trying."""

    event_type: Literal["NotificationDelayed"] = "NotificationDelayed"
    payload: NotificationDelayedPayload


class NotificationFailed(_Envelope):
    event_type: Literal["NotificationFailed"] = "NotificationFailed"
    payload: NotificationFailedPayload


Event = Annotated[
    AccountRegistered
    | ContactDetailsChanged
    | SessionsRevoked
    | IdentifierDigestsIssued
    | DeletionExpired
    | DeletionCancelled
    | DeletionRequested
    | SurveySubmitted
    | CodeVerified
    | AccountPurged
    | PurgeCompleted
    | DeletionCompleted
    | HoldsQueried
    | HoldsReported
    | ExportRequested
    | ExportPartDelivered
    | CodeDeliveryRequested
    | NoticeRequested
    | NotificationDelivered
    | NotificationKeyIssued
    | NotificationDelayed
    | NotificationFailed,
    Field(discriminator="event_type"),
]

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
# Every event type the union knows.
EVENT_TYPES: frozenset[str] = frozenset(
    member.model_fields["event_type"].default for member in get_args(get_args(Event)[0])
)

# The newest schema version of an event type without an entry in CURRENT_VERSIONS.
CURRENT_VERSION = 1
# Event types past version 1; consumers accept the current version and the one before.
CURRENT_VERSIONS: dict[str, int] = {"ContactDetailsChanged": 2, "CodeDeliveryRequested": 2}


def _same_fields(loaded: dict[str, Any]) -> dict[str, Any]:
    # v1 -> v2 of the notification commands: the fields keep their names and shape; only what
    # opens them changed (the platform key then, the account's key now). The notifier tells the
    # two apart by the ciphertext's own prefix (shared.shredding.SEALED_PREFIX).
    return loaded


# (event_type, from_version) -> function turning that version's raw dict into the next one.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("ContactDetailsChanged", 1): _same_fields,
    ("CodeDeliveryRequested", 1): _same_fields,
}


class EventDecodeError(Exception):
    """A record is not a valid Adieu event; ``reason`` says why, without echoing its content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_event(
    event_class: type[Any],
    *,
    account_id: str,
    correlation_id: str,
    occurred_at: datetime,
    **payload: Any,
) -> Event:
    """Build an event of ``event_class`` with a fresh id and the given payload fields."""
    payload_class = event_class.model_fields["payload"].annotation
    event: Event = event_class(
        account_id=account_id,
        correlation_id=correlation_id,
        occurred_at=occurred_at,
        payload=payload_class(**payload),
    )
    return event


def encode_event(event: Event) -> bytes:
    """Serialise an event for the wire (UTF-8 JSON)."""
    return event.model_dump_json().encode()


def decode_event(raw: bytes | None) -> Event:
    """Parse wire bytes into an event, upcasting older schema versions first."""
    return _validate(_load(raw))


def decode_wanted(raw: bytes | None, wanted: Container[str]) -> Event | None:
    """Like :func:`decode_event`, but None for a known event type not in ``wanted``.

    A consumer skips such a record without building the model (the consumer that handles the
    type validates it, and dead-letters it if it is invalid); a record that is not JSON, or of
    an unknown type, still raises :class:`EventDecodeError`.
    """
    loaded = _load(raw)
    kind = loaded.get("event_type")
    if kind in EVENT_TYPES and kind not in wanted:
        return None
    return _validate(loaded)


def _load(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise EventDecodeError("record has no value")
    try:
        loaded = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise EventDecodeError("record is not JSON") from None
    if not isinstance(loaded, dict):
        raise EventDecodeError("record is not a JSON object")
    return loaded


def _validate(loaded: dict[str, Any]) -> Event:
    version = loaded.get("schema_version", 1)
    current = CURRENT_VERSIONS.get(str(loaded.get("event_type")), CURRENT_VERSION)
    if not isinstance(version, int) or not current - 1 <= version <= current:
        raise EventDecodeError(f"unsupported schema_version {version!r}")
    while version < current:
        upcast = UPCASTERS.get((str(loaded.get("event_type")), version))
        if upcast is not None:
            loaded = upcast(loaded)
        version += 1
        loaded["schema_version"] = version
    try:
        data = _EVENT_ADAPTER.validate_python(loaded)
    except ValidationError as exc:
        raise EventDecodeError(_describe(exc)) from None
    return data


def _describe(exc: ValidationError) -> str:
    """Name the failing fields and rules, never their values (they may be personal)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(item) for item in error["loc"])
        parts.append(f"{location}: {error['type']}")
    return "invalid event: " + "; ".join(parts)
