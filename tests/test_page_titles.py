"""Each role's home page has a plain <title> (code review d64d4a7 §5.9: the admin's once
carried the markup of a whole card, and no test read a title)."""

import html
import re

import pytest

from accounts.models import Role
from tests.conftest import login
from tests.livelihoods.grant_fixtures import build_world, client_for
from tests.livelihoods.test_member_portal import PIN, member_login, set_pin

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title_of(page: str) -> str:
    found = TITLE.findall(page)
    assert len(found) == 1, found
    return html.unescape(" ".join(found[0].split()))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR, Role.MEMBER])
def test_every_roles_home_page_is_titled_home_and_nothing_else(
    app, make_user, make_group, make_member, role
):
    world = build_world(make_user, make_group, make_member)
    if role == Role.MEMBER:
        assert set_pin(client_for(app, world.facilitator), world.mai).status_code == 302
        browser = app.test_client()
        login(browser, member_login(world.mai, PIN))
    else:
        user = {
            Role.ADMIN: world.admin,
            Role.COORDINATOR: world.coordinator,
            Role.FACILITATOR: world.facilitator,
        }[role]
        browser = client_for(app, user)
    response = browser.get("/")
    assert response.status_code == 200
    assert title_of(response.get_data(as_text=True)) == "Trang chủ · Tự Lực"


def test_the_title_check_sees_markup_in_a_title():
    page = "<title>Trang chủ <section>Tiến độ</section> · Tự Lực</title>"
    assert title_of(page) != "Trang chủ · Tự Lực"
