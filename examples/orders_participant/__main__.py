"""``python -m examples.orders_participant`` runs the example orders service."""

from examples.orders_participant.app import Settings, bootstrap
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    serve("orders", bootstrap(settings).api, settings)
