"""A coordinator brings the demo's old register in on a 360 px phone with JavaScript off:
upload, read the check, confirm the groups to create, choose the communes of the split
wards once, import."""

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.db import db
from demo.register import GROUPS, MEMBERS, PATH
from groups.models import Member

pytestmark = pytest.mark.browser


def test_coordinator_checks_answers_and_imports_an_old_register(
    app, live_server, phone, make_user, markup
):
    make_user(
        Role.COORDINATOR, username="ha", password="một câu dài dễ nhớ", provinces=(46, 42, 40)
    )
    markup.watch(phone)
    phone.goto(live_server + "/login")
    phone.fill("#username", "ha")
    phone.fill("#password", "một câu dài dễ nhớ")
    phone.click("main [type=submit]")
    phone.wait_for_url(live_server + "/")

    phone.goto(live_server + "/members")
    phone.click('main a[href="/imports"]')
    assert phone.locator("h1").inner_text() == "Nhập từ Excel"
    markup.check(phone, "upload")
    phone.check('input[name="kind"][value="members"]')
    phone.set_input_files("#file", str(PATH))
    phone.click("main form button[type=submit]")
    phone.wait_for_url("**/imports/*")
    assert phone.locator("h1").inner_text() == "Kết quả kiểm tra tệp"
    markup.check(phone, "check")

    # The register's groups are not in the app: none is made until the coordinator says so.
    groups = phone.locator("select[name^=unknown_]")
    assert groups.count() == len(GROUPS)
    for i in range(groups.count()):
        groups.nth(i).select_option("new")
    phone.click("text=Lưu lựa chọn nhóm và kiểm tra lại")
    assert phone.locator("select[name^=new_]").count() == len(GROUPS)

    # Three old communes to choose, each asked once; the first choice of each.
    places = phone.locator("fieldset[id^=place-]")
    assert places.count() == 3
    for i in range(3):
        place = phone.locator(f"#place-{i}")
        if place.locator("select").count():
            value = place.locator("select option").nth(1).get_attribute("value")
            place.locator("select").select_option(value)
        else:
            place.locator("input[type=radio]").first.check()
    phone.click("text=Lưu xã đã chọn và kiểm tra lại")
    button = phone.locator("form[action$='/import'] button")
    assert button.inner_text() == f"Nhập {MEMBERS} dòng mới và tạo các nhóm nêu trên"
    markup.check(phone, "answered")
    # 300 members through create_member: seconds, more on a machine shared by many.
    with phone.expect_navigation(timeout=300_000):
        button.click(no_wait_after=True)
    assert f"Đã nhập {MEMBERS} dòng." in phone.locator(".alert").first.inner_text()
    assert f"Đã tạo {len(GROUPS)} nhóm mới" in phone.locator("main").inner_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == MEMBERS
    markup.assert_valid_html()
