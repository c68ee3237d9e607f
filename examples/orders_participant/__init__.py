"""A tiny orders service joining the purge with :class:`shared.participant.PurgeParticipant`."""
