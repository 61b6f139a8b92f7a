"""Login throttling: it slows guessing and never lets anyone lock a user out."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from accounts import throttle
from accounts.models import LoginFailure, Role
from app import create_app
from core.audit import AuditEvent
from core.db import db, utcnow
from tests.conftest import Client, config_for

ATTACKER, OWNER, THIRD = "203.0.113.7", "198.51.100.9", "192.0.2.44"
THROTTLED = "Hãy đợi 15 phút"
WRONG = "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị khóa."


@pytest.fixture
def proxied(app, migrated):
    """The app behind one trusted proxy (TULUC_PROXY_COUNT=1); `app` empties the tables."""
    proxied = create_app(config_for(migrated, PROXY_COUNT=1))
    proxied.test_client_class = Client
    yield proxied
    with proxied.app_context():
        db.session.rollback()
        db.engine.dispose()


def post_login(client, username, password, ip, path="/login"):
    field = ("code", "pin") if path == "/login/member" else ("username", "password")
    return client.post(
        path,
        data={field[0]: username, field[1]: password},
        headers={"X-Forwarded-For": ip},
    )


@pytest.fixture
def hashes(monkeypatch):
    """Count every argon2 verification and hash made from now on."""
    calls = {"n": 0}
    verify, hash_ = PasswordHasher.verify, PasswordHasher.hash

    def counting_verify(self, *args, **kwargs):
        calls["n"] += 1
        return verify(self, *args, **kwargs)

    def counting_hash(self, *args, **kwargs):
        calls["n"] += 1
        return hash_(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    return calls


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def add_failures(app, username, ips, *, ago=timedelta(0)):
    with app.app_context():
        for ip in ips:
            db.session.add(LoginFailure(username=username, ip=ip, at=utcnow() - ago))
        db.session.commit()


def test_fifty_failures_from_one_address_do_not_lock_admin_out_of_another(proxied, make_user):
    admin = make_user(Role.ADMIN, username="admin")
    attacker, owner = proxied.test_client(), proxied.test_client()
    statuses = [
        post_login(attacker, "admin", f"guess {i}", ATTACKER).status_code for i in range(50)
    ]
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
    # The right password from the attacker's address still waits: the address is throttled.
    assert post_login(attacker, "admin", admin.password, ATTACKER).status_code == 429
    response = post_login(owner, "admin", admin.password, OWNER)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owner.get("/").status_code == 200
    # Only the checked attempts were counted; the 45 refusals wrote nothing.
    assert count(proxied, LoginFailure) == 5


def test_behind_a_proxy_every_client_is_throttled_on_its_own(proxied, make_user):
    """What H3 found: without ProxyFix, 30 failures from anyone locked out everybody."""
    user = make_user(Role.FACILITATOR)
    client = proxied.test_client()
    for i in range(30):
        post_login(client, f"nobody{i}", "wrong password", ATTACKER)
    assert post_login(client, user.username, user.password, ATTACKER).status_code == 429
    assert post_login(client, user.username, user.password, OWNER).status_code == 302


def test_a_refused_attempt_answers_before_any_password_hashing(app, client, make_user, hashes):
    user = make_user(Role.COORDINATOR)
    hashes["n"] = 0
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "not it at all"})
    assert hashes["n"] == 5
    failures, events = count(app, LoginFailure), count(app, AuditEvent)
    for password in ("not it either", user.password):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 429
        assert THROTTLED in response.get_data(as_text=True)
    assert hashes["n"] == 5, "a refused attempt ran argon2"
    assert count(app, LoginFailure) == failures and count(app, AuditEvent) == events


def test_refused_member_attempts_do_not_hash_either(app, client, make_user, hashes):
    member = make_user(Role.MEMBER)
    add_failures(app, member.username, [f"10.0.0.{i}" for i in range(25)])
    hashes["n"] = 0
    response = client.post("/login/member", data={"code": member.username, "pin": "583917"})
    assert response.status_code == 429 and hashes["n"] == 0


def test_refused_attempts_do_not_extend_the_wait(app, client, make_user):
    user = make_user(Role.COORDINATOR)
    add_failures(app, user.username, ["127.0.0.1"] * 5, ago=timedelta(minutes=14))
    for _ in range(3):
        assert (
            client.post(
                "/login", data={"username": user.username, "password": user.password}
            ).status_code
            == 429
        )
    with app.app_context():
        db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": user.password})
    assert response.status_code == 302


def test_one_address_is_refused_after_thirty_failures_whatever_the_usernames(proxied, make_user):
    user = make_user(Role.FACILITATOR)
    add_failures(proxied, "someone", [ATTACKER] * 30)
    client = proxied.test_client()
    assert post_login(client, user.username, user.password, ATTACKER).status_code == 429
    assert post_login(client, user.username, user.password, THIRD).status_code == 302


def test_many_failing_addresses_only_slow_a_user_down(proxied, make_user):
    """Per username there is a growing delay for addresses that failed; a fresh one passes."""
    user = make_user(Role.COORDINATOR)
    add_failures(proxied, user.username, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] * 2)
    client = proxied.test_client()
    # 8 failures: addresses that failed wait 2**3 s after the last one, right password or not.
    assert post_login(client, user.username, user.password, "10.0.0.1").status_code == 429
    assert post_login(client, user.username, user.password, OWNER).status_code == 302
    with proxied.app_context():
        db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(seconds=9)))
        db.session.commit()
    other = proxied.test_client()
    assert post_login(other, user.username, user.password, "10.0.0.2").status_code == 302


def test_the_delay_grows_with_failures_and_stops_growing():
    limits = throttle.Limits.from_config(
        {
            "LOGIN_WINDOW_MINUTES": 15,
            "LOGIN_MAX_FAILURES_PER_USER_AND_IP": 5,
            "LOGIN_MAX_FAILURES_PER_IP": 30,
            "LOGIN_SLOW_AFTER_FAILURES_PER_USER": 5,
            "LOGIN_MAX_DELAY_SECONDS": 900,
            "LOGIN_MEMBER_SLOW_AFTER_FAILURES_PER_DAY": 5,
            "LOGIN_MEMBER_MAX_DELAY_SECONDS": 4 * 3600,
            "LOGIN_MEMBER_CLEAN_ADDRESSES_PER_DAY": 20,
        }
    )
    delays = [throttle.delay_after(n, limits).total_seconds() for n in range(0, 40)]
    assert delays[:5] == [0] * 5 and delays[5:9] == [1, 2, 4, 8]
    assert delays == sorted(delays) and max(delays) == 900


def test_old_failures_are_purged_when_a_failure_is_written(app, client, make_user):
    add_failures(app, "old", ["10.9.9.9"] * 3, ago=timedelta(days=2))
    add_failures(app, "recent", ["10.9.9.9"], ago=timedelta(hours=2))
    client.post("/login", data={"username": "nobody", "password": "wrong password"})
    with app.app_context():
        left = sorted(db.session.scalars(select(LoginFailure.username)))
    assert left == ["nobody", "recent"]


def test_success_forgets_only_this_address_failures(proxied, make_user):
    user = make_user(Role.FACILITATOR)
    add_failures(proxied, user.username, [ATTACKER, ATTACKER, OWNER])
    assert post_login(proxied.test_client(), user.username, user.password, OWNER).status_code == 302
    with proxied.app_context():
        assert list(db.session.scalars(select(LoginFailure.ip))) == [ATTACKER, ATTACKER]


def test_member_failures_older_than_a_day_do_not_count(app, client, make_user):
    member = make_user(Role.MEMBER)
    add_failures(app, member.username, [f"10.0.0.{i}" for i in range(30)], ago=timedelta(hours=25))
    login_page = client.post(
        "/login/member", data={"code": member.username, "pin": member.password}
    )
    assert login_page.status_code == 302


@pytest.mark.parametrize(
    "ip, key",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, None),
    ],
)
def test_ipv6_addresses_are_throttled_by_their_64_network(ip, key):
    assert throttle.address_key(ip) == key


def test_every_login_success_and_failure_is_audited_with_its_door(app, client, make_user):
    staff = make_user(Role.FACILITATOR)
    member = make_user(Role.MEMBER)
    client.post("/login", data={"username": staff.username, "password": "wrong password"})
    client.post("/login/member", data={"code": member.username, "pin": "000001"})
    client.post("/login/member", data={"code": "nobody-code", "pin": "000001"})
    client.post("/login/member", data={"code": member.username, "pin": member.password})
    client.post("/logout")
    client.post("/login", data={"username": staff.username, "password": staff.password})
    with app.app_context():
        events = [
            (e.action, e.object_id, e.detail, e.ip)
            for e in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_(["login", "login_failed"]))
                .order_by(AuditEvent.id)
            )
        ]
    assert events == [
        ("login_failed", staff.id, "door=staff", "127.0.0.1"),
        ("login_failed", member.id, "door=member", "127.0.0.1"),
        ("login_failed", None, "door=member", "127.0.0.1"),
        ("login", member.id, "door=member", "127.0.0.1"),
        ("login", staff.id, "door=staff", "127.0.0.1"),
    ]
