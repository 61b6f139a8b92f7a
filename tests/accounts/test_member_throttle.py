"""S4: wrong PINs slow guessing down without handing strangers a lockout.

Before: ten wrong PINs from anyone refused the member's right PIN for 24 hours, and
member codes are sequential, so one address could lock out ~288 members a day. Now a
member code has a doubling delay after a few wrong PINs, which the member's own phone
(known from an earlier login with the current PIN) never waits for, and which a clean
address passes as for staff, for the first few such addresses of the day. The last
test plays a day of guessing from unlimited fresh addresses against the rules.
"""

from datetime import timedelta

from sqlalchemy import select

from accounts import known_devices, throttle
from accounts.models import LoginFailure, Role, User
from core.db import db, utcnow
from tests.accounts.test_throttle import add_failures, post_login, proxied  # noqa: F401
from tests.conftest import login

PIN, NEW_PIN = "583917", "604172"
WAIT = "Nhập sai mã PIN quá nhiều lần cho mã này"


def member_with_pin(app, make_user, make_group, make_member, pin=PIN):
    facilitator = make_user(Role.FACILITATOR)
    member = make_member(make_group(facilitators=[facilitator]))
    staff = app.test_client()
    login(staff, facilitator)
    response = staff.post(f"/members/{member.id}/pin", data={"pin": pin, "confirm": pin})
    assert response.status_code == 302
    return member, staff


def wrong_from(proxied, code: str, addresses) -> list[int]:  # noqa: F811
    client = proxied.test_client()
    return [post_login(client, code, "000000", ip, "/login/member").status_code for ip in addresses]


def test_the_reviewers_eleven_addresses_no_longer_lock_the_member_out(
    app,
    proxied,  # noqa: F811
    make_user,
    make_group,
    make_member,
):
    member, _staff = member_with_pin(app, make_user, make_group, make_member)
    assert wrong_from(proxied, member.code, [f"10.1.{i}.1" for i in range(11)]) == [200] * 11
    response = post_login(proxied.test_client(), member.code, PIN, "10.2.0.1", "/login/member")
    assert response.status_code == 302


def test_past_the_clean_addresses_a_guesser_waits_but_the_members_phone_does_not(
    app,
    proxied,  # noqa: F811
    make_user,
    make_group,
    make_member,
):
    member, staff = member_with_pin(app, make_user, make_group, make_member)
    phone = proxied.test_client()  # the member's own phone logs in once, then out
    assert post_login(phone, member.code, PIN, "10.9.0.1", "/login/member").status_code == 302
    phone.post("/logout")
    statuses = wrong_from(proxied, member.code, [f"10.1.{i}.1" for i in range(25)])
    assert statuses[:20] == [200] * 20 and set(statuses[20:]) == {429}
    # A new phone, even on a clean address and with the right PIN, waits: minutes, not a day.
    stranger = post_login(proxied.test_client(), member.code, PIN, "10.3.0.1", "/login/member")
    assert stranger.status_code == 429
    page = stranger.get_data(as_text=True)
    assert WAIT in page and "phút" in page and "cán bộ hỗ trợ nhóm" in page
    # The member's phone, on another network, goes straight in.
    assert post_login(phone, member.code, PIN, "10.4.0.1", "/login/member").status_code == 302
    assert phone.get("/").status_code == 200
    # The facilitator's new PIN clears the count: any phone may log in with it.
    assert (
        staff.post(
            f"/members/{member.id}/pin", data={"pin": NEW_PIN, "confirm": NEW_PIN}
        ).status_code
        == 302
    )
    other = proxied.test_client()
    assert post_login(other, member.code, NEW_PIN, "10.3.0.1", "/login/member").status_code == 302


def test_the_wait_ends(app, proxied, make_user, make_group, make_member):  # noqa: F811
    member, _staff = member_with_pin(app, make_user, make_group, make_member)
    add_failures(proxied, member.code.lower(), [f"10.5.{i}.1" for i in range(20)])
    client = proxied.test_client()
    assert post_login(client, member.code, PIN, "10.6.0.1", "/login/member").status_code == 429
    with proxied.app_context():
        db.session.execute(
            LoginFailure.__table__.update().values(at=utcnow() - timedelta(hours=5))
        )
        db.session.commit()
    assert post_login(client, member.code, PIN, "10.6.0.1", "/login/member").status_code == 302


def test_an_address_that_failed_today_is_not_clean(
    app,
    proxied,  # noqa: F811
    make_user,
    make_group,
    make_member,
):
    member, _staff = member_with_pin(app, make_user, make_group, make_member)
    add_failures(proxied, member.code.lower(), ["10.7.0.1", "10.7.0.2"] * 3)
    add_failures(proxied, "someone-else", ["10.8.0.1"])  # failed for another code today
    client = proxied.test_client()
    assert post_login(client, member.code, PIN, "10.8.0.1", "/login/member").status_code == 429
    assert post_login(client, member.code, PIN, "10.8.0.2", "/login/member").status_code == 302


def test_a_new_pin_forgets_the_phones_known_for_the_old_one(
    app, make_user, make_group, make_member
):
    member, staff = member_with_pin(app, make_user, make_group, make_member)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.member_id == member.id))
        known = {user.id: known_devices.fingerprint(user)}
        assert known_devices.is_known(known, user)
    staff.post(f"/members/{member.id}/pin", data={"pin": NEW_PIN, "confirm": NEW_PIN})
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.member_id == member.id))
        assert not known_devices.is_known(known, user)


def test_a_made_up_cookie_is_no_known_phone(app, make_user, make_group, make_member):
    member, _staff = member_with_pin(app, make_user, make_group, make_member)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.member_id == member.id))
    for forged in ("", "garbage", f'[[{user_id},"x"]]', f'[[{user_id},"x"]].bad-signature'):
        with app.test_request_context(headers={"Cookie": f"{known_devices.COOKIE}={forged}"}):
            assert known_devices.read() == {}


def test_a_day_of_guessing_from_fresh_addresses_gets_few_tries(app, make_user):
    """An attacker with unlimited addresses tries every minute for 24 hours, each time
    from an address never used before; the member's phone tries every hour."""
    member = make_user(Role.MEMBER)
    limits = throttle.Limits.from_config(app.config)
    start = utcnow()
    guesses, member_refused = 0, 0
    with app.app_context():
        user = db.session.get(User, member.id)
        for minute in range(24 * 60):
            now = start + timedelta(minutes=minute)
            key = f"10.{minute // 250}.{minute % 250}.1"
            if throttle.check(user.username, key, now=now, limits=limits, member=True) is None:
                guesses += 1
                throttle.record_failure(user.username, key, now=now, limits=limits)
                db.session.commit()
            if minute % 60 == 30:
                refusal = throttle.check(
                    user.username, "10.250.0.1", now=now, limits=limits, member=True,
                    known_device=True,
                )  # fmt: skip
                member_refused += refusal is not None
    assert member_refused == 0
    print(f"{guesses} guesses in a day")
    assert guesses <= limits.member_clean_addresses + 20, guesses
    assert guesses * 365 / 1_000_000 < 0.02  # under 2 % of the PINs in a year
