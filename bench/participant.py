"""``python -m bench.participant``: one more data owner for the purge benchmark.

Like ``examples.orders_participant`` but named by ``BENCH_PARTICIPANT_NAME`` (loyalty,
reviews …), so a benchmark runs several real participant processes from one module. Each has
its own SQLite file with one table of the account's rows, which the purge deletes.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.db import NORMAL, Database, Transaction
from shared.faust_app import create_faust_app
from shared.participant import PurgeParticipant
from shared.runtime import ServiceRuntime, serve
from shared.service import build_api

__all__ = ["SCHEMA", "Settings", "main"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS holdings (
    account_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS holdings_by_account ON holdings (account_id);
"""


class Settings(ServiceSettings):
    """``BENCH_PARTICIPANT_*``: the name, port and data directory."""

    model_config = SettingsConfigDict(env_prefix="BENCH_PARTICIPANT_", extra="ignore")

    name: str = "loyalty"


async def erase(tx: Transaction, account_id: str) -> None:
    """Delete the account's rows (twice is harmless)."""
    await tx.execute("DELETE FROM holdings WHERE account_id = ?", (account_id,))


def main() -> None:
    """Run the participant until SIGTERM."""
    settings = Settings()
    platform = settings.platform
    # NORMAL, as the orders example: deletion asks again if a lost commit lost the answer.
    db = Database(settings.database_path(settings.name), SCHEMA, synchronous=NORMAL)
    app = create_faust_app(settings.name, platform, settings.data_dir)
    PurgeParticipant(settings.name, erase, db=db, topics=platform.topics).attach(app)
    runtime = ServiceRuntime(platform, db, app)
    serve(settings.name, build_api(settings.name, runtime), settings)


if __name__ == "__main__":
    main()
