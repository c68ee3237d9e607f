"""``python -m services.survey`` runs the survey service."""

from services.survey.app import bootstrap
from services.survey.config import Settings
from shared.logs import configure_logging
from shared.runtime import serve

if __name__ == "__main__":
    settings = Settings()
    # Before bootstrap, so anything it logs is already in the chosen format.
    configure_logging("survey", settings.platform.log_format, settings.platform.log_level)
    serve("survey", bootstrap(settings).api, settings)
