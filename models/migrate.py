"""Apply Alembic migrations programmatically (``planner serve`` and the tests do)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from models.db import hold_startup_lock

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate in one transaction, under the start-up lock: processes started together wait
    for the first one's migration and then find the database at ``revision``."""
    config = alembic_config()
    with engine.begin() as connection:
        hold_startup_lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
