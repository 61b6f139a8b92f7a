from datetime import timedelta

import pytest
from sqlalchemy import select, update

from accounts.models import AuthSession, LoginFailure, Role, User
from core.audit import AuditEvent
from core.db import db, utcnow
from tests.conftest import login

SAME_MESSAGE = "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị khóa."


def test_login_then_home_greets_the_user(client, make_user):
    user = make_user(Role.FACILITATOR, full_name="Nguyễn Thị Lan")
    response = login(client, user)
    assert response.headers["Location"] == "/"
    assert "Chào Nguyễn Thị Lan" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "deactivated"])
def test_failed_logins_all_get_the_same_message(client, make_user, case):
    user = make_user(Role.FACILITATOR, active=(case != "deactivated"))
    username = "nobody" if case == "unknown user" else user.username
    password = "wrong password!" if case == "wrong password" else user.password
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert SAME_MESSAGE in page
    assert client.get("/").status_code == 302


def test_username_is_case_insensitive(client, make_user):
    user = make_user(Role.FACILITATOR, username="lan.nguyen")
    response = client.post("/login", data={"username": " Lan.Nguyen ", "password": user.password})
    assert response.status_code == 302


def test_logins_are_throttled_after_repeated_failures_even_with_the_right_password(
    app, client, make_user
):
    user = make_user(Role.COORDINATOR)
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "not it at all"})
    response = client.post("/login", data={"username": user.username, "password": user.password})
    assert response.status_code == 429
    assert "Hãy đợi 15 phút" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_old_failures_do_not_count_and_success_clears_them(app, client, make_user):
    user = make_user(Role.COORDINATOR)
    with app.app_context():
        for _ in range(5):
            db.session.add(
                LoginFailure(
                    username=user.username, ip="127.0.0.1", at=utcnow() - timedelta(hours=1)
                )
            )
        db.session.commit()
    login(client, user)
    with app.app_context():
        assert db.session.scalars(select(LoginFailure)).all() == []


def test_failed_login_is_audited_without_the_password(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    client.post("/login", data={"username": user.username, "password": "guess-guess-guess"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed"))
        assert event.object_id == user.id
        assert "guess" not in (event.detail or "")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_redirects_only_within_this_site(client, make_user, target):
    user = make_user(Role.FACILITATOR)
    response = client.post(
        "/login?next=" + target, data={"username": user.username, "password": user.password}
    )
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client, make_user):
    user = make_user(Role.FACILITATOR)
    response = client.post(
        "/login?next=/account/password", data={"username": user.username, "password": user.password}
    )
    assert response.headers["Location"] == "/account/password"


def test_copied_cookie_stops_working_after_logout(app, client, make_user):
    user = make_user(Role.COORDINATOR)
    login(client, user)
    stolen = client.get_cookie("tuluc_session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("tuluc_session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivation_logs_the_user_out_everywhere(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    login(admin_client, admin)
    admin_client.post(f"/admin/users/{user.id}/active")
    assert client.get("/").status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
            == []
        )


def test_session_ends_after_inactivity(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    assert client.get("/").status_code == 200
    with app.app_context():
        db.session.execute(
            update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()
    assert client.get("/").status_code == 302


def test_session_ends_after_the_absolute_lifetime_even_when_active(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    with app.app_context():
        db.session.execute(update(AuthSession).values(created_at=utcnow() - timedelta(hours=13)))
        db.session.commit()
    assert client.get("/").status_code == 302


def test_session_token_is_stored_hashed(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    with app.app_context():
        stored = db.session.scalar(select(AuthSession.token_hash))
    with client.session_transaction() as cookie:
        token = cookie["_user_id"]
    assert stored != token and len(stored) == 64


def test_passwords_are_hashed_with_argon2id(app, make_user):
    user = make_user(Role.FACILITATOR)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")


def test_production_hashing_defaults_meet_owasp(app):
    from core.config import DEFAULTS

    assert DEFAULTS["ARGON2_MEMORY_COST"] >= 19 * 1024 and DEFAULTS["ARGON2_TIME_COST"] >= 2


def test_login_form_without_csrf_token_is_refused_and_logs_nobody_in(client, make_user):
    user = make_user(Role.FACILITATOR)
    response = client.post(
        "/login", data={"username": user.username, "password": user.password}, csrf=False
    )
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_over_long_and_malformed_login_input_is_answered_not_crashed(client):
    response = client.post("/login", data={"username": "x" * 5000, "password": "a\x00b"})
    assert response.status_code == 200
    response = client.post("/login", data={"username": ["a", "b"]})
    assert response.status_code == 200
    assert "Hãy nhập mật khẩu." in response.get_data(as_text=True)


def test_user_with_a_temporary_password_must_change_it_first(client, make_user):
    user = make_user(Role.FACILITATOR, must_change_password=True)
    login(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    response = client.post(
        "/account/password",
        data={
            "current_password": user.password,
            "new_password": "một câu mới dễ nhớ",
            "confirm": "một câu mới dễ nhớ",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_changing_password_logs_out_other_devices_but_not_this_one(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    other = app.test_client()
    login(other, user)
    client.post(
        "/account/password",
        data={
            "current_password": user.password,
            "new_password": "một câu mới dễ nhớ",
            "confirm": "một câu mới dễ nhớ",
        },
    )
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_wrong_current_password_changes_nothing(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    with app.app_context():
        before = db.session.get(User, user.id).password_hash
    response = client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "new_password": "một câu mới dễ nhớ",
            "confirm": "một câu mới dễ nhớ",
        },
    )
    assert "Mật khẩu hiện tại không đúng." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == before


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user(Role.FACILITATOR)
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_after_login_do_not_send_the_session_cookie_again(client, make_user):
    """The cookie set at login lasts the longest session (the server ends an idle one):
    pages do not send it back each time (issue 25: 420 bytes a page over 2G)."""
    user = make_user(Role.FACILITATOR)
    cookie = login(client, user).headers["Set-Cookie"]
    assert "Expires=" in cookie  # lasts SESSION_MAX_HOURS, set once
    client.get("/")  # the first page draws the login's form token: kept in the cookie
    for url in ("/", "/groups", "/account", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
    assert client.get("/").status_code == 200  # still logged in


def test_production_cookies_are_secure_and_remember_me_is_off():
    from core.config import DEFAULTS

    assert DEFAULTS["SESSION_COOKIE_SECURE"] is True
    assert DEFAULTS["REMEMBER_COOKIE_DURATION"].total_seconds() == 0


def test_pages_carry_security_headers_and_are_not_cached(client, make_user):
    login(client, make_user(Role.FACILITATOR))
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("token", ["expired-or-forged", None])
def test_logout_works_even_with_a_stale_form(app, client, make_user, token):
    """A page of ours left open too long: the browser says the form is same-origin."""
    user = make_user(Role.FACILITATOR)
    login(client, user)
    data = {"csrf_token": token} if token else {}
    response = client.post(
        "/logout", data=data, csrf=False, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuthSession)).all() == []
