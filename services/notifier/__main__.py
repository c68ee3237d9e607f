"""``python -m services.notifier`` runs the notifier service."""

from services.notifier.app import bootstrap
from services.notifier.config import Settings
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    serve("notifier", bootstrap(settings).api, settings)
