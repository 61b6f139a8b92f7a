"""Two-factor sign-in: required for admins and coordinators, optional for facilitators."""

import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from accounts.models import LoginFailure, RecoveryCode, Role, User
from app import create_app
from core.audit import AuditEvent
from core.db import db, utcnow
from tests.conftest import Client, config_for, login, scripts_beyond_the_outbox


@pytest.fixture
def strict(app, migrated):
    """The app as in production: two-factor cannot be skipped."""
    strict = create_app(config_for(migrated, TWO_FACTOR_SKIP=False))
    strict.test_client_class = Client
    yield strict
    with strict.app_context():
        db.session.rollback()
        db.engine.dispose()


def password_step(client, user):
    return client.post("/login", data={"username": user.username, "password": user.password})


def enrol_through_the_pages(client, user) -> tuple[str, list[str]]:
    """Password, then the enrolment page; returns the secret and the recovery codes."""
    response = password_step(client, user)
    assert response.headers["Location"] == "/login/two-factor/setup"
    page = client.get("/login/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and scripts_beyond_the_outbox(page) == []
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = client.post("/login/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(
        r"<code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code>",
        response.get_data(as_text=True),
    )
    return secret, codes


def enrolled(app, user) -> str:
    """Turn two-factor on for user directly; returns the secret."""
    with app.app_context():
        row = db.session.get(User, user.id)
        row.totp_secret = pyotp.random_base32()
        row.totp_confirmed_at = utcnow()
        db.session.commit()
        return row.totp_secret


def next_code(secret: str) -> str:
    """A code still accepted (clock drift) that no earlier step of a test used."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=1)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR])
def test_admins_and_coordinators_must_enrol_before_they_are_in(strict, make_user, role):
    user = make_user(role)
    client = strict.test_client()
    response = password_step(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor/setup"
    assert client.get("/").status_code == 302  # the password alone opened nothing
    secret, codes = enrol_through_the_pages(strict.test_client(), user)
    assert len(codes) == 10 and len(set(codes)) == 10
    with strict.app_context():
        stored = db.session.get(User, user.id)
        assert stored.has_two_factor and stored.totp_secret == secret
        hashes = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not hashes & {c.replace("-", "") for c in codes}


def test_after_enrolment_the_page_shows_the_codes_once_and_the_user_is_in(strict, make_user):
    user = make_user(Role.COORDINATOR)
    client = strict.test_client()
    enrol_through_the_pages(client, user)
    assert client.get("/").status_code == 200
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "10" in page and not re.search(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", page)


def test_an_enrolled_user_needs_a_current_code(strict, make_user):
    user = make_user(Role.ADMIN)
    secret = enrolled(strict, user)
    client = strict.test_client()
    response = password_step(client, user)
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/").status_code == 302
    wrong = client.post("/login/two-factor", data={"code": "000000"})
    assert wrong.status_code == 200
    assert "Mã không đúng" in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with strict.app_context():
        assert db.session.scalar(select(LoginFailure.username)) == user.username
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    with strict.app_context():
        actions = [
            (e.action, e.detail)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("login")
        ]
    assert actions == [
        ("login_failed", "two_factor"),
        ("login", "door=staff two_factor=totp"),
    ]


def test_a_code_cannot_be_used_twice(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    code = pyotp.TOTP(secret).now()
    first, second = strict.test_client(), strict.test_client()
    password_step(first, user)
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302
    password_step(second, user)
    assert second.post("/login/two-factor", data={"code": code}).status_code == 200
    assert second.get("/").status_code == 302


def test_wrong_codes_are_throttled_like_passwords(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    client = strict.test_client()
    password_step(client, user)
    for _ in range(5):
        client.post("/login/two-factor", data={"code": "123456"})
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 429
    assert client.get("/").status_code == 302


def test_the_right_password_again_does_not_reset_the_count_of_wrong_codes(strict, make_user):
    user = make_user(Role.ADMIN)
    secret = enrolled(strict, user)
    client = strict.test_client()
    for _ in range(3):
        password_step(client, user)
        for _ in range(2):
            client.post("/login/two-factor", data={"code": "123456"})
    assert password_step(client, user).status_code == 429
    with strict.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5
    # Not even the right code gets through from this address now.
    assert client.post(
        "/login/two-factor", data={"code": pyotp.TOTP(secret).now()}
    ).status_code in (
        302,
        429,
    )
    assert client.get("/").status_code == 302


def test_a_recovery_code_works_once(strict, make_user):
    user = make_user(Role.COORDINATOR)
    _, codes = enrol_through_the_pages(strict.test_client(), user)
    client = strict.test_client()
    password_step(client, user)
    response = client.post("/login/two-factor", data={"code": codes[3].upper()})
    assert response.status_code == 302
    client.post("/logout")
    password_step(client, user)
    again = client.post("/login/two-factor", data={"code": codes[3]})
    assert again.status_code == 200 and client.get("/").status_code == 302


def test_the_half_way_state_expires(strict, make_user):
    user = make_user(Role.ADMIN)
    secret = enrolled(strict, user)
    client = strict.test_client()
    password_step(client, user)
    with client.session_transaction() as cookie:
        state = cookie["two_factor_pending"]
        cookie["two_factor_pending"] = {**state, "at": state["at"] - 301}
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_the_code_page_without_a_password_first_goes_back_to_login(strict, make_user):
    client = strict.test_client()
    assert client.get("/login/two-factor").headers["Location"] == "/login"
    assert client.post("/login/two-factor/setup", data={"code": "123456"}).status_code == 302


def test_facilitators_may_skip_it_or_turn_it_on_and_off(strict, make_user):
    user = make_user(Role.FACILITATOR)
    client = strict.test_client()
    assert password_step(client, user).headers["Location"] == "/"
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "Mã dự phòng" in response.get_data(as_text=True)
    other = strict.test_client()
    assert password_step(other, user).headers["Location"] == "/login/two-factor"
    # Turning it off needs a current code.
    client.post("/account/two-factor/disable", data={"off-code": "000000"})
    with strict.app_context():
        assert db.session.get(User, user.id).has_two_factor
    client.post("/account/two-factor/disable", data={"off-code": next_code(secret)})
    with strict.app_context():
        stored = db.session.get(User, user.id)
        assert not stored.has_two_factor and stored.totp_secret is None
        assert db.session.scalars(select(RecoveryCode)).all() == []
    assert password_step(strict.test_client(), user).headers["Location"] == "/"


def test_a_coordinator_cannot_turn_it_off_in_production(strict, make_user):
    user = make_user(Role.COORDINATOR)
    secret = enrolled(strict, user)
    client = strict.test_client()
    password_step(client, user)
    client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert "off-code" not in client.get("/account/two-factor").get_data(as_text=True)
    response = client.post("/account/two-factor/disable", data={"off-code": next_code(secret)})
    assert response.status_code == 403
    with strict.app_context():
        assert db.session.get(User, user.id).has_two_factor


def test_new_recovery_codes_replace_the_old_ones(strict, make_user):
    user = make_user(Role.COORDINATOR)
    client = strict.test_client()
    secret, old = enrol_through_the_pages(client, user)
    response = client.post(
        "/account/two-factor/recovery-codes", data={"codes-code": next_code(secret)}
    )
    new = re.findall(r"<code>([0-9a-f-]{19})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    other = strict.test_client()
    password_step(other, user)
    assert other.post("/login/two-factor", data={"code": old[0]}).status_code == 200
    assert other.post("/login/two-factor", data={"code": new[0]}).status_code == 302


def test_an_admin_turns_off_a_lost_phone_and_the_user_enrols_again(strict, make_user):
    user = make_user(Role.COORDINATOR)
    enrolled(strict, user)
    admin = make_user(Role.ADMIN)
    enrolled(strict, admin)
    with strict.app_context():
        from accounts import two_factor

        two_factor.disable(db.session.get(User, admin.id), db.session.get(User, user.id))
        db.session.commit()
    assert (
        password_step(strict.test_client(), user).headers["Location"] == "/login/two-factor/setup"
    )


def test_admin_reset_route_turns_it_off_and_logs_them_out(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    enrolled(app, user)
    login(client, make_user(Role.ADMIN))
    response = client.post(f"/admin/users/{user.id}/two-factor")
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, user.id).has_two_factor
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_off"))
        assert event.object_id == user.id and event.actor_id != user.id


def test_demo_lets_newcomers_skip_it_but_not_once_they_turned_it_on(app, make_user):
    """`app` (tests) skips like the demo: no enrolment, but an enrolled user gets the code step."""
    assert app.config["TWO_FACTOR_SKIP"]
    coordinator = make_user(Role.COORDINATOR)
    assert password_step(app.test_client(), coordinator).headers["Location"] == "/"
    enrolled(app, coordinator)
    assert password_step(app.test_client(), coordinator).headers["Location"] == "/login/two-factor"


def test_demo_mode_skips_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("TULUC_TWO_FACTOR_SKIP", raising=False)
    url = "sqlite:///" + str(tmp_path / "demo.sqlite3")
    demo = create_app({"ENV": "demo", "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    assert demo.config["TWO_FACTOR_SKIP"] is True
    with demo.app_context():
        db.engine.dispose()


def test_production_cannot_skip_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TULUC_TWO_FACTOR_SKIP", "true")
    with pytest.raises(SystemExit) as stopped:
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "x" * 40,
                "DATABASE_URL": "sqlite:///" + str(tmp_path / "p.sqlite3"),
            }
        )
    assert "TWO_FACTOR_SKIP" in str(stopped.value)
    from core.config import DEFAULTS

    assert DEFAULTS["TWO_FACTOR_SKIP"] is False
    from accounts.two_factor import REQUIRED_ROLES

    # Provider accounts too (issue 26): they read referrals about members.
    assert {Role.ADMIN, Role.COORDINATOR, Role.PROVIDER} == REQUIRED_ROLES


def test_members_have_no_two_factor_page(client, make_user):
    login(client, make_user(Role.MEMBER))
    assert client.get("/account/two-factor").status_code == 403


def test_old_pending_secret_counts_for_nothing_until_confirmed(strict, make_user):
    user = make_user(Role.COORDINATOR)
    client = strict.test_client()
    password_step(client, user)
    client.get("/login/two-factor/setup")
    with strict.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret and not stored.has_two_factor
    # Coming back later: still the enrolment step, with the same secret to scan.
    again = strict.test_client()
    assert password_step(again, user).headers["Location"] == "/login/two-factor/setup"
