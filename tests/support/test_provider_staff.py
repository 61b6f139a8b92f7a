"""Staff accounts of a provider (issue 26): listed per provider; the coordinators of its
province and admins deactivate them (logged out at once, no new sign-in) and make them
active again; audited; nobody else may."""

import pytest
from sqlalchemy import func, select

from accounts.models import User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login
from tests.test_authorization import make_provider_user


def staff_url(ids, user) -> str:
    return f"/providers/{ids['provider']}/accounts/{user.id}/active"


def is_active(app, user) -> bool:
    with app.app_context():
        return db.session.get(User, user.id).active


def audited(app, action: str, user) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(AuditEvent.action == action, AuditEvent.object_id == user.id)
        )


@pytest.mark.parametrize("manager", ["coordinator", "admin"])
def test_a_manager_deactivates_a_provider_account_and_makes_it_active_again(
    app, support_world, manager
):
    users, ids = support_world
    with app.app_context():
        staff = make_provider_user(app, ids["provider"], "osso")
    provider = app.test_client()
    login(provider, staff)
    assert provider.get("/provider").status_code == 200
    client = app.test_client()
    login(client, users[manager])
    page = client.get(f"/providers/{ids['provider']}/accounts").get_data(as_text=True)
    assert "osso" in page and staff_url(ids, staff) in page
    assert client.post(staff_url(ids, staff), data={"active": "0"}).status_code == 302
    assert not is_active(app, staff)
    assert audited(app, "deactivate", staff) == 1
    # The open session ends at once, and the password no longer signs in.
    response = provider.get("/provider")
    assert response.status_code == 302 and response.location.startswith("/login")
    again = app.test_client()
    assert (
        again.post(
            "/login", data={"username": staff.username, "password": staff.password}
        ).status_code
        == 200
    )
    assert again.get("/provider").status_code == 302
    # Sent twice: nothing more happens.
    assert client.post(staff_url(ids, staff), data={"active": "0"}).status_code == 302
    assert audited(app, "deactivate", staff) == 1
    assert client.post(staff_url(ids, staff), data={"active": "1"}).status_code == 302
    assert is_active(app, staff)
    assert audited(app, "activate", staff) == 1
    login(again, staff)
    assert again.get("/provider").status_code == 200


def test_nobody_else_deactivates_a_provider_account(app, support_world):
    users, ids = support_world
    with app.app_context():
        staff = make_provider_user(app, ids["provider"], "osso")
        colleague = make_provider_user(app, ids["provider"], "osso2")
    for role in ("other_coordinator", "facilitator", "other_facilitator"):
        client = app.test_client()
        login(client, users[role])
        assert client.post(staff_url(ids, staff), data={"active": "0"}).status_code == 403, role
    client = app.test_client()
    login(client, colleague)
    assert client.post(staff_url(ids, staff), data={"active": "0"}).status_code == 403
    assert is_active(app, staff)
    assert audited(app, "deactivate", staff) == 0


def test_an_account_of_another_provider_or_a_bad_form_changes_nothing(app, support_world):
    users, ids = support_world
    with app.app_context():
        elsewhere = make_provider_user(app, ids["health"], "health")
    client = app.test_client()
    login(client, users["coordinator"])
    assert client.post(staff_url(ids, elsewhere), data={"active": "0"}).status_code == 404
    with app.app_context():
        staff = make_provider_user(app, ids["provider"], "osso")
    for data in ({}, {"active": "2"}, {"active": "yes"}):
        response = client.post(staff_url(ids, staff), data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "Không có gì thay đổi" in response.get_data(as_text=True)
    assert is_active(app, staff) and is_active(app, elsewhere)
    assert audited(app, "deactivate", staff) == 0
    # A staff member who is not a provider's: not through this page.
    assert (
        client.post(
            f"/providers/{ids['provider']}/accounts/{users['facilitator'].id}/active",
            data={"active": "0"},
        ).status_code
        == 404
    )
    assert is_active(app, users["facilitator"])
