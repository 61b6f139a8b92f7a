"""The schema comes only from Alembic migrations: check it, or bring it to head."""

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text

from core.db import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def schema_revisions() -> tuple[set[str], set[str]]:
    """The revisions the database is at, and the head revisions of the code."""
    script = ScriptDirectory.from_config(alembic_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def check_schema_current(app) -> None:
    """Stop start-up with instructions when the database is empty or behind the code."""
    with app.app_context():
        current, heads = schema_revisions()
        if current != heads:
            db.engine.dispose()  # the process stops: close the pool's connection first
    if current != heads:
        state = ", ".join(sorted(current)) or "empty"
        raise SystemExit(
            f"The database schema is not up to date (database: {state}; "
            f"code: {', '.join(sorted(heads))}).\n"
            "Run `flask db upgrade` (with the same DATABASE_URL), then start again."
        )


def upgrade_schema() -> None:
    """Apply every pending migration (needs an app context)."""
    upgrade(directory=str(MIGRATIONS))
    refresh_statistics()


def refresh_statistics(today=None) -> dict:
    """Give SQLite's query planner fresh table statistics (`sqlite_stat1`).

    Without them SQLite guesses, and at national size it picks plans that walk whole
    tables (bench/README.md). `analysis_limit` samples each index, so this takes
    milliseconds even on millions of rows. PostgreSQL keeps its own statistics
    (autovacuum), so there it does nothing. A scheduled job, also run after migrations
    and after the demo and bench data loads; `today` is accepted as every job takes it.
    """
    if db.engine.dialect.name != "sqlite":
        return {"skipped": "postgresql keeps its own statistics"}
    db.session.execute(text("PRAGMA analysis_limit = 1000"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"analyzed": True}
