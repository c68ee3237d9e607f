"""The notifier's rules: routing, backoff, expiry and what survives a purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain import (
    Contact,
    ContactNotYetKnown,
    ContactWait,
    Delivery,
    PermanentFailure,
    PreviousAddresses,
    RetryPolicy,
    Route,
    ThrottlePolicy,
    address_changed_route,
    code_expired,
    message_key,
    retention_for_confirmation,
    route,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _delivery(**overrides: object) -> Delivery:
    fields: dict[str, object] = {
        "notification_id": "n-1",
        "account_id": "a-1",
        "correlation_id": "c-1",
        "command": "CodeDeliveryRequested",
        "template": "deletion_code",
        "channel": "email",
        "code_enc": "code-ct",
        "destination_enc": None,
        "valid_minutes": 10,
        "deadline": None,
        "requested_at": NOW,
    }
    fields.update(overrides)
    return Delivery(**fields)  # type: ignore[arg-type]


CONTACT = Contact("a-1", "nb", "email-ct", "phone-ct")


def test_codes_go_by_the_requested_channel() -> None:
    assert route(_delivery(channel="email"), CONTACT) == Route("email", "email-ct")
    assert route(_delivery(channel="sms"), CONTACT) == Route("sms", "phone-ct")
    assert route(_delivery(destination_enc="new-ct"), CONTACT) == Route("email", "new-ct")


def test_notices_prefer_email_then_sms() -> None:
    notice = _delivery(channel=None, template="deletion_completed", code_enc=None)
    assert route(notice, CONTACT) == Route("email", "email-ct")
    assert route(notice, Contact("a-1", "en", None, "phone-ct")) == Route("sms", "phone-ct")


@pytest.mark.parametrize(
    ("delivery", "contact"),
    [
        (_delivery(channel="sms"), Contact("a-1", "nb", "email-ct", None)),
        (_delivery(channel=None, template="deletion_completed"), Contact("a-1", "nb", None, None)),
    ],
)
def test_no_address_is_a_permanent_failure(delivery: Delivery, contact: Contact | None) -> None:
    with pytest.raises(PermanentFailure):
        route(delivery, contact)


def test_a_delivery_without_its_contact_waits_for_it() -> None:
    with pytest.raises(ContactNotYetKnown):
        route(_delivery(), None)
    # What the command carries itself needs no contact row.
    assert route(_delivery(destination_enc="new-ct"), None) == Route("email", "new-ct")


def test_the_contact_wait_is_bounded() -> None:
    wait = ContactWait(max_seconds=60, poll_seconds=5)
    asked = datetime(2026, 1, 1, tzinfo=UTC)
    assert not wait.gave_up(asked, asked + timedelta(seconds=59))
    assert wait.gave_up(asked, asked + timedelta(seconds=60))
    assert wait.failure_reason() == "no contact details for the account arrived within 60 s"


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    policy = RetryPolicy(max_attempts=8, base_seconds=2.0, max_seconds=30.0)
    assert [policy.delay(n, 0.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 15.0]
    assert [policy.delay(n, 0.999999) for n in (1, 5)] == pytest.approx([2.0, 30.0], rel=1e-5)
    assert not policy.exhausted(7)
    assert policy.exhausted(8)


def test_code_expires_after_its_validity() -> None:
    delivery = _delivery(valid_minutes=10)
    assert not code_expired(delivery, NOW + timedelta(minutes=9, seconds=59))
    assert code_expired(delivery, NOW + timedelta(minutes=10))
    assert not code_expired(_delivery(valid_minutes=None), NOW + timedelta(days=9))


def test_purge_keeps_language_and_one_address() -> None:
    assert retention_for_confirmation(CONTACT) == Contact("a-1", "nb", "email-ct", None, True)
    phone_only = Contact("a-1", "en", None, "phone-ct")
    assert retention_for_confirmation(phone_only) == Contact("a-1", "en", None, "phone-ct", True)


def test_message_key_is_stable_per_notification() -> None:
    assert message_key("n-1") == message_key("n-1")
    assert message_key("n-1") != message_key("n-2")


def test_the_address_changed_notice_prefers_the_replaced_address() -> None:
    assert address_changed_route(CONTACT, PreviousAddresses("old-email-ct", "old-phone-ct")) == (
        Route("email", "old-email-ct")
    )
    assert address_changed_route(CONTACT, PreviousAddresses(None, "old-phone-ct")) == Route(
        "sms", "old-phone-ct"
    )
    # The change has not arrived yet: the address on file is still the old one.
    assert address_changed_route(CONTACT, PreviousAddresses()) == Route("email", "email-ct")
    assert address_changed_route(None, PreviousAddresses()) is None


def test_throttle_admits_up_to_the_limit_within_the_window() -> None:
    policy = ThrottlePolicy(max_codes=5, window_seconds=600)
    assert policy.admits(4)
    assert not policy.admits(5)
    assert policy.window_start(NOW) == NOW - timedelta(minutes=10)
