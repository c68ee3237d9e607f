"""The survey's part in the event flow: what it handles and what it publishes."""

from __future__ import annotations

from services.survey import handlers
from shared.events import (
    AccountPurged,
    DeletionCancelled,
    DeletionExpired,
    DeletionRequested,
    ExportPartDelivered,
    HoldsReported,
    IdentifierDigestsIssued,
    PurgeCompleted,
    SessionsRevoked,
    SurveySubmitted,
)
from shared.messaging import Messaging, On, participant_answering
from shared.participant_answers import ParticipantAnswers
from shared.revocation import record_revocation

__all__ = ["MESSAGING"]


def _answers(deps: handlers.Deps) -> ParticipantAnswers:
    # Answers are de-identified on arrival: the survey's export part is empty, it never holds.
    return ParticipantAnswers(handlers.PARTICIPANT, deps.topics, deps.clock)


MESSAGING: Messaging[handlers.Deps] = Messaging(
    service="survey",
    handles=(
        # Deletion's requests tell the survey whose questionnaire it may take, and till when.
        On(DeletionRequested, handlers.await_answer),
        On(DeletionCancelled, handlers.close_request),
        On(DeletionExpired, handlers.close_request),
        # Auth's digests of the requester's identifier words, to remove them from comments.
        On(IdentifierDigestsIssued, handlers.keep_digests),
        On(AccountPurged, handlers.purge_account),
        On(SessionsRevoked, record_revocation),
        *participant_answering(_answers),
    ),
    publishes=(SurveySubmitted, PurgeCompleted, HoldsReported, ExportPartDelivered),
)
