"""``python -m services.notifier`` runs the notifier service."""

from services.notifier.app import bootstrap
from services.notifier.config import Settings
from shared.logs import configure_logging
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    # Before bootstrap, so anything it logs is already in the chosen format.
    configure_logging("notifier", settings.platform.log_format, settings.platform.log_level)
    serve("notifier", bootstrap(settings).api, settings)
