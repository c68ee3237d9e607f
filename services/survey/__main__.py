"""``python -m services.survey`` runs the survey service."""

from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    serve("survey", bootstrap(settings).api, settings)
