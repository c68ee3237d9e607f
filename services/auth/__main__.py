"""``python -m services.auth`` runs the auth service."""

from services.auth.app import bootstrap
from services.auth.config import Settings
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    serve("auth", bootstrap(settings).api, settings)
