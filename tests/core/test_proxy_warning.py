"""S11: a TULUC_PROXY_COUNT that does not match the requests is said, once, in the log
and in /healthz: X-Forwarded-For arriving while it is 0 (every client then has the
proxy's address), and requests without it while it is set (they could claim any)."""

import logging

import pytest

from app import create_app
from core import proxy
from core.db import db
from tests.conftest import Client, config_for

XFF = {"X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def make_app(app, migrated):
    made = []

    def make(count: int):
        new = create_app(config_for(migrated, PROXY_COUNT=count))
        new.test_client_class = Client
        made.append(new)
        return new

    yield make
    for each in made:
        with each.app_context():
            db.session.rollback()
            db.engine.dispose()


def warnings_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "core.proxy" and r.levelno >= 30]


def test_forwarded_requests_without_a_trusted_proxy_are_said_once(make_app, caplog):
    app = make_app(0)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    with caplog.at_level(logging.INFO, logger="core.proxy"):
        for _ in range(3):
            client.get("/login", headers=XFF)
    logged = warnings_logged(caplog)
    assert len(logged) == 1 and "TULUC_PROXY_COUNT=0" in logged[0]
    assert "203.0.113.7" not in logged[0]  # no address in the log
    health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "warnings": [proxy.FORWARDED_BUT_NOT_TRUSTED]}


def test_requests_past_the_proxy_are_said_once(make_app, caplog):
    app = make_app(1)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="core.proxy"):
        client.get("/login", headers=XFF)
        assert warnings_logged(caplog) == []
        assert client.get("/healthz").get_json() == {"status": "ok"}  # monitoring: direct
        client.get("/login")
        client.get("/login")
    logged = warnings_logged(caplog)
    assert len(logged) == 1 and "without X-Forwarded-For" in logged[0]
    health = client.get("/healthz").get_json()
    assert health["warnings"] == [proxy.NOT_FORWARDED_BUT_TRUSTED]


@pytest.mark.parametrize(("count", "headers"), [(0, {}), (1, XFF), (2, XFF)])
def test_a_setting_that_matches_the_requests_warns_of_nothing(make_app, caplog, count, headers):
    app = make_app(count)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="core.proxy"):
        client.get("/login", headers=headers)
    assert warnings_logged(caplog) == []
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_the_setting_is_logged_at_start(migrated, caplog):
    with caplog.at_level(logging.INFO, logger="core.proxy"):
        app = create_app(config_for(migrated))
    assert any("TULUC_PROXY_COUNT=0" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db.engine.dispose()
