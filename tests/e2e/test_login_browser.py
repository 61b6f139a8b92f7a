import pytest

from accounts.models import Role
from tests.e2e.conftest import submit

pytestmark = pytest.mark.browser


def test_facilitator_logs_in_on_a_phone_and_switches_language(
    live_server, phone, make_user, tmp_path
):
    make_user(
        Role.FACILITATOR, username="lan", password="một câu dài dễ nhớ", full_name="Nguyễn Thị Lan"
    )
    phone.goto(live_server + "/")
    assert phone.locator("h1").inner_text() == "Đăng nhập"
    phone.fill("#username", "lan")
    phone.fill("#password", "một câu dài dễ nhớ")
    submit(phone, "button[type=submit], input[type=submit]")
    assert phone.locator("h1").inner_text() == "Chào Nguyễn Thị Lan"
    # Nothing wider than the phone: no sideways scrolling at 360 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(tmp_path / "home-vi.png"), full_page=True)
    phone.click("button[value=en]")
    assert phone.locator("h1").inner_text() == "Hello, Nguyễn Thị Lan"
    phone.click("header details.account summary")  # the account menu opens without JavaScript
    phone.click("text=Log out")
    assert phone.locator("h1").inner_text() == "Log in"
