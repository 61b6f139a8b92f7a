"""Logging in hashes the password (argon2, a good part of a second in production) while
holding no database lock: on SQLite every transaction holds the write lock, and a login
burst kept every other request waiting behind it."""

import sqlite3

import pytest

from accounts import services
from core.db import db


@pytest.fixture
def sqlite_path(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write lock")
        return db.engine.url.database


def watch_hashing(monkeypatch, path, during=None):
    """While the password is checked, can another connection take the write lock at once?"""
    seen, real = [], services.verify_password

    def verify(stored, password):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            if during:
                other.execute(during)
            other.execute("COMMIT")
            seen.append("free")
        except sqlite3.OperationalError:
            seen.append("locked")
        finally:
            other.close()
        return real(stored, password)

    monkeypatch.setattr(services, "verify_password", verify)
    return seen


def test_login_checks_the_password_holding_no_lock(client, make_user, sqlite_path, monkeypatch):
    user = make_user()
    seen = watch_hashing(monkeypatch, sqlite_path)
    wrong = client.post("/login", data={"username": user.username, "password": "wrong" * 3})
    assert wrong.status_code == 200
    right = client.post("/login", data={"username": user.username, "password": user.password})
    assert right.status_code == 302
    assert seen == ["free", "free"]


def test_a_password_changed_during_the_check_does_not_let_the_old_one_in(
    client, make_user, sqlite_path, monkeypatch
):
    user = make_user()
    seen = watch_hashing(
        monkeypatch,
        sqlite_path,
        during="UPDATE users SET password_hash = 'changed'",
    )
    response = client.post("/login", data={"username": user.username, "password": user.password})
    assert seen == ["free"]
    assert response.status_code == 200  # refused: the hash it checked is no longer the user's
    assert client.get("/").status_code == 302
