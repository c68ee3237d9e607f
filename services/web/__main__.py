"""``python -m services.web`` runs the web edge."""

import uvicorn

from services.web.app import bootstrap
from services.web.config import Settings
from shared.logs import configure_logging

if __name__ == "__main__":
    settings = Settings()
    configure_logging("web", settings.log_format, settings.log_level)
    uvicorn.run(
        bootstrap(settings).api,
        host=settings.http_host,
        port=settings.http_port,
        lifespan="on",
        log_config=None,
        access_log=False,  # URLs are harmless, but query strings could one day carry a login
    )
