"""A member's own login: the PIN their facilitator sets, the member login page and what
the member sees there: their support, next visit, next meeting and who to contact, in
plain words, and nothing about anyone else."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, lazy_gettext
from sqlalchemy import select

from accounts.models import AuthSession, Role, User
from core.clock import today
from core.db import db
from core.i18n import format_weekday
from livelihoods.models import GrantStatus
from livelihoods.services.grants import add_months
from reports.views import MEMBER_STATUS
from tests.conftest import login
from tests.livelihoods.grant_fixtures import (
    build_world,
    client_for,
    follow_up_ids,
    form_errors,
    make_grant,
    refused_with_form_error,
    snapshot,
    tranche_ids,
    use_english,
)

PIN = "482915"
FACILITATOR_PHONE = "0912 345 678"
# Words that would tell anyone looking at the phone what the programme is about.
# 5.000.000, 5,000,000, 5 000 000 (with any kind of space) or 5000000.
SEP = r"[.,\s\u00a0\u202f]?"
REVEALING = ("buôn bán", "nạn nhân", "trafficking", "victim", "survivor", "sống sót")


@pytest.fixture
def world(make_user, make_group, make_member):
    return build_world(make_user, make_group, make_member)


@pytest.fixture
def facilitator(app, world):
    return client_for(app, world.facilitator)


def set_pin(browser, member, pin=PIN, confirm=None):
    return browser.post(
        f"/members/{member.id}/pin",
        data={"pin": pin, "confirm": pin if confirm is None else confirm},
    )


def member_login(member, pin=PIN):
    """The member as conftest.login expects: code and PIN on the member page."""
    return SimpleNamespace(role=Role.MEMBER, username=member.code, password=pin)


def member_user(app, member):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.member_id == member.id))
        return None if user is None else (user.username, user.role, user.full_name)


def try_login(browser, code, pin):
    return browser.post("/login/member", data={"code": code, "pin": pin})


def localized(app, locale, text) -> str:
    with app.test_request_context(), force_locale(locale):
        return str(text)


def day_in(app, locale, day) -> str:
    """A date as the member page shows it: with its weekday."""
    with app.test_request_context(), force_locale(locale):
        return format_weekday(day)


def staff_status_labels(app) -> list[str]:
    """The grant status words written for staff ("Bản nháp", "Đã cấp hỗ trợ"…)."""
    return [localized(app, "vi", s.label) for s in GrantStatus]


def next_monday_from_today():
    """The world's group meets weekly on Mondays and has held no meeting yet."""
    return today() + timedelta(days=-today().weekday() % 7)


def content(page: str) -> str:
    """What the page says, without the footer (its language form echoes the URL)."""
    return page[: page.index("<footer")]


# Setting the PIN -----------------------------------------------------------------------------


def test_facilitator_sets_a_pin_and_the_member_gets_a_login_by_code(app, world, facilitator):
    assert facilitator.get(f"/members/{world.mai.id}/pin").status_code == 200
    response = set_pin(facilitator, world.mai)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{world.mai.id}"
    # The code, not the name, names the login.
    assert member_user(app, world.mai) == (world.mai.code.lower(), Role.MEMBER, world.mai.code)
    page = facilitator.get(response.headers["Location"]).get_data(as_text=True)
    assert world.mai.code in page and "alert-success" in page


@pytest.mark.parametrize(
    ("pin", "confirm"),
    [
        ("482915", "482916"),  # not the same twice
        ("48a915", "48a915"),
        ("４８２９１５", "４８２９１５"),  # full-width digits
        ("48291", "48291"),
        ("4829150", "4829150"),
        ("", ""),
        ("482 915", "482 915"),
    ],
)
def test_a_pin_that_is_not_six_digits_typed_twice_is_refused(app, world, facilitator, pin, confirm):
    response = set_pin(facilitator, world.mai, pin, confirm)
    assert refused_with_form_error(response)
    assert member_user(app, world.mai) is None


@pytest.mark.parametrize("typed", ["upper", "lower", "spaced"])
def test_member_logs_in_with_their_code_in_any_case(app, world, facilitator, typed):
    set_pin(facilitator, world.mai)
    code = {
        "upper": world.mai.code.upper(),
        "lower": world.mai.code.lower(),
        "spaced": f"  {world.mai.code.lower()} ",
    }[typed]
    browser = app.test_client()
    response = try_login(browser, code, PIN)
    assert response.status_code == 302
    assert browser.get("/").status_code == 200


def test_a_wrong_pin_gets_the_same_message_as_an_unknown_code(app, world, facilitator):
    set_pin(facilitator, world.mai)
    browser = app.test_client()
    use_english(browser)
    answers = [
        try_login(browser, world.mai.code, "000000"),  # wrong PIN
        try_login(browser, "HUE-2025-9999", PIN),  # no such code
        try_login(browser, world.lan.code, PIN),  # a member without a PIN yet
    ]
    messages = [form_errors(r.get_data(as_text=True)) for r in answers]
    assert all(r.status_code == 200 for r in answers)
    assert messages[0] and messages[0] == messages[1] == messages[2]
    assert browser.get("/").status_code == 302


def test_five_wrong_pins_lock_the_code_even_with_the_right_pin(app, world, facilitator):
    set_pin(facilitator, world.mai)
    set_pin(facilitator, world.lan, "853179")
    browser = app.test_client()
    for code in [world.mai.code, world.mai.code.lower()] * 2 + [world.mai.code]:
        assert try_login(browser, code, "111111").status_code == 200
    locked = try_login(browser, world.mai.code.lower(), PIN)
    assert locked.status_code == 429
    assert form_errors(locked.get_data(as_text=True))
    assert browser.get("/").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuthSession.id)
                .join(User, AuthSession.user_id == User.id)
                .where(User.member_id == world.mai.id)
            )
            is None
        )
    # Only that code: another member on the same phone still gets in.
    assert try_login(browser, world.lan.code, "853179").status_code == 302


def test_a_members_pin_does_not_open_the_staff_login(app, world, facilitator):
    set_pin(facilitator, world.mai)
    browser = app.test_client()
    response = browser.post("/login", data={"username": world.mai.code, "password": PIN})
    assert response.status_code == 200
    assert form_errors(response.get_data(as_text=True))
    assert browser.get("/").status_code == 302


def test_staff_credentials_do_not_open_the_member_login(app, world):
    browser = app.test_client()
    for user in (world.facilitator, world.coordinator, world.admin):
        response = try_login(browser, user.username, user.password)
        assert response.status_code == 200
        assert form_errors(response.get_data(as_text=True))
    assert browser.get("/").status_code == 302


def test_a_new_pin_ends_the_members_sessions(app, world, facilitator):
    set_pin(facilitator, world.mai)
    phone = app.test_client()
    login(phone, member_login(world.mai))
    assert phone.get("/").status_code == 200

    assert set_pin(facilitator, world.mai, "571293").status_code == 302
    response = phone.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert try_login(app.test_client(), world.mai.code, PIN).status_code == 200
    assert try_login(app.test_client(), world.mai.code, "571293").status_code == 302


# The member's home page ----------------------------------------------------------------------


@pytest.fixture
def mai_paid(app, world):
    """Mai's grant paid out 5 days ago; Lan (same group) and a Nghệ An member have grants
    of their own, with other amounts."""
    with app.app_context():
        db.session.get(User, world.facilitator.id).phone = FACILITATOR_PHONE
        db.session.commit()
    paid_on = today() - timedelta(days=5)
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        requested=5_000_000,
        paid_on=paid_on,
    )
    make_grant(app, world.lan, drafter=world.facilitator, upto="submitted", requested=7_000_000)
    make_grant(
        app,
        world.other_member,
        drafter=world.other_facilitator,
        upto="disbursed",
        decider=world.other_coordinator,
        requested=3_000_000,
        paid_on=today() - timedelta(days=2),
    )
    return SimpleNamespace(id=grant_id, paid_on=paid_on)


@pytest.fixture
def mai_phone(app, world, facilitator, mai_paid):
    """Mai logged in on her phone, with a PIN her facilitator set."""
    set_pin(facilitator, world.mai)
    set_pin(facilitator, world.lan, "719360")
    phone = app.test_client()
    login(phone, member_login(world.mai))
    return phone


def test_member_home_shows_their_support_next_visit_next_meeting_and_whom_to_call(
    app, world, mai_paid, mai_phone
):
    use_english(mai_phone)
    page = content(mai_phone.get("/").get_data(as_text=True))
    assert localized(app, "en", MEMBER_STATUS[GrantStatus.DISBURSED][0]) in page
    assert localized(app, "en", MEMBER_STATUS[GrantStatus.DISBURSED][1]) in page
    assert day_in(app, "en", add_months(mai_paid.paid_on, 1)) in page
    assert day_in(app, "en", next_monday_from_today()) in page
    assert "Lê Thị Thu" in page
    assert f'href="tel:{FACILITATOR_PHONE.replace(" ", "")}"' in page


def test_member_home_names_no_one_else_and_shows_no_amounts(app, world, mai_paid, mai_phone):
    for locale in ("vi", "en"):
        mai_phone.post("/language", data={"locale": locale})
        response = mai_phone.get("/")
        assert response.status_code == 200
        page = content(response.get_data(as_text=True))
        for other in (world.lan, world.other_member):
            assert other.code not in page
            assert other.full_name not in page
        assert "Cao Văn Dũng" not in page  # another group's facilitator
        assert "₫" not in page and "VND" not in page and "đồng" not in page
        digits = re.sub(r"<[^>]+>", " ", page)
        for amount in (5_000_000, 7_000_000, 3_000_000):
            millions = amount // 1_000_000
            assert not re.search(rf"\b{millions}{SEP}000{SEP}000\b", digits)
        lowered = page.lower()
        assert not [w for w in REVEALING if w in lowered]


def test_member_home_speaks_plain_vietnamese(app, world, mai_paid, mai_phone):
    label, step = MEMBER_STATUS[GrantStatus.DISBURSED]
    mai_phone.post("/language", data={"locale": "vi"})
    page = content(mai_phone.get("/").get_data(as_text=True))
    assert '<html lang="vi">' in page
    assert localized(app, "vi", label) in page
    assert localized(app, "vi", GrantStatus.DISBURSED.label) not in page  # the staff word
    assert localized(app, "vi", step) in page
    assert day_in(app, "vi", add_months(mai_paid.paid_on, 1)) in page
    assert localized(app, "en", step) not in page


def test_member_home_opens_in_vietnamese_with_dates_and_contact(app, world, mai_paid, mai_phone):
    """Whatever the catalog holds: Vietnamese dates for the next visit and meeting, and
    the facilitator to contact."""
    page = content(mai_phone.get("/").get_data(as_text=True))
    assert '<html lang="vi">' in page
    assert day_in(app, "vi", add_months(mai_paid.paid_on, 1)) in page
    assert day_in(app, "vi", next_monday_from_today()) in page
    assert "Lê Thị Thu" in page


def test_member_home_without_a_facilitator_phone_shows_no_number(app, world, facilitator):
    make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    set_pin(facilitator, world.mai)
    phone = app.test_client()
    login(phone, member_login(world.mai))
    page = content(phone.get("/").get_data(as_text=True))
    assert "Lê Thị Thu" in page
    assert "tel:" not in page
    # No "call" without a number to tap: where to find help instead (usability F8).
    assert localized(app, "vi", lazy_gettext("When you need to, call:")) not in page
    assert localized(app, "vi", lazy_gettext("Ask at your group's next meeting.")) in page


@pytest.mark.parametrize("upto", ["draft", "submitted", "approved", "rejected", "returned"])
def test_member_home_says_the_next_step_for_each_status(app, world, facilitator, upto):
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto=upto if upto in ("draft", "submitted", "approved") else "submitted",
        decider=world.coordinator,
    )
    if upto in ("rejected", "returned"):
        decision = {"rejected": "reject", "returned": "return"}[upto]
        coordinator = client_for(app, world.coordinator)
        response = coordinator.post(
            f"/grants/{grant_id}/decide", data={"decision": decision, "note": "Lý do riêng."}
        )
        assert response.status_code == 302
    set_pin(facilitator, world.mai)
    phone = app.test_client()
    login(phone, member_login(world.mai))
    use_english(phone)
    page = content(phone.get("/").get_data(as_text=True))
    status = GrantStatus(upto)
    label, step = MEMBER_STATUS[status]
    assert localized(app, "en", label) in page
    assert localized(app, "en", step) in page
    assert "Lý do riêng." not in page  # the coordinator's reason is not for the member's phone
    phone.post("/language", data={"locale": "vi"})
    page = content(phone.get("/").get_data(as_text=True))
    assert localized(app, "vi", label) in page and localized(app, "vi", step) in page
    assert [w for w in staff_status_labels(app) if w in page] == []


def test_member_home_shows_the_latest_grant(app, world, facilitator, mai_paid):
    make_grant(app, world.mai, drafter=world.facilitator, upto="draft", requested=1_000_000)
    set_pin(facilitator, world.mai)
    phone = app.test_client()
    login(phone, member_login(world.mai))
    use_english(phone)
    page = content(phone.get("/").get_data(as_text=True))
    assert localized(app, "en", MEMBER_STATUS[GrantStatus.DRAFT][1]) in page
    assert localized(app, "en", MEMBER_STATUS[GrantStatus.DISBURSED][1]) not in page


def test_member_home_never_shows_a_past_visit_as_the_next_one(app, world, mai_paid, mai_phone):
    with app.app_context():
        from livelihoods.models import FollowUp

        first = db.session.scalars(
            select(FollowUp).where(FollowUp.grant_id == mai_paid.id).order_by(FollowUp.due_on)
        ).first()
        first.due_on = today() - timedelta(days=3)
        past = first.due_on
        db.session.commit()
    mai_phone.post("/language", data={"locale": "vi"})
    page = content(mai_phone.get("/").get_data(as_text=True))
    assert format_plain(app, past) not in page
    assert "Cán bộ hỗ trợ nhóm sẽ hẹn lại ngày đến thăm." in page


def test_member_home_gives_every_date_with_its_weekday(app, world, mai_paid, mai_phone):
    mai_phone.post("/language", data={"locale": "vi"})
    page = content(mai_phone.get("/").get_data(as_text=True))
    shown = re.findall(r"\d{2}/\d{2}/\d{4}", page)
    assert shown  # the next visit and the next meeting
    for day in shown:
        assert re.search(rf"(Thứ \w+|Chủ Nhật), {day}", page), day


def format_plain(app, day) -> str:
    from core.i18n import format_day

    with app.test_request_context(), force_locale("vi"):
        return format_day(day)


# Everything else is closed to a member --------------------------------------------------------


def test_member_gets_404_on_every_grant_and_member_page(app, world, mai_paid, mai_phone):
    lan_grant = make_grant(app, world.lan, drafter=world.facilitator)
    own_follow_up = follow_up_ids(app, mai_paid.id)[0]
    own_tranche = tranche_ids(app, mai_paid.id)[0]
    paths = [
        f"/grants/{mai_paid.id}",
        f"/grants/{lan_grant}",
        f"/grants/{mai_paid.id}/edit",
        f"/grants/{mai_paid.id}/decide",
        f"/grants/{mai_paid.id}/tranches/new",
        f"/grants/{mai_paid.id}/close",
        f"/tranches/{own_tranche}/edit",
        f"/follow-ups/{own_follow_up}/visit",
        f"/members/{world.mai.id}",
        f"/members/{world.lan.id}",
        f"/members/{world.other_member.id}",
        f"/members/{world.mai.id}/grants/new",
        f"/members/{world.mai.id}/pin",
        f"/members/{world.lan.id}/pin",
        f"/groups/{world.group.id}",
    ]
    for path in paths:
        assert mai_phone.get(path).status_code == 404, path


def test_member_gets_403_or_404_on_staff_pages(app, world, mai_phone):
    for path in ("/grants", "/due", "/groups", "/members", "/admin/users", "/groups/new"):
        assert mai_phone.get(path).status_code in (403, 404), path


def test_member_cannot_change_their_own_grant_or_pin(app, world, facilitator, mai_phone):
    draft = make_grant(app, world.mai, drafter=world.facilitator)
    paid = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    follow_up = follow_up_ids(app, paid)[0]
    before = {g: snapshot(app, g) for g in (draft, paid)}
    posts = [
        (f"/grants/{draft}/submit", {}),
        (f"/grants/{draft}/edit", {"activity": "crops", "plan": "Khác", "amount_requested": "1"}),
        (f"/follow-ups/{follow_up}/visit", {"visited_on": today().isoformat()}),
        (f"/follow-ups/{follow_up}/missed", {}),
        (f"/members/{world.mai.id}/pin", {"pin": "111111", "confirm": "111111"}),
    ]
    for path, data in posts:
        assert mai_phone.post(path, data=data).status_code == 404, path
    assert {g: snapshot(app, g) for g in (draft, paid)} == before
    assert try_login(app.test_client(), world.mai.code, "111111").status_code == 200


def test_member_home_shows_nothing_of_a_referral_even_when_its_check_is_overdue(
    app, world, facilitator
):
    """A referral's check is a follow-up of the member's, but staff work: the member's page
    does not say that a visit is late, nor the service or the reason. Where they were
    referred, and whether it was received, it says (issue 26: tests/support/
    test_member_referrals.py)."""
    from support.jobs import open_referral_checks
    from tests.livelihoods.jobs_fixtures import run
    from tests.support.helpers import make_records

    with app.app_context():
        make_records(world.facilitator.id, world.mai.id)
    run(app, open_referral_checks, today() + timedelta(days=30))
    set_pin(facilitator, world.mai)
    phone = app.test_client()
    login(phone, member_login(world.mai))
    page = phone.get("/").get_data(as_text=True)
    with app.test_request_context(), force_locale("vi"):
        from flask_babel import gettext

        late = gettext("Your facilitator will arrange a new day with you.")
        reach = gettext(
            "Your facilitator can also help you reach a service you need, such as health care"
            " or legal advice."
        )
    assert late not in page
    assert "Cần khám" not in page  # the reason
    with app.test_request_context(), force_locale("vi"):
        from support.models.screening import SupportType

        assert str(SupportType.HEALTH.label) not in page
    assert reach in page
