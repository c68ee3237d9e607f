"""docs/asyncapi.json says what the services' consumers really read, and nothing else.

Each service is bootstrapped as it runs (on throw-away settings; nothing connects); its Faust
agents' topics and its consumer's routing are read back and compared with the document's
receive operations. A consumer that handles an event no topic it reads carries, or a document
that promises a receiver the code does not have, fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.asyncapi import SERVICES, asyncapi_document
from shared.docs import bootstrapped
from shared.faust_app import subscriptions
from shared.messaging import CHANNELS
from shared.topics import Topics

TOPICS = Topics()  # the throw-away settings keep the default prefix
CARRIED = {getattr(TOPICS, channel.attribute): set(channel.events) for channel in CHANNELS}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def _documented(document: dict[str, Any], service: str) -> dict[str, set[str]]:
    received: dict[str, set[str]] = {}
    for key, operation in document["operations"].items():
        if operation["action"] != "receive" or not key.startswith(f"{service}_"):
            continue
        channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        address = channel["address"].replace("{prefix}", TOPICS.prefix)
        received[address] = {ref["$ref"].rsplit("/", 1)[-1] for ref in operation["messages"]}
    return received


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_lists_what_each_consumer_really_reads(
    document: dict[str, Any], service: str
) -> None:
    with bootstrapped(service) as built:
        real = subscriptions(built.runtime.faust_app)
    assert real, f"{service} subscribes to nothing"
    handled = set().union(*real.values())
    reachable = {name for topic in real for name in real[topic] & CARRIED[topic]}
    assert handled == reachable, f"{service} handles events no topic it reads carries"
    really = {topic: set(names & CARRIED[topic]) for topic, names in real.items()}
    assert _documented(document, service) == really


def test_a_receiver_the_code_lacks_would_be_noticed(document: dict[str, Any]) -> None:
    # The drift issue 16 found: the old hand-written document had the notifier on auth.events
    # (it now reads AccountRegistered there, to issue the account's key; it reads no surveys).
    assert TOPICS.survey_events not in _documented(document, "notifier")
    assert TOPICS.auth_events in _documented(document, "deletion")
