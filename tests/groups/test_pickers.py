"""Pickers stay small at national size: no list of every group or facilitator of the
country; what is not listed can still be reached (a province first, or a group code)."""

import re

from accounts.models import Role
from tests.conftest import HUE, NGHE_AN, QUANG_TRI
from tests.groups.helpers import count, rows_of_memberships


def group_options(page: str) -> set[str]:
    select = re.search(r'<select id="group" name="group">(.*?)</select>', page, re.S)
    return set(re.findall(r'<option value="(\d+)"', select.group(1))) if select else set()


def test_member_list_offers_the_groups_of_the_chosen_province_only(
    client, login_as, make_group
):
    login_as(Role.ADMIN)
    hue = make_group(HUE, name="Nhóm Huế")
    nghe_an = make_group(NGHE_AN, name="Nhóm Nghệ An")
    # Before a province is chosen an admin gets no group list at all.
    assert group_options(client.get("/members").get_data(as_text=True)) == set()
    page = client.get(f"/members?province={HUE}").get_data(as_text=True)
    assert group_options(page) == {str(hue.id)}
    page = client.get(f"/members?province={NGHE_AN}").get_data(as_text=True)
    assert group_options(page) == {str(nghe_an.id)}
    # A group chosen by a link stays chosen.
    page = client.get(f"/members?group={nghe_an.id}").get_data(as_text=True)
    assert group_options(page) == {str(nghe_an.id)}


def test_a_one_province_coordinator_sees_the_groups_of_that_province_at_once(
    client, login_as, make_group
):
    hue = make_group(HUE)
    make_group(QUANG_TRI)
    login_as(Role.COORDINATOR, provinces=(HUE,))
    assert group_options(client.get("/members").get_data(as_text=True)) == {str(hue.id)}


def test_membership_page_offers_groups_of_the_members_province_and_moves_by_code(
    app, client, login_as, make_group, make_member
):
    from groups.models import Membership

    login_as(Role.ADMIN)
    east = make_group(HUE, name="Nhóm Thôn Đông")
    west = make_group(HUE, name="Nhóm Thôn Tây")
    far = make_group(NGHE_AN, name="Nhóm Xóm Bắc")
    lan = make_member(east, full_name="Nguyễn Thị Lan")
    page = client.get(f"/members/{lan.id}/membership").get_data(as_text=True)
    assert f'value="{west.id}"' in page and f'value="{far.id}"' not in page
    # An unknown code: a message, nothing written.
    response = client.post(
        f"/members/{lan.id}/membership",
        data={"action": "move", "on": "2025-04-01", "role": "member", "group_code": "XX-N999"},
    )
    assert response.status_code == 200
    assert count(app, Membership) == 1
    # The code of a group in another province moves the member there.
    response = client.post(
        f"/members/{lan.id}/membership",
        data={
            "action": "move",
            "on": "2025-04-01",
            "role": "member",
            "group_code": far.code.lower(),
        },
    )
    assert response.status_code == 302
    assert [row[1] for row in rows_of_memberships(app, lan)] == [east.id, far.id]


def test_group_form_offers_facilitators_of_the_province_and_new_ones_only(
    client, login_as, make_group, make_user
):
    here = make_user(Role.FACILITATOR, full_name="Lê Thị Huế")
    elsewhere = make_user(Role.FACILITATOR, full_name="Phan Văn Nghệ")
    new = make_user(Role.FACILITATOR, full_name="Đỗ Thị Mới")
    make_group(HUE, facilitators=[here])
    make_group(NGHE_AN, facilitators=[elsewhere])
    login_as(Role.COORDINATOR, provinces=(HUE,))
    page = client.get("/groups/new").get_data(as_text=True)
    assert "Lê Thị Huế" in page and "Đỗ Thị Mới" in page
    assert "Phan Văn Nghệ" not in page
    # Once the new facilitator helps a group elsewhere, they are offered there, not here.
    make_group(NGHE_AN, facilitators=[new])
    page = client.get("/groups/new").get_data(as_text=True)
    assert "Đỗ Thị Mới" not in page
