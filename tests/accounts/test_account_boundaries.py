"""Logging out always works and cannot be forced; a member's login stays a member's login
and stays off once an administrator turned it off."""

import pytest
from sqlalchemy import select

from accounts import services
from accounts.models import Role, User
from core.db import db
from tests.conftest import login


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.mark.parametrize("token", ["stale", None])
def test_log_out_from_a_page_left_open_too_long_still_logs_out(client, login_as, token):
    login_as(Role.FACILITATOR)
    data = {"csrf_token": "IjAxMjM0NTY3ODki.stale.token"} if token else {}
    response = client.post(
        "/logout", data=data, csrf=False, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not logged_in(client)


@pytest.mark.parametrize("site", [None, "cross-site", "same-site", "none"])
def test_a_log_out_without_a_valid_token_from_elsewhere_asks_first(client, login_as, site):
    login_as(Role.COORDINATOR)
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.post("/logout", data={}, csrf=False, headers=headers)
    assert response.status_code == 200
    assert 'action="/logout"' in response.get_data(as_text=True)
    assert logged_in(client)  # nothing happened yet
    # The page's own button (a fresh token) logs out.
    assert client.post("/logout", data={}).status_code == 302
    assert not logged_in(client)


def test_log_out_by_get_is_not_possible(client, login_as):
    login_as(Role.FACILITATOR)
    assert client.get("/logout").status_code == 405
    assert logged_in(client)


@pytest.fixture
def member_login(app, make_user, make_group, make_member):
    """A facilitator's member with a login (PIN 583920), and an admin."""
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator])
    member = make_member(group)
    admin = make_user(Role.ADMIN)
    from types import SimpleNamespace

    from groups.models import Member
    from livelihoods.services.members import set_member_pin

    with app.app_context():
        user = set_member_pin(admin, db.session.get(Member, member.id), "583920")
        db.session.commit()
        user_id = user.id
    login_user = SimpleNamespace(role=Role.MEMBER, username=member.code, password="583920")
    return SimpleNamespace(
        facilitator=facilitator, admin=admin, member=member, user_id=user_id, login=login_user
    )


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_a_new_pin_does_not_switch_on_a_login_an_admin_turned_off(app, member_login):
    w = member_login
    admin = app.test_client()
    login(admin, w.admin)
    assert admin.post(f"/admin/users/{w.user_id}/active", data={}).status_code == 302
    assert user_row(app, w.user_id).active is False
    before = user_row(app, w.user_id).password_hash

    facilitator = app.test_client()
    login(facilitator, w.facilitator)
    response = facilitator.post(
        f"/members/{w.member.id}/pin", data={"pin": "729461", "confirm": "729461"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)
    after = user_row(app, w.user_id)
    assert (after.active, after.password_hash) == (False, before)
    member = app.test_client()
    for pin in ("583920", "729461"):
        member.post("/login/member", data={"code": w.member.code, "pin": pin})
        assert not logged_in(member)


@pytest.mark.parametrize("role", ["facilitator", "coordinator", "admin", "member"])
def test_the_admin_form_never_turns_a_members_login_into_staff(app, client, member_login, role):
    w = member_login
    login(client, w.admin)
    response = client.post(
        f"/admin/users/{w.user_id}",
        data={"full_name": "X", "role": role, "provinces": ["46"]},
    )
    user = user_row(app, w.user_id)
    assert (user.role, user.member_id) == (Role.MEMBER, w.member.id)
    if role != "member":
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
    # The member still logs in as a member, and the staff login still refuses the PIN.
    member = app.test_client()
    login(member, w.login)
    staff = app.test_client()
    staff.post("/login", data={"username": w.member.code, "password": "583920"})
    assert staff.get("/groups").status_code != 200


@pytest.mark.parametrize("staff_role", [Role.FACILITATOR, Role.COORDINATOR, Role.ADMIN])
def test_no_staff_account_becomes_a_members_login(app, make_user, staff_role):
    staff = make_user(staff_role)
    admin = make_user(Role.ADMIN)
    with app.app_context():
        actor = db.session.get(User, admin.id)
        user = db.session.get(User, staff.id)
        with pytest.raises(services.CannotChangeKind):
            services.update_user(actor, user, full_name="X", role=Role.MEMBER)
        db.session.rollback()
        assert db.session.scalar(select(User.role).where(User.id == staff.id)) == staff_role


def test_the_admin_form_offers_a_member_login_no_staff_role(app, client, member_login):
    login(client, member_login.admin)
    page = client.get(f"/admin/users/{member_login.user_id}").get_data(as_text=True)
    assert 'value="member"' in page
    assert 'value="facilitator"' not in page and 'value="coordinator"' not in page
