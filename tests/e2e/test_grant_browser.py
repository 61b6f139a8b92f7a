"""A grant from decision to the member's own page, on 360 px phones with JavaScript off.

The facilitator's application is drafted and submitted through the services. A Huế
coordinator approves a smaller amount typed the Vietnamese way ("4.500.000"), records the
payment and sees the four follow-up visits scheduled; the facilitator gives the member a
PIN; the member logs in with code and PIN and sees their support in plain Vietnamese,
without any amount or anyone else's code, and cannot open the grant page itself.

Each person uses a phone of their own (a separate browser context). Dates are read off
the pages as day/month/year and compared with livelihoods.services.add_months.
"""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.clock import today
from core.db import db
from livelihoods.models import FollowUp, FollowUpStatus, Grant, GrantStatus, Method, Tranche
from livelihoods.services.grants import DEFAULT_CHECK_MONTHS, add_months
from tests.conftest import HUE
from tests.livelihoods.grant_fixtures import make_grant

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
PHONE = {"viewport": {"width": 360, "height": 740}, "java_script_enabled": False, "locale": "vi-VN"}
PIN = "482915"
APPROVED = 4_500_000
# A day as the pages show it: day/month/year, with or without leading zeros.
DAY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
# 4.500.000, 4,500,000, 4 500 000 (any space) or 4500000.
AMOUNT_SHOWN = re.compile(r"4[.,\s\u00a0\u202f]?500[.,\s\u00a0\u202f]?000")


def assert_fits_phone(page) -> None:
    # Playwright's evaluate runs over the DevTools protocol, so it works although the
    # context has JavaScript disabled (the page's own scripts would not run).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def shoot(page, tmp_path, name: str) -> None:
    assert_fits_phone(page)
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def type_amount(page, selector: str, typed: str) -> None:
    """Clear an amount and type it key by key, as on a phone. The field is an
    <input type=number>, which Playwright's fill() refuses "4.500.000" for; keystrokes go
    through Chromium's own filtering of what a number field accepts."""
    page.fill(selector, "")
    page.locator(selector).press_sequentially(typed)


def days_in(text: str) -> list[date]:
    return [date(int(y), int(m), int(d)) for d, m, y in DAY.findall(text)]


def status_shown(page) -> str:
    return page.locator("main dl.facts dd strong").first.inner_text()


def card(page, heading: str):
    return page.locator("main section.card", has=page.locator("h2", has_text=heading))


def staff_login(page, base: str, user) -> None:
    page.goto(base + "/login")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    page.click("main form [type=submit]")
    page.wait_for_url(base + "/")


def test_coordinator_approves_and_pays_and_the_member_sees_it_on_a_phone(
    app, live_server, browser, phone, make_user, make_group, make_member, tmp_path
):
    facilitator = make_user(Role.FACILITATOR, username="thu", full_name="Lê Thị Thu")
    coordinator = make_user(Role.COORDINATOR, username="binh", full_name="Phạm Văn Bình")
    assert coordinator.provinces == (HUE,)
    group = make_group(HUE, facilitators=[facilitator], name="Nhóm Thôn Đông")
    mai = make_member(group, full_name="Trần Thị Mai")
    lan = make_member(group, full_name="Hồ Thị Lan")
    grant_id = make_grant(app, mai, drafter=facilitator, upto="submitted", requested=5_000_000)
    day = today()
    expected_due = {n: add_months(day, n) for n in DEFAULT_CHECK_MONTHS}

    # The coordinator, on a phone in Vietnamese: home → grants waiting → the grant.
    staff_login(phone, live_server, coordinator)
    assert phone.locator("h1").inner_text() == "Chào Phạm Văn Bình"
    # The count opens the decision queue, attendance and earlier grants beside (F9c).
    waiting = phone.locator('main a[href="/progress/grants"]', has_text="chờ bạn duyệt")
    assert waiting.inner_text() == "đơn đề nghị hỗ trợ đang chờ bạn duyệt"
    shoot(phone, tmp_path, "01-coordinator-home")
    waiting.click()
    phone.wait_for_url("**/progress/grants")
    assert phone.locator(f'main a[href="/grants/{grant_id}/decide"]').count() == 1
    shoot(phone, tmp_path, "02-grants-waiting")
    phone.click(f'main a[href="/members/{mai.id}"]')  # who she is, then her application
    phone.wait_for_url(f"**/members/{mai.id}")
    phone.click(f'main a[href="/grants/{grant_id}"]')
    phone.wait_for_url(f"**/grants/{grant_id}")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert mai.code in phone.locator("h1").inner_text()
    assert status_shown(phone) == "Đang chờ xét duyệt"
    shoot(phone, tmp_path, "03-grant-submitted")

    # Decide: approve, a smaller amount typed with dots.
    decide = phone.locator(f'main a[href="/grants/{grant_id}/decide"]')
    assert decide.inner_text() == "Xét duyệt"
    decide.click()
    phone.wait_for_url(f"**/grants/{grant_id}/decide")
    assert phone.input_value("#amount") == "5.000.000"  # the amount requested, with separators
    phone.check('input[name="decision"][value="approve"]')
    type_amount(phone, "#amount", "4.500.000")
    shoot(phone, tmp_path, "04-decide")
    phone.click("main form [type=submit]")
    phone.wait_for_url(re.compile(rf"/grants/{grant_id}$"))
    assert phone.locator(".alert-success").inner_text() == "Đã ghi nhận quyết định."
    assert status_shown(phone) == "Đã duyệt"
    facts = phone.locator("main dl.facts").inner_text()
    assert "4.500.000\u00a0₫" in facts and "5.000.000\u00a0₫" in facts
    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        assert (grant.status, grant.amount_approved) == (GrantStatus.APPROVED, APPROVED)
    shoot(phone, tmp_path, "05-grant-approved")

    # Record the payment: today, 4.500.000 in cash.
    pay = phone.locator(f'main a[href="/grants/{grant_id}/tranches/new"]')
    assert pay.inner_text() == "Ghi đợt cấp hỗ trợ"
    pay.click()
    phone.wait_for_url(f"**/grants/{grant_id}/tranches/new")
    assert phone.input_value("#paid_on") == day.isoformat()
    phone.fill("#paid_on", day.isoformat())
    type_amount(phone, "#amount", "4.500.000")
    phone.select_option("#method", "cash")
    shoot(phone, tmp_path, "06-tranche-form")
    phone.click("main form [type=submit]")
    phone.wait_for_url(re.compile(rf"/grants/{grant_id}$"))
    assert phone.locator(".alert-success").inner_text() == "Đã ghi nhận đợt cấp hỗ trợ."
    assert status_shown(phone) == "Đã cấp hỗ trợ"
    paid = card(phone, "Các đợt cấp hỗ trợ").locator("ul.list > li")
    assert paid.count() == 1
    assert "4.500.000\u00a0₫" in paid.inner_text() and "Tiền mặt" in paid.inner_text()
    assert days_in(paid.inner_text()) == [day]

    # Four visits, 1, 3, 6 and 12 months after today's payment, in that order.
    visits = card(phone, "Lịch thăm theo dõi").locator("ul.list > li")
    assert visits.count() == len(DEFAULT_CHECK_MONTHS) == 4
    shown = {}
    for i in range(visits.count()):
        text = visits.nth(i).inner_text()
        match = re.search(r"Sau (\d+) tháng kể từ đợt cấp đầu: (\S+)", text)
        assert match, text
        shown[int(match.group(1))] = days_in(match.group(2))
        assert "Đã lên lịch" in text, text
    assert list(shown) == list(DEFAULT_CHECK_MONTHS)
    assert shown == {n: [d] for n, d in expected_due.items()}
    shoot(phone, tmp_path, "07-grant-disbursed")

    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        assert grant.status == GrantStatus.DISBURSED
        assert grant.amount_approved == APPROVED
        tranches = db.session.scalars(select(Tranche).where(Tranche.grant_id == grant_id)).all()
        assert [(t.paid_on, t.amount, t.method) for t in tranches] == [(day, APPROVED, Method.CASH)]
        follow_ups = db.session.scalars(
            select(FollowUp).where(FollowUp.grant_id == grant_id).order_by(FollowUp.months_after)
        ).all()
        assert len(follow_ups) == 4
        assert {f.months_after: f.due_on for f in follow_ups} == expected_due
        assert {f.status for f in follow_ups} == {FollowUpStatus.SCHEDULED}
        assert {f.member_id for f in follow_ups} == {mai.id}

    contexts = []
    try:
        # The facilitator, on a phone of her own, gives Mai a PIN from Mai's page.
        context = browser.new_context(**PHONE)
        contexts.append(context)
        helper = context.new_page()
        staff_login(helper, live_server, facilitator)
        helper.goto(f"{live_server}/members/{mai.id}")
        pin_link = helper.locator(f'main a[href="/members/{mai.id}/pin"]')
        assert pin_link.inner_text() == "Đặt mã PIN để thành viên đăng nhập"
        pin_link.click()
        helper.wait_for_url(f"**/members/{mai.id}/pin")
        helper.fill("#pin", PIN)
        helper.fill("#confirm", PIN)
        shoot(helper, tmp_path, "08-set-pin")
        helper.click("main form [type=submit]")
        helper.wait_for_url(re.compile(rf"/members/{mai.id}$"))
        assert mai.code in helper.locator(".alert-success").inner_text()
        shoot(helper, tmp_path, "09-member-record")

        # Mai, on her own phone: code and PIN.
        context = browser.new_context(**PHONE)
        contexts.append(context)
        own = context.new_page()
        own.goto(live_server + "/login/member")
        assert own.locator("h1").inner_text() == "Đăng nhập cho thành viên nhóm"
        own.fill("#code", mai.code)
        own.fill("#pin", PIN)
        shoot(own, tmp_path, "10-member-login")
        own.click("main form [type=submit]")
        own.wait_for_url(live_server + "/")
        assert own.locator("html").get_attribute("lang") == "vi"
        assert own.locator("h1").inner_text() == "Xin chào"
        support = card(own, "Hỗ trợ làm ăn của bạn")
        assert support.locator("strong").inner_text() == "Đã nhận hỗ trợ"  # not staff words
        assert "Cán bộ hỗ trợ nhóm sẽ đến thăm" in support.inner_text()
        facts = own.locator("main dl.facts")
        assert facts.locator("dt").first.inner_text() == "Lần thăm tới"
        assert days_in(facts.locator("dd").first.inner_text()) == [expected_due[1]]
        next_visit = facts.locator("dd").first.inner_text()
        assert re.match(r"(Thứ \w+|Chủ Nhật), \d\d/\d\d/\d{4}$", next_visit), next_visit
        # No phone for her facilitator: no "call", but who and where to ask (F8).
        help_card = card(own, "Khi cần giúp đỡ").inner_text()
        assert "Lê Thị Thu" in help_card and "buổi sinh hoạt nhóm tới" in help_card
        main_text, html = own.locator("main").inner_text(), own.content()
        for text in (main_text, html):
            assert "₫" not in text
            assert not AMOUNT_SHOWN.search(text)
            assert not re.search(r"5[.,\s\u00a0\u202f]?000[.,\s\u00a0\u202f]?000", text)
            assert lan.code not in text
        assert own.locator('a[href^="/grants"]').count() == 0
        shoot(own, tmp_path, "11-member-home")

        # The grant page itself is not for members: not found, not forbidden.
        response = own.goto(f"{live_server}/grants/{grant_id}")
        assert response.status == 404
        assert "₫" not in own.content() and mai.code not in own.content()
        shoot(own, tmp_path, "12-member-grant-404")
    finally:
        for context in contexts:
            context.close()

    with app.app_context():
        assert db.session.scalar(select(func.count(Grant.id))) == 1
