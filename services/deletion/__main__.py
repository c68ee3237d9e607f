"""``python -m services.deletion`` runs the deletion service."""

from services.deletion.app import bootstrap
from services.deletion.config import Settings
from shared.logs import configure_logging
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    # Before bootstrap, so anything it logs is already in the chosen format.
    configure_logging("deletion", settings.platform.log_format, settings.platform.log_level)
    serve("deletion", bootstrap(settings).api, settings)
