"""S3: wrong second-factor codes are capped per user, from all addresses together.

The reviewer sent 40 wrong codes from 40 addresses and all 40 were checked. Here every
wrong code comes from a new address, so only the per-user cap can stop them.
"""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from accounts import code_lock
from accounts.models import Role, User
from accounts.views import login as login_views
from app import create_app
from core.audit import AuditEvent
from core.db import db, utcnow
from inbox.models import Notification
from tests.accounts.test_two_factor import enrol_through_the_pages, enrolled
from tests.conftest import Client, config_for

CAP = 10
LOCKED = "Nhập sai mã quá nhiều lần"


@pytest.fixture
def strict(app, migrated):
    """Production's rules behind one trusted proxy, so each request names its address."""
    strict = create_app(config_for(migrated, TWO_FACTOR_SKIP=False, PROXY_COUNT=1))
    strict.test_client_class = Client
    yield strict
    with strict.app_context():
        db.session.rollback()
        db.engine.dispose()


class Addresses:
    """A new client address for every attempt: 198.18.x.y."""

    def __init__(self):
        self.n = 0

    def next(self) -> dict:
        self.n += 1
        return {"X-Forwarded-For": f"198.18.{self.n // 250}.{self.n % 250 + 1}"}


def code_step(app, user, code: str, headers: dict):
    """From a fresh browser and address: the password, then one code."""
    client = app.test_client()
    step = client.post(
        "/login", data={"username": user.username, "password": user.password}, headers=headers
    )
    assert step.status_code == 302 and step.headers["Location"] == "/login/two-factor", step
    return client, client.post("/login/two-factor", data={"code": code}, headers=headers)


def wrong_code(secret: str) -> str:
    right = {pyotp.TOTP(secret).at(utcnow(), counter_offset=k) for k in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "112358") if c not in right)


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return db.session.scalar(stmt)


def lock(app, user, secret, addresses) -> None:
    for attempt in range(CAP):
        _client, response = code_step(app, user, wrong_code(secret), addresses.next())
        assert response.status_code == (429 if attempt == CAP - 1 else 200), attempt


def test_wrong_codes_from_many_addresses_lock_the_code_step(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    addresses = Addresses()
    lock(strict, user, secret, addresses)
    # Now even the right code, from a clean address, is not checked.
    client, response = code_step(strict, user, pyotp.TOTP(secret).now(), addresses.next())
    assert response.status_code == 429
    assert LOCKED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # The password step still works: only the code step is locked.
    assert count(strict, AuditEvent, action="two_factor_locked", object_id=user.id) == 1


def test_the_user_is_told_once_and_the_audit_says_so(strict, make_user):
    user = make_user(Role.ADMIN)
    secret = enrolled(strict, user)
    addresses = Addresses()
    lock(strict, user, secret, addresses)
    for _ in range(3):  # more tries while locked: no second message, no longer lock
        code_step(strict, user, wrong_code(secret), addresses.next())
    assert count(strict, Notification, user_id=user.id, kind=code_lock.KIND) == 1
    assert count(strict, AuditEvent, action="two_factor_locked") == 1
    with strict.app_context():
        row = db.session.get(User, user.id)
        until = code_lock.locked_until(row, utcnow(), CAP)
        assert until is not None and until - utcnow() <= timedelta(days=1)
        # The tries while locked did not count as codes checked.
        assert len(code_lock._recent_wrong_codes(row, utcnow(), CAP + 5)) == CAP


def test_a_recovery_code_still_works_and_the_inbox_explains(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret, codes = enrol_through_the_pages(strict.test_client(), user)
    addresses = Addresses()
    lock(strict, user, secret, addresses)
    client, response = code_step(strict, user, codes[0], addresses.next())
    assert response.status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    assert "Mã đăng nhập của bạn đã bị tạm khóa" in page
    assert "hãy đổi mật khẩu ngay" in page


def test_the_lock_ends_after_a_day(strict, make_user, monkeypatch):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    addresses = Addresses()
    lock(strict, user, secret, addresses)
    later = utcnow() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(login_views, "utcnow", lambda: later)
    code = pyotp.TOTP(secret).at(later)
    client, response = code_step(strict, user, code, addresses.next())
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_an_admin_reset_and_a_new_enrolment_start_afresh(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    addresses = Addresses()
    lock(strict, user, secret, addresses)
    with strict.app_context():
        from accounts import two_factor

        two_factor.disable(None, db.session.get(User, user.id))
        db.session.commit()
    secret, _codes = enrol_through_the_pages(strict.test_client(), user)
    client, response = code_step(
        strict, user, pyotp.TOTP(secret).at(utcnow(), counter_offset=1), addresses.next()
    )
    assert response.status_code == 302


def test_one_users_wrong_codes_do_not_lock_another(strict, make_user):
    first, second = make_user(Role.COORDINATOR), make_user(Role.COORDINATOR)
    first_secret, second_secret = enrolled(strict, first), enrolled(strict, second)
    addresses = Addresses()
    lock(strict, first, first_secret, addresses)
    _client, response = code_step(strict, second, pyotp.TOTP(second_secret).now(), addresses.next())
    assert response.status_code == 302


def test_below_the_cap_the_right_code_goes_through(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    addresses = Addresses()
    for _ in range(CAP - 1):
        code_step(strict, user, wrong_code(secret), addresses.next())
    _client, response = code_step(strict, user, pyotp.TOTP(secret).now(), addresses.next())
    assert response.status_code == 302
    assert count(strict, Notification) == 0


def test_the_settings_pages_share_the_cap(strict, make_user):
    """A session taken over cannot guess codes to make new recovery codes."""
    user = make_user(Role.FACILITATOR)  # signs in by password until two-factor is on
    client = strict.test_client()
    assert (
        client.post("/login", data={"username": user.username, "password": user.password}).headers[
            "Location"
        ]
        == "/"
    )
    secret = enrolled(strict, user)
    for _ in range(CAP):
        response = client.post(
            "/account/two-factor/recovery-codes", data={"codes-code": wrong_code(secret)}
        )
        assert response.status_code == 302
    assert count(strict, AuditEvent, action="two_factor_locked", object_id=user.id) == 1
    right = client.post(
        "/account/two-factor/recovery-codes", data={"codes-code": pyotp.TOTP(secret).now()}
    )
    assert right.status_code == 302  # refused: back to the settings, no codes shown
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert LOCKED in page
