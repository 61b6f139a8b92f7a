"""Behind TULUC_PROXY_COUNT proxies the app sees the client's address and scheme."""

import pytest
from sqlalchemy import select

from accounts.models import Role
from app import create_app
from core.audit import AuditEvent
from core.db import db
from tests.conftest import Client, config_for

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


@pytest.fixture
def proxied(app, migrated):
    proxied = create_app(config_for(migrated, PROXY_COUNT=1))
    proxied.test_client_class = Client
    yield proxied
    with proxied.app_context():
        db.session.rollback()
        db.engine.dispose()


def login_ip(app, make_user, headers) -> str:
    user = make_user(Role.FACILITATOR)
    client = app.test_client()
    response = client.post(
        "/login", data={"username": user.username, "password": user.password}, headers=headers
    )
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "login"))


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(app, make_user):
    assert app.config["PROXY_COUNT"] == 0
    assert login_ip(app, make_user, FORWARDED) == "127.0.0.1"
    response = app.test_client().get("/login", headers=FORWARDED)
    assert "Strict-Transport-Security" not in response.headers


def test_behind_one_proxy_the_forwarded_client_address_is_used(proxied, make_user):
    assert login_ip(proxied, make_user, FORWARDED) == "203.0.113.7"


def test_only_the_last_hop_is_trusted(proxied, make_user):
    """A client cannot pick its address by sending its own X-Forwarded-For first."""
    headers = {"X-Forwarded-For": "10.66.66.66, 203.0.113.7"}
    assert login_ip(proxied, make_user, headers) == "203.0.113.7"


def test_hsts_when_the_proxy_says_the_request_was_https(proxied):
    client = proxied.test_client()
    secure = client.get("/login", headers=FORWARDED)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


def test_the_forwarded_host_is_never_trusted(proxied):
    response = proxied.test_client().get(
        "/account/password", headers={"X-Forwarded-Host": "evil.example"}
    )
    assert "evil.example" not in response.headers["Location"]


def test_proxy_count_comes_from_the_environment(monkeypatch, migrated):
    monkeypatch.setenv("TULUC_PROXY_COUNT", "2")
    app = create_app(config_for(migrated))
    assert app.config["PROXY_COUNT"] == 2
    with app.app_context():
        db.engine.dispose()


def test_forms_work_over_https_without_a_referer(proxied, make_user):
    """Our pages send no Referer (Referrer-Policy: no-referrer); https posts must not need one."""
    user = make_user(Role.FACILITATOR)
    client = proxied.test_client()
    response = client.post(
        "/login",
        data={"username": user.username, "password": user.password},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 302
