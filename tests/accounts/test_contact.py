"""Email and phone of staff: set by an admin on the user form and by the user on /account."""

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login


def contact_of(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.email, user.phone


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COORDINATOR, Role.ADMIN])
def test_staff_set_their_own_email_and_phone(app, client, login_as, role):
    user = login_as(role)
    page = client.get("/account").get_data(as_text=True)
    assert 'type="email"' in page and 'type="tel"' in page
    response = client.post(
        "/account", data={"email": "mai@example.org", "phone": "+84 912.345.678"}
    )
    assert response.status_code == 302
    assert contact_of(app, user.id) == ("mai@example.org", "0912345678")
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.object_id == user.id)
        )
        assert event.detail == "changed=email,phone"  # the fields, never the values


@pytest.mark.parametrize(
    "phone, stored",
    [
        ("0912 345 678", "0912345678"),
        ("84 912 345 678", "0912345678"),
        ("0234 3822 123", "02343822123"),  # a landline: 02 and 9 digits
        ("(+84) 36-123-4567", "0361234567"),
        ("", None),
    ],
)
def test_vietnamese_phone_numbers_are_stored_the_same_way(app, client, login_as, phone, stored):
    user = login_as(Role.FACILITATOR)
    assert client.post("/account", data={"email": "", "phone": phone}).status_code == 302
    assert contact_of(app, user.id) == (None, stored)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "mai@", "phone": ""}, "Nhập địa chỉ email, ví dụ ten@example.org."),
        ({"email": "mai example.org", "phone": ""}, "Nhập địa chỉ email"),
        ({"email": "a" * 250 + "@x.vn", "phone": ""}, "Tối đa 254 ký tự."),
        ({"email": "", "phone": "12345"}, "Nhập số điện thoại Việt Nam"),
        ({"email": "", "phone": "0112345678"}, "Nhập số điện thoại Việt Nam"),
        ({"email": "", "phone": "091234567"}, "Nhập số điện thoại Việt Nam"),
        ({"email": "", "phone": "+1 202 555 0143"}, "Nhập số điện thoại Việt Nam"),
        ({"email": "", "phone": "0912-345-67a"}, "Nhập số điện thoại Việt Nam"),
        ({"email": "", "phone": "０９１２３４５６７８"}, "Nhập số điện thoại Việt Nam"),
    ],
)
def test_bad_contact_details_get_a_clear_message_and_save_nothing(
    app, client, login_as, data, message
):
    user = login_as(Role.FACILITATOR)
    response = client.post("/account", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert contact_of(app, user.id) == (None, None)


def test_messages_are_in_english_when_chosen(client, login_as):
    login_as(Role.FACILITATOR)
    client.post("/language", data={"locale": "en"})
    html = client.post("/account", data={"email": "x@", "phone": "1"}).get_data(as_text=True)
    assert "Enter an email address such as name@example.org." in html
    assert "Enter a Vietnamese phone number, for example 0912 345 678" in html


def test_an_admin_sets_a_users_email_and_phone_on_the_user_form(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    other = make_user(Role.FACILITATOR, full_name="Hồ Văn Dũng")
    response = client.post(
        f"/admin/users/{other.id}",
        data={
            "full_name": "Hồ Văn Dũng",
            "role": "facilitator",
            "email": "dung@example.org",
            "phone": "0987 654 321",
        },
    )
    assert response.status_code == 302
    assert contact_of(app, other.id) == ("dung@example.org", "0987654321")
    page = client.get(f"/admin/users/{other.id}").get_data(as_text=True)
    assert 'value="dung@example.org"' in page and 'value="0987654321"' in page

    bad = client.post(
        f"/admin/users/{other.id}",
        data={"full_name": "Hồ Văn Dũng", "role": "facilitator", "email": "no", "phone": ""},
    )
    assert bad.status_code == 200
    assert contact_of(app, other.id) == ("dung@example.org", "0987654321")


def test_a_member_has_no_account_page(client, make_user):
    member = make_user(Role.MEMBER)
    login(client, member)
    assert client.get("/account").status_code == 403
