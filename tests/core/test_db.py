import threading

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Role, User
from app import create_app
from core.db import db, normalise_database_url
from tests.conftest import config_for


@pytest.fixture
def sqlite_app(tmp_path, migrated):
    """A migrated SQLite file of its own, whatever TEST_DATABASE_URL says."""
    from core.schema import upgrade_schema

    app = create_app(config_for("sqlite:///" + str(tmp_path / "own.sqlite3")))
    with app.app_context():
        upgrade_schema()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sqlite_connections_are_configured_for_safety(sqlite_app):
    with sqlite_app.app_context():
        pragma = lambda name: db.session.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") >= 5000


def test_sqlite_transactions_begin_immediate(sqlite_app):
    statements = []
    with sqlite_app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *a: statements.append(statement),
        )
        db.session.execute(select(User)).all()
        db.session.rollback()
    assert statements[0] == "BEGIN IMMEDIATE"


def test_concurrent_read_modify_write_on_sqlite_loses_nothing(sqlite_app, make_user):
    with sqlite_app.app_context():
        from accounts.services import create_user

        user = create_user(
            None, username="counter", full_name="0", role=Role.FACILITATOR, password="x" * 10
        )
        db.session.commit()
        user_id = user.id
    errors = []

    def bump(times):
        with sqlite_app.app_context():
            for _ in range(times):
                try:
                    u = db.session.get(User, user_id)
                    u.full_name = str(int(u.full_name) + 1)
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 - counted, then asserted
                    errors.append(exc)
                    db.session.rollback()

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sqlite_app.app_context():
        assert errors == []
        assert db.session.get(User, user_id).full_name == "100"


def test_stale_write_is_detected_not_lost(app, make_user):
    target = make_user(Role.FACILITATOR, full_name="An")
    with app.app_context():
        user = db.session.get(User, target.id)  # a form shows version 1 ...
        db.session.expunge(user)
        db.session.rollback()
        with app.app_context():  # ... another request saves meanwhile ...
            db.session.get(User, target.id).full_name = "Bình"
            db.session.commit()
        db.session.add(user)  # ... and the first one saves what it saw
        user.full_name = "Chi"
        with pytest.raises(StaleDataError):
            db.session.commit()


def test_plain_postgresql_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def test_postgresql_connections_never_compile_plans(app):
    """JIT compiling made the national scorecard 1.4 s instead of 0.26 s (RESULTS.md): every
    connection of the pool, also one made after the first is returned, runs without it."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL setting")
        with db.engine.connect() as first, db.engine.connect() as second:
            assert first.exec_driver_sql("SHOW jit").scalar() == "off"
            assert second.exec_driver_sql("SHOW jit").scalar() == "off"
            second.rollback()
        db.session.rollback()  # a rolled-back transaction does not undo it
        assert db.session.execute(text("SHOW jit")).scalar() == "off"
