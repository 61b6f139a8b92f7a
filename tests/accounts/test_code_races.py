"""R2: one two-factor code sent by several requests at one instant (a double tap on a
slow phone, two tabs). Exactly one signs in; the others hear that the code was just
used, never a 500 (the loser's write of users.version used to raise StaleDataError
outside the write path). The pattern of tests/test_races.py: each request is held after
checking the code until all have, so on PostgreSQL they race for real; on SQLite
(BEGIN IMMEDIATE) they run one after the other and the later ones find the code used.
"""

import re

import pyotp
import pytest
from sqlalchemy import func, select

from accounts import two_factor
from accounts.models import AuthSession, RecoveryCode, Role, User
from app import create_app
from core.audit import AuditEvent
from core.db import db
from tests.accounts.test_two_factor import enrol_through_the_pages, enrolled, password_step
from tests.conftest import Client, config_for
from tests.test_races import at_once, hold_after

JUST_USED = "Mã này vừa được dùng"
SESSIONS = 4


@pytest.fixture
def strict(app, migrated):
    strict = create_app(config_for(migrated, TWO_FACTOR_SKIP=False))
    strict.test_client_class = Client
    yield strict
    with strict.app_context():
        db.session.rollback()
        db.engine.dispose()


def count(app, stmt) -> int:
    with app.app_context():
        return db.session.scalar(stmt)


def logins(app, user_id: int) -> int:
    return count(
        app,
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "login", AuditEvent.object_id == user_id),
    )


def pending_browsers(app, user, n: int) -> list:
    browsers = []
    for _ in range(n):
        client = app.test_client()
        assert password_step(client, user).headers["Location"] == "/login/two-factor"
        browsers.append(client)
    return browsers


def one_signed_in(app, user, browsers, responses, *, sessions=0, logged_in=0) -> None:
    statuses = [r.status_code for r in responses]
    assert statuses.count(302) == 1, statuses
    for response in responses:
        if response.status_code != 302:
            assert response.status_code in (200, 409)
            assert JUST_USED in response.get_data(as_text=True)
    assert [b.get("/").status_code for b in browsers].count(200) == 1
    assert count(app, select(func.count()).select_from(AuthSession)) == sessions + 1
    assert logins(app, user.id) == logged_in + 1


def test_one_app_code_sent_at_once_signs_in_once(strict, make_user, monkeypatch):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    browsers = pending_browsers(strict, user, SESSIONS)
    hold_after(monkeypatch, two_factor, "check_code", SESSIONS)
    code = pyotp.TOTP(secret).now()
    responses = at_once(
        [lambda b=b: b.post("/login/two-factor", data={"code": code}) for b in browsers]
    )
    one_signed_in(strict, user, browsers, responses)
    # A double tap is not a guess: nothing counts against the user.
    failed = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_failed")
    assert count(strict, failed) == 0


def test_one_recovery_code_sent_at_once_signs_in_once(strict, make_user, monkeypatch):
    user = make_user(Role.ADMIN)
    _secret, codes = enrol_through_the_pages(strict.test_client(), user)
    before = {
        "sessions": count(strict, select(func.count()).select_from(AuthSession)),
        "logged_in": logins(strict, user.id),
    }
    browsers = pending_browsers(strict, user, SESSIONS)
    hold_after(monkeypatch, two_factor, "check_code", SESSIONS)
    responses = at_once(
        [lambda b=b: b.post("/login/two-factor", data={"code": codes[0]}) for b in browsers]
    )
    one_signed_in(strict, user, browsers, responses, **before)
    used = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
    assert count(strict, used) == 1


def test_a_recovery_code_used_before_says_so_and_the_count_is_shown(strict, make_user):
    user = make_user(Role.COORDINATOR)
    _secret, codes = enrol_through_the_pages(strict.test_client(), user)
    first = strict.test_client()
    password_step(first, user)
    response = first.post("/login/two-factor", data={"code": codes[1]}, follow_redirects=True)
    assert "còn lại 9 mã" in response.get_data(as_text=True)  # the flash survives the login
    second = strict.test_client()
    password_step(second, user)
    again = second.post("/login/two-factor", data={"code": codes[1]})
    assert again.status_code == 200 and JUST_USED in again.get_data(as_text=True)
    assert second.get("/").status_code == 302


def test_one_enrolment_code_sent_at_once_enrols_once(strict, make_user, monkeypatch):
    user = make_user(Role.COORDINATOR)
    browsers = pending_browsers_for_enrolment(strict, user)
    with strict.app_context():
        secret = db.session.get(User, user.id).totp_secret
    hold_after(monkeypatch, two_factor, "check_code", 2)
    code = pyotp.TOTP(secret).now()
    responses = at_once(
        [lambda b=b: b.post("/login/two-factor/setup", data={"code": code}) for b in browsers]
    )
    assert sorted(r.status_code for r in responses) in ([200, 200], [200, 302], [200, 409])
    shown = [r for r in responses if r.status_code == 200 and "<code>" in r.get_data(as_text=True)]
    assert len(shown) == 1  # one browser got the recovery codes
    assert count(strict, select(func.count()).select_from(RecoveryCode)) == 10
    assert logins(strict, user.id) == 1


def pending_browsers_for_enrolment(app, user) -> list:
    browsers = []
    for _ in range(2):
        client = app.test_client()
        assert password_step(client, user).headers["Location"] == "/login/two-factor/setup"
        assert client.get("/login/two-factor/setup").status_code == 200
        browsers.append(client)
    return browsers


def test_new_recovery_codes_asked_twice_at_once_are_made_once(strict, make_user, monkeypatch):
    user = make_user(Role.FACILITATOR)  # signs in by password until two-factor is on
    browsers = [strict.test_client(), strict.test_client()]
    for client in browsers:
        assert password_step(client, user).headers["Location"] == "/"
    secret = enrolled(strict, user)
    hold_after(monkeypatch, two_factor, "check_code", 2)
    code = pyotp.TOTP(secret).now()
    responses = at_once(
        [
            lambda b=b: b.post("/account/two-factor/recovery-codes", data={"codes-code": code})
            for b in browsers
        ]
    )
    made = [r for r in responses if r.status_code == 200]
    assert len(made) == 1 and sorted(r.status_code for r in responses) == [200, 302]
    codes = re.findall(r"<code>([0-9a-f-]{19})</code>", made[0].get_data(as_text=True))
    assert len(codes) == 10
    assert count(strict, select(func.count()).select_from(RecoveryCode)) == 10


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.MEMBER])
def test_one_login_sent_twice_at_once_opens_two_sessions(app, make_user, monkeypatch, role):
    """A double tap on "Log in": both requests checked the password; both get in."""
    from accounts import services

    user = make_user(role)
    hold_after(monkeypatch, services, "verify_password", 2)
    browsers = [app.test_client(), app.test_client()]
    url, data = (
        ("/login/member", {"code": user.username, "pin": user.password})
        if role == Role.MEMBER
        else ("/login", {"username": user.username, "password": user.password})
    )
    responses = at_once([lambda b=b: b.post(url, data=data) for b in browsers])
    assert [r.status_code for r in responses] == [302, 302]
    assert [b.get("/").status_code for b in browsers] == [200, 200]
    assert count(app, select(func.count()).select_from(AuthSession)) == 2
