"""Member PINs: trivial ones refused, a PIN never becomes a password, help is named."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from accounts.pins import COMMON_PINS, is_trivial_pin, looks_like_date, pin_is_acceptable
from core.db import db
from core.errors import DomainError
from tests.conftest import PASSWORD, login

TRIVIAL = [
    *(d * 6 for d in "0123456789"),  # one digit repeated
    "123456", "234567", "456789", "012345", "654321", "987654", "543210",  # runs
    "890123", "901234", "210987",  # runs that wrap around
    "135791", "246802", "975319", "369258",  # steps of 2 and 3
    "246810", "101112", "201918", "102030",  # numbers counted on
    "121212", "454545", "909090", "246246", "123123", "918918",  # repeated pairs, triples
    "112233", "778899", "111222", "123321", "147258", "159753", "789456", "696969",  # common
]  # fmt: skip
GOOD = ["583917", "719360", "482915", "604172", "300299", "853179"]
TRIVIAL_MESSAGE = "Mã PIN này quá dễ đoán"
# S7: what the reviewer and the README's demo used, and each other way of writing a date.
DATES = [
    "250394", "270394", "010190", "311299", "290200",  # DDMMYY
    "032594", "123199",  # MMDDYY
    "940325", "991231", "000101",  # YYMMDD
    "031994", "122025", "199403", "202512",  # month and year
    "131994", "312000", "911990",  # one-digit day and month, four-digit year
]  # fmt: skip
DATE_MESSAGE = "Mã PIN này giống một ngày tháng"


def date_shapes(day: date) -> set[str]:
    """Every way people write this date in six digits."""
    shapes = {day.strftime(f) for f in ("%d%m%y", "%m%d%y", "%y%m%d", "%m%Y", "%Y%m")}
    if day.day < 10 and day.month < 10:
        shapes |= {f"{day.day}{day.month}{day.year}", f"{day.month}{day.day}{day.year}"}
    return shapes


@pytest.mark.parametrize("pin", DATES)
def test_date_shaped_pins_are_refused(pin):
    assert looks_like_date(pin) and not pin_is_acceptable(pin)


def test_every_date_of_two_centuries_in_every_shape_is_refused():
    day, accepted = date(1900, 1, 1), set()
    while day <= date(2099, 12, 31):
        accepted |= {pin for pin in date_shapes(day) if pin_is_acceptable(pin)}
        day += timedelta(days=1)
    assert accepted == set()


@pytest.mark.parametrize("pin", TRIVIAL)
def test_trivial_pins_are_refused(pin):
    assert is_trivial_pin(pin) and not pin_is_acceptable(pin)


@pytest.mark.parametrize("pin", GOOD)
def test_ordinary_pins_are_accepted(pin):
    assert pin_is_acceptable(pin)


def test_the_policy_refuses_few_pins_and_every_listed_common_one():
    assert all(is_trivial_pin(p) for p in COMMON_PINS)
    refused = sum(is_trivial_pin(f"{n:06d}") for n in range(0, 1_000_000, 7))
    assert refused / (1_000_000 / 7) < 0.01  # about 0.6 %
    dates = sum(not pin_is_acceptable(f"{n:06d}") for n in range(0, 1_000_000, 7))
    assert dates / (1_000_000 / 7) < 0.12  # with dates about 11 %: the space stays 6 digits


@pytest.mark.parametrize("pin", ["12345", "1234567", "12345a", "١٢٣٤٥٦", "583917\n", ""])
def test_anything_but_six_ascii_digits_is_refused(pin):
    assert not pin_is_acceptable(pin)


@pytest.fixture
def facilitator_and_member(app, client, make_user, make_group, make_member):
    facilitator = make_user(Role.FACILITATOR)
    member = make_member(make_group(facilitators=[facilitator]))
    login(client, facilitator)
    return facilitator, member


def member_login_of(app, member):
    with app.app_context():
        return db.session.scalar(select(User).where(User.member_id == member.id))


@pytest.mark.parametrize("pin", ["250394", "940325", "031994", "131994"])
def test_the_pin_form_refuses_a_date_with_a_clear_message(app, client, facilitator_and_member, pin):
    _, member = facilitator_and_member
    response = client.post(f"/members/{member.id}/pin", data={"pin": pin, "confirm": pin})
    assert response.status_code == 200
    assert DATE_MESSAGE in response.get_data(as_text=True)
    assert member_login_of(app, member) is None


@pytest.mark.parametrize("pin", ["000000", "123456", "121212", "246246", "246810", "147258"])
def test_the_pin_form_refuses_a_trivial_pin_with_a_clear_message(
    app, client, facilitator_and_member, pin
):
    _, member = facilitator_and_member
    response = client.post(f"/members/{member.id}/pin", data={"pin": pin, "confirm": pin})
    assert response.status_code == 200
    assert TRIVIAL_MESSAGE in response.get_data(as_text=True)
    assert member_login_of(app, member) is None


def test_the_service_refuses_a_trivial_pin_whoever_calls_it(app, facilitator_and_member):
    from groups.models import Member
    from livelihoods.services.members import set_member_pin

    facilitator, member = facilitator_and_member
    with app.app_context():
        with pytest.raises(DomainError):
            set_member_pin(
                db.session.get(User, facilitator.id), db.session.get(Member, member.id), "111111"
            )
        db.session.rollback()
    assert member_login_of(app, member) is None


def test_the_demo_pin_meets_the_policy_and_the_readme_names_it():
    from demo.grants import DEMO_PIN
    from tests.conftest import ROOT

    assert pin_is_acceptable(DEMO_PIN)
    with open(f"{ROOT}/README.md", encoding="utf-8") as f:
        readme = f.read()
    assert f"code and PIN `{DEMO_PIN}`" in readme


def test_a_member_cannot_turn_their_pin_into_a_password(app, make_user):
    member = make_user(Role.MEMBER)
    client = app.test_client()
    login(client, member)
    assert client.get("/account/password").status_code == 403
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a long new password",
            "confirm": "a long new password",
        },
    )
    assert response.status_code == 403
    client.post("/logout")
    assert (
        client.post(
            "/login/member", data={"code": member.username, "pin": "a long new password"}
        ).status_code
        == 200
    )
    login(client, member)  # the PIN still works


def test_a_new_pin_does_not_reactivate_a_login_an_admin_turned_off(
    app, client, make_user, facilitator_and_member
):
    _, member = facilitator_and_member
    client.post(f"/members/{member.id}/pin", data={"pin": "583917", "confirm": "583917"})
    with app.app_context():
        db.session.scalar(select(User).where(User.member_id == member.id)).active = False
        db.session.commit()
    response = client.post(f"/members/{member.id}/pin", data={"pin": "604172", "confirm": "604172"})
    assert response.status_code == 200
    assert "Quản trị viên đã khóa" in response.get_data(as_text=True)
    assert not member_login_of(app, member).active
    other = app.test_client()
    assert (
        other.post("/login/member", data={"code": member.code, "pin": "604172"}).status_code == 200
    )


def test_the_member_login_page_says_whom_to_ask(client):
    page = client.get("/login/member").get_data(as_text=True)
    assert "Hãy nhờ cán bộ hỗ trợ nhóm của bạn" in page
