"""``python -m services.deletion`` runs the deletion service."""

from services.deletion.app import bootstrap
from services.deletion.config import Settings
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    serve("deletion", bootstrap(settings).api, settings)
