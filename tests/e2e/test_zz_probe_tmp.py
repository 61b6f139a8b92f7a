import pytest
from accounts.models import Role
pytestmark = pytest.mark.browser

def test_probe(live_server, phone, make_user, make_group, make_member, tmp_path):
    u = make_user(Role.FACILITATOR, username="hoa", password="một câu dài dễ nhớ")
    g = make_group(facilitators=[u])
    make_member(g, full_name="Hồ Thị Lan Anh")
    phone.goto(live_server + "/")
    phone.fill("#username", "hoa"); phone.fill("#password", "một câu dài dễ nhớ")
    phone.click("button[type=submit]")
    phone.wait_for_url(live_server + "/")
    phone.goto(live_server + f"/groups/{g.id}")
    print(phone.evaluate("""[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 360).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + e.textContent.trim().slice(0,60))"""))
    phone.screenshot(path="/tmp/probe-group.png", full_page=True)
