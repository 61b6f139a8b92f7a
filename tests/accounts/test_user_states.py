"""The account pages in every state an account can be in, not only the demo's.

S1: the admin page of any user with two-factor on answered 500, because only that
branch of the template called a macro it had not imported, and the demo never turns
two-factor on. Here every combination of role, two-factor (off, half set up, on),
status (active, deactivated) and forced password change is rendered, by the admin and,
where the account can log in, by its owner; each page answers 200 with the controls
its state calls for. tests/core/test_templates.py checks the templates' imports.
"""

import itertools
import re

import pyotp
import pytest
from sqlalchemy import select

from accounts import services as account_services
from accounts.models import Role, User
from core.db import db, utcnow
from tests.conftest import login

ROLES = [Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR, Role.MEMBER]
TWO_FACTOR = ["off", "pending", "on"]
STATES = [
    (role, two_factor, active, must_change)
    for role, two_factor, active, must_change in itertools.product(
        ROLES, TWO_FACTOR, (True, False), (False, True)
    )
    # A member's login has a PIN: no two-factor, no password of their own to change.
    if role != Role.MEMBER or (two_factor == "off" and not must_change)
]


def make_account(app, make_group, make_member, state, number: int):
    role, two_factor, active, must_change = state
    with app.app_context():
        member_id = None
        if role == Role.MEMBER:
            member_id = make_member(make_group(), full_name=f"Lê Thị Số {number}").id
        user = account_services.create_user(
            None,
            username=f"state{number}",
            full_name=f"Người Thứ {number}",
            role=role,
            password="mật khẩu đủ dài 1",
            province_codes=(46,) if role == Role.COORDINATOR else (),
            must_change_password=must_change,
        )
        user.member_id = member_id
        user.active = active
        if two_factor != "off":
            user.totp_secret = pyotp.random_base32()
        if two_factor == "on":
            user.totp_confirmed_at = utcnow()
        db.session.commit()
        return user.id


@pytest.fixture
def accounts(app, client, login_as, make_group, make_member):
    admin = login_as(Role.ADMIN)
    ids = {
        state: make_account(app, make_group, make_member, state, number)
        for number, state in enumerate(STATES, start=1)
    }
    return admin, ids


def test_the_states_cover_every_role_and_status():
    assert {s[0] for s in STATES} == set(ROLES)
    assert {s[1] for s in STATES} == set(TWO_FACTOR)
    assert {s[2] for s in STATES} == {True, False} and {s[3] for s in STATES} == {True, False}


def test_the_admin_opens_every_account_in_every_state(client, accounts):
    _admin, ids = accounts
    listing = client.get("/admin/users?q=state")
    assert listing.status_code == 200
    for state, user_id in ids.items():
        role, two_factor, active, _must_change = state
        response = client.get(f"/admin/users/{user_id}")
        assert response.status_code == 200, state
        page = response.get_data(as_text=True)
        # The controls the state calls for, and only those.
        reset_2fa = f'action="/admin/users/{user_id}/two-factor"'
        assert (reset_2fa in page) == (two_factor == "on"), state
        assert f'href="/admin/users/{user_id}/password"' in page, state
        assert f'href="/admin/users/{user_id}/active"' in page, state
        assert ("Khóa và đăng xuất trên mọi thiết bị" in page) == active, state
        assert ("Mở lại…" in page) == (not active), state
        assert ('<span class="badge">Đã khóa</span>' in page) == (not active), state
        if role == Role.MEMBER:
            assert re.search(r'<option[^>]*value="member"', page), state
            assert 'value="facilitator"' not in page, state
        for url in (f"/admin/users/{user_id}/active", f"/admin/users/{user_id}/password"):
            assert client.get(url).status_code == 200, (state, url)
        # Sent back with an error, the page is drawn in the same state.
        wrong = client.post(
            f"/admin/users/{user_id}",
            data={"full_name": "", "role": role.value, "email": "not an email"},
        )
        assert wrong.status_code == 200, state
        assert 'class="error"' in wrong.get_data(as_text=True)
        assert (reset_2fa in wrong.get_data(as_text=True)) == (two_factor == "on"), state


def test_the_admin_turns_off_two_factor_from_the_page(app, client, accounts):
    _admin, ids = accounts
    state = (Role.COORDINATOR, "on", True, False)
    user_id = ids[state]
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    form = page[page.index(f'action="/admin/users/{user_id}/two-factor"') :]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form[: form.index("</form>")])
    token = token.group(1)
    response = client.post(f"/admin/users/{user_id}/two-factor", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, user_id).has_two_factor
    assert client.get(f"/admin/users/{user_id}").status_code == 200


def test_the_admin_own_page_has_no_access_controls(client, app, accounts):
    admin, _ids = accounts
    with app.app_context():
        own = db.session.scalar(select(User.id).where(User.username == admin.username))
    page = client.get(f"/admin/users/{own}").get_data(as_text=True)
    assert f"/admin/users/{own}/active" not in page and f"/admin/users/{own}/two-factor" not in page


@pytest.mark.parametrize(
    "state",
    [s for s in STATES if s[0] != Role.MEMBER and s[2] and s[1] != "pending"],
    ids=str,
)
def test_each_owner_opens_their_own_pages(app, make_user, state):
    """Staff in each state log in (with a code when two-factor is on) and open their pages."""
    role, two_factor, _active, must_change = state
    user = make_user(role, must_change_password=must_change)
    secret = None
    if two_factor == "on":
        with app.app_context():
            row = db.session.get(User, user.id)
            row.totp_secret = secret = pyotp.random_base32()
            row.totp_confirmed_at = utcnow()
            db.session.commit()
    client = app.test_client()
    response = login(client, user)
    if secret:
        assert response.headers["Location"] == "/login/two-factor"
        code = pyotp.TOTP(secret).now()
        assert client.post("/login/two-factor", data={"code": code}).status_code == 302
    for url in ("/account", "/account/two-factor", "/account/password", "/"):
        response = client.get(url)
        if must_change and url != "/account/password":
            assert response.status_code == 302, (state, url)
            assert response.headers["Location"] == "/account/password"
        else:
            assert response.status_code == 200, (state, url)
