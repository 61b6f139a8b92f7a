"""The database handle, the declarative base and the engine settings that keep data safe."""

import sqlite3
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, cast, event, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def sql_now():
    """The moment now, as a bound value of UTC time (for INSERT … SELECT)."""
    return literal(utcnow(), type_=UTCDateTime())


def sql_text(*parts):
    """SQL string concatenation of columns and literals, the same on both databases."""
    out = literal("")
    for part in parts:
        out = out + (cast(part, String) if not isinstance(part, str) else literal(part))
    return out


def end_read() -> None:
    """End a transaction that has only read, before slow work such as argon2.

    On SQLite every transaction holds the write lock from its first statement (BEGIN
    IMMEDIATE, below), so a request that hashes a password inside one keeps every other
    request waiting. Objects read so far are expired and load again, in a new
    transaction, when next used. A transaction with changes waiting is left alone.
    """
    session = db.session
    if not (session.new or session.dirty or session.deleted):
        session.rollback()


def dialect_insert(model):
    """An INSERT that knows ON CONFLICT, for the database in use (SQLite or PostgreSQL)."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def inserted(stmt) -> int:
    """Execute an INSERT and return how many rows it wrote.

    psycopg reports -1 for an INSERT ... SELECT unless asked to keep the count.
    """
    result = db.session.execute(stmt, execution_options={"preserve_rowcount": True})
    return max(result.rowcount, 0)


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# How long an SQLite connection waits for the write lock before "database is locked".
# Every transaction takes that lock up front (BEGIN IMMEDIATE, below), so a request
# waits for the transactions queued before it: with the servers' bounded concurrency
# (4 threads or workers), a few requests of at most a few seconds each, login's argon2
# included. A minute is far beyond that, and a wait never ends in a 500 before the
# server's own request timeout would.
SQLITE_BUSY_TIMEOUT_SECONDS = 60


def _configure_postgresql(engine: Engine) -> None:
    """No JIT compilation. PostgreSQL compiles a plan's expressions to machine code once
    its estimated cost passes jit_above_cost, which the progress pages' aggregates over a
    country do: the national scorecard spent 1.1 s compiling for 0.15 s of work. Plans
    here are short-lived and not reused, so compiling never pays back."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()  # a SET inside a rolled-back transaction is undone


def configure_engine(engine: Engine, busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> None:
    """Make SQLite safe for this data: WAL, FULL sync, foreign keys, waits, BEGIN IMMEDIATE.

    A deferred BEGIN that reads and then writes fails with "database is locked" under
    concurrent writers whatever the busy timeout; BEGIN IMMEDIATE takes the write lock
    up front, so writers queue instead (see RELIABILITY.md). Reads take it too: a GET
    can write (the session's last_seen_at, an audit "view"), and a read that turns into a
    write is exactly the deferred case. The queue is as long as the server's concurrency,
    so the busy timeout must exceed that many transactions (see SQLITE_BUSY_TIMEOUT_SECONDS).
    """
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
