"""``python -m services.auth`` runs the auth service."""

from services.auth.app import bootstrap
from services.auth.config import Settings
from shared.logs import configure_logging
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    # Before bootstrap, so anything it logs is already in the chosen format.
    configure_logging("auth", settings.platform.log_format, settings.platform.log_level)
    serve("auth", bootstrap(settings).api, settings)
