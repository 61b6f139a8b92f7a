"""The ground floor of bench/: what every benchmark needs and none of them owns.

Benchmarks (requests, sweep, pages, load, exports, imports, uploads, support, login) and
the national data set (bench.dataset) import from here, never from each other's scripts
(code review d64d4a7 §5.7): a database that must be this machine's, a clean PostgreSQL
schema, the app's configuration for a bench, bulk inserts, a statement log, and whether a
database is already at the migrations' head.
"""

import os
import re
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from core.db import db, normalise_database_url

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
CHUNK = 20_000  # rows per executemany


# Database ------------------------------------------------------------------------------


def check_local(url: str) -> None:
    parsed = make_url(normalise_database_url(url))
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must be a postgresql:// URL")
    socket = parsed.query.get("host", "")
    if (parsed.host or "") not in LOCAL_HOSTS or (socket and not str(socket).startswith("/")):
        raise SystemExit(f"refusing a database that is not on this machine: {parsed.host}")


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema, as tests/conftest.py does."""
    engine = create_engine(normalise_database_url(url), hide_parameters=True)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def bench_config(url: str, instance: str) -> dict:
    engine_options = {"pool_pre_ping": True}
    if url.startswith("postgres"):
        engine_options["connect_args"] = {"options": "-c statement_timeout=60000"}
    return {
        "ENV": "bench",
        "TESTING": True,
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": url,
        "INSTANCE_PATH": instance,
        "SESSION_COOKIE_SECURE": False,
        # Admins and coordinators sign in with a password only: the second factor is a
        # step of logging in, which the benches do not measure (refused in production).
        "TWO_FACTOR_SKIP": True,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "LOG_LEVEL": "WARNING",
        # Cheap hashes: logging in is not what is measured.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
    }


def at_head(url: str) -> bool:
    """The database already holds a data set at the migrations' head (reuse it)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception:
        return False
    finally:
        engine.dispose()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    head = ScriptDirectory(os.path.join(root, "migrations")).get_current_head()
    return current == head


# Statements ----------------------------------------------------------------------------

PARAM = r"(?:\?|%\([^)]*\)s(?:::[A-Z]+)?)"  # SQLite ?, psycopg %(name)s::TYPE
IN_LIST = re.compile(rf"\({PARAM}(?:, {PARAM})*\)")


def shape(sql: str) -> str:
    """A statement with its IN (…) lists folded, so that 3 and 300 ids read the same."""
    return IN_LIST.sub("(…)", sql)


class StatementLog:
    """Every statement the engine sends to a cursor, with its time (executemany: once)."""

    def __init__(self, engine):
        self.statements: list[tuple[str, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info.pop("bench_started", None)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        self.statements.append((" ".join(statement.split()), elapsed))

    def reset(self) -> None:
        self.statements = []


# Data ----------------------------------------------------------------------------------


def execute_many(table, rows: list[dict]) -> None:
    """insert(table) executemany in chunks; table is a model or a plain Table."""
    table = getattr(table, "__table__", table)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def utc(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=UTC)
