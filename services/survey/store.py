"""The survey's SQLite tables and queries.

Responses and the one-per-request guard live in separate tables with random keys and no
rowid, so nothing in the file ties an answer to a request, nor orders answers in time.
``awaited`` lists the deletion requests waiting for their questionnaire (learnt from
deletion's events), by digests of the request and owner ids, so only the owner may answer.
``redactions`` holds auth's keyed digests of a waiting request's identifier words (never the
identifiers), until the answer is stored, the request ends, the account is purged or it is
two days old.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, datetime
from typing import Literal

from services.survey.domain import StoredResponse
from shared.db import Database, Transaction
from shared.identifier_digests import DigestSet

__all__ = [
    "SCHEMA",
    "AlreadySubmitted",
    "Claim",
    "await_answer",
    "claim",
    "close_request",
    "digests_for",
    "drop_digests",
    "forget_owner",
    "insert_response",
    "keep_digests",
    "prune_digests",
    "record_submission",
    "responses_between",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    response_id TEXT PRIMARY KEY,
    questionnaire_version INTEGER NOT NULL,
    submitted_on TEXT NOT NULL,
    reasons TEXT NOT NULL,
    problems TEXT NOT NULL,
    ratings TEXT NOT NULL,
    other_reason TEXT,
    other_problem TEXT,
    comment TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS responses_by_day ON responses (submitted_on);
CREATE TABLE IF NOT EXISTS submissions (
    request_digest TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS awaited (
    request_digest TEXT PRIMARY KEY,
    owner_digest TEXT NOT NULL,
    answered INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS awaited_by_owner ON awaited (owner_digest);
CREATE TABLE IF NOT EXISTS redactions (
    request_digest TEXT PRIMARY KEY,
    owner_digest TEXT NOT NULL,
    received_at TEXT NOT NULL,
    salt TEXT NOT NULL,
    digests TEXT NOT NULL,
    key_check TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS redactions_by_owner ON redactions (owner_digest);
"""

# What a person's answer finds for their request.
Claim = Literal["open", "answered", "unknown"]


class AlreadySubmitted(Exception):
    """This deletion request already has its answer."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def await_answer(tx: Transaction, request_id: str, account_id: str) -> None:
    """Deletion opened ``request_id`` for ``account_id`` and waits for its questionnaire."""
    await tx.execute(
        "INSERT INTO awaited (request_digest, owner_digest) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (_digest(request_id), _digest(account_id)),
    )


async def close_request(tx: Transaction, request_id: str) -> None:
    """The request was cancelled or lapsed: no one may answer it any more."""
    await tx.execute("DELETE FROM awaited WHERE request_digest = ?", (_digest(request_id),))
    await drop_digests(tx, request_id)


async def forget_owner(tx: Transaction, account_id: str) -> None:
    """Erase every request of a purged account."""
    await tx.execute("DELETE FROM awaited WHERE owner_digest = ?", (_digest(account_id),))
    await tx.execute("DELETE FROM redactions WHERE owner_digest = ?", (_digest(account_id),))


async def keep_digests(
    tx: Transaction, request_id: str, account_id: str, digests: DigestSet, now: datetime
) -> None:
    """Keep auth's digests of the request's identifier words until its answer comes."""
    await tx.execute(
        "INSERT INTO redactions (request_digest, owner_digest, received_at, salt, digests,"
        " key_check) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            _digest(request_id),
            _digest(account_id),
            now.isoformat(),
            digests.salt,
            json.dumps(list(digests.digests)),
            digests.check,
        ),
    )


async def digests_for(tx: Transaction, request_id: str) -> DigestSet | None:
    """The digests kept for ``request_id``, if they have come."""
    cursor = await tx.execute(
        "SELECT salt, digests, key_check FROM redactions WHERE request_digest = ?",
        (_digest(request_id),),
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        return None
    return DigestSet(row["salt"], tuple(json.loads(row["digests"])), row["key_check"])


async def drop_digests(tx: Transaction, request_id: str) -> None:
    """The digests have served (or can no longer serve) their request."""
    await tx.execute("DELETE FROM redactions WHERE request_digest = ?", (_digest(request_id),))


async def prune_digests(db: Database, before: datetime) -> int:
    """Drop digests received before ``before`` (their request is long over); return how many."""
    async with db.transaction() as tx:
        cursor = await tx.execute(
            "DELETE FROM redactions WHERE received_at < ?", (before.isoformat(),)
        )
        return cursor.rowcount


async def claim(tx: Transaction, request_id: str, account_id: str) -> Claim:
    """Take ``request_id`` for an answer by ``account_id``.

    "unknown" covers a request that does not exist, is someone else's, or is not waiting for a
    questionnaire (never opened with one, cancelled, lapsed): the caller must not tell them
    apart. "answered" is told to the owner only.
    """
    keys = (_digest(request_id), _digest(account_id))
    cursor = await tx.execute(
        "SELECT answered FROM awaited WHERE request_digest = ? AND owner_digest = ?", keys
    )
    row = await cursor.fetchone()
    await cursor.close()
    if row is None:
        return "unknown"
    if row["answered"]:
        return "answered"
    await tx.execute(
        "UPDATE awaited SET answered = 1 WHERE request_digest = ? AND owner_digest = ?", keys
    )
    return "open"


async def record_submission(tx: Transaction, request_id: str) -> None:
    """Remember that ``request_id`` has answered, by digest only; raise if it already had."""
    digest = _digest(request_id)
    cursor = await tx.execute(
        "INSERT INTO submissions (request_digest) VALUES (?) ON CONFLICT DO NOTHING", (digest,)
    )
    inserted = cursor.rowcount
    await cursor.close()
    if inserted == 0:
        raise AlreadySubmitted


async def insert_response(tx: Transaction, response_id: str, response: StoredResponse) -> None:
    """Store a de-identified response under ``response_id`` (random, so it tells no order)."""
    await tx.execute(
        "INSERT INTO responses (response_id, questionnaire_version, submitted_on, reasons,"
        " problems, ratings, other_reason, other_problem, comment)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            response_id,
            response.questionnaire_version,
            response.submitted_on.isoformat(),
            json.dumps(list(response.reasons)),
            json.dumps(list(response.problems)),
            json.dumps(response.ratings),
            response.other_reason,
            response.other_problem,
            response.comment,
        ),
    )


async def responses_between(db: Database, first: date, last: date) -> list[StoredResponse]:
    """Every stored response submitted from ``first`` to ``last``, both days included.

    Rows of every questionnaire version read the same way: options are kept by id, so an
    answer outlives the retirement of the options it chose.
    """
    rows = await db.fetch_all(
        "SELECT questionnaire_version, submitted_on, reasons, problems, ratings, other_reason,"
        " other_problem, comment FROM responses WHERE submitted_on BETWEEN ? AND ?",
        (first.isoformat(), last.isoformat()),
    )
    return [_response(row) for row in rows]


def _response(row: sqlite3.Row) -> StoredResponse:
    return StoredResponse(
        questionnaire_version=row["questionnaire_version"],
        submitted_on=date.fromisoformat(row["submitted_on"]),
        reasons=tuple(json.loads(row["reasons"])),
        problems=tuple(json.loads(row["problems"])),
        ratings=dict(json.loads(row["ratings"])),
        other_reason=row["other_reason"],
        other_problem=row["other_problem"],
        comment=row["comment"],
    )
