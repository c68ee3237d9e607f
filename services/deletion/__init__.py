"""Account deletion: the request, the confirmation code, the grace period and the purge."""
