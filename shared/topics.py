"""Topic names. Every name carries a configurable prefix so test runs never share a topic."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DLQ_SUFFIX", "Topics"]

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    """The platform's topics under one prefix.

    - ``auth_events``: account lifecycle facts from auth (ids only).
    - ``deletion_events``: DeletionRequested, CodeVerified, AccountPurged, DeletionCompleted,
      HoldsQueried, ExportRequested. Every data owner (``participant``) consumes AccountPurged,
      HoldsQueried and ExportRequested from here.
    - ``survey_events``: SurveySubmitted (no answers in it).
    - ``purge_completions``: PurgeCompleted from every participant, collected by deletion.
    - ``participant_answers``: HoldsReported and ExportPartDelivered from every participant,
      collected by deletion. Export parts are sealed to a per-account key that the purge
      destroys, so retained copies become unreadable with it.
    - ``notifications``: commands for the notifier; addresses and codes in them are encrypted.
      Keep its retention short (the compose file sets 7 days): the ciphertexts are of no use
      once the notifier has acted, and destroying the notification key makes them unreadable.
    - ``notifier_events``: NotificationDelivered / NotificationDelayed / NotificationFailed.
    Each has a dead-letter twin, ``<topic>.dlq``.
    """

    prefix: str = "adieu."

    @property
    def auth_events(self) -> str:
        return f"{self.prefix}auth.events"

    @property
    def deletion_events(self) -> str:
        return f"{self.prefix}deletion.events"

    @property
    def survey_events(self) -> str:
        return f"{self.prefix}survey.events"

    @property
    def purge_completions(self) -> str:
        return f"{self.prefix}purge.completions"

    @property
    def participant_answers(self) -> str:
        return f"{self.prefix}participant.answers"

    @property
    def notifications(self) -> str:
        return f"{self.prefix}notifications"

    @property
    def notifier_events(self) -> str:
        return f"{self.prefix}notifier.events"

    def all(self) -> tuple[str, ...]:
        """Every topic, without the dead-letter twins."""
        return (
            self.auth_events,
            self.deletion_events,
            self.survey_events,
            self.purge_completions,
            self.participant_answers,
            self.notifications,
            self.notifier_events,
        )

    @staticmethod
    def dlq(topic: str) -> str:
        """The dead-letter topic for ``topic``."""
        return topic + DLQ_SUFFIX
