"""A coordinator on a 360 px phone, JavaScript off: anonymises a member who asked to be
forgotten (confirming on the page), then finds who did what in the audit log."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import Member
from tests.conftest import HUE
from tests.e2e.conftest import submit

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def assert_fits_phone(page) -> None:
    # evaluate goes over the DevTools protocol: it works with the page's JavaScript off.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_coordinator_anonymises_a_member_and_reads_the_audit_log_on_a_phone(
    app, live_server, phone, make_user, make_group, make_member
):
    make_user(
        Role.COORDINATOR,
        username="lan",
        password="một câu dài dễ nhớ",
        full_name="Lê Thị Lan",
        provinces=(HUE,),
    )
    group = make_group(HUE, founded_on=date(2025, 1, 6))
    member = make_member(group, full_name="Phan Thị Thu Hà", phone="0912345678")

    phone.goto(live_server + "/login")
    phone.fill("#username", "lan")
    phone.fill("#password", "một câu dài dễ nhớ")
    submit(phone, "button[type=submit], input[type=submit]")
    phone.goto(f"{live_server}/members/{member.id}")
    assert phone.locator("h1").inner_text().startswith("Phan Thị Thu Hà")
    assert_fits_phone(phone)

    phone.click(f'a[href="/members/{member.id}/anonymise"]')
    phone.wait_for_url(f"**/members/{member.id}/anonymise")
    assert_fits_phone(phone)
    submit(phone, "input[type=submit]")  # without ticking: refused, with a message
    assert phone.locator("p.error").inner_text() == "Đánh dấu vào ô để xác nhận."
    phone.check("#confirm")
    phone.click("input[type=submit]")
    phone.wait_for_url(f"**/members/{member.id}")
    assert phone.locator("h1").inner_text().startswith(member.code)
    with app.app_context():
        row = db.session.scalar(select(Member).where(Member.id == member.id))
        assert (row.full_name, row.phone) == (member.code, None)

    phone.click("nav details.more summary")  # the audit log is under "Thêm" at 360 px
    phone.click('nav a[href="/audit"]')
    phone.wait_for_url("**/audit")
    assert phone.locator("h1").inner_text() == "Nhật ký hoạt động"
    assert_fits_phone(phone)
    phone.fill("#member", member.code)
    phone.select_option("#action", "anonymise")
    submit(phone, "main form button[type=submit]")
    rows = phone.locator("ul.audit li")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "Ẩn danh" in text and member.code in text and "Lê Thị Lan (lan)" in text
    assert "Phan" not in phone.content()
    assert_fits_phone(phone)
