"""Data protection: lists, search and changes stay inside the user's groups or provinces."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from groups.meeting_models import Attendance, Meeting
from groups.models import Group, Member, Membership
from groups.services import members as member_services
from groups.services import scope
from tests.conftest import HUE, NGHE_AN, login
from tests.groups.helpers import NOBODY, count, meeting_data, results


@pytest.fixture
def two_groups(make_user, make_group, make_member):
    """Two Huế groups with their own facilitators, and a Nghệ An group."""
    mine_f, other_f = make_user(Role.FACILITATOR), make_user(Role.FACILITATOR)
    mine = make_group(HUE, facilitators=[mine_f], name="Nhóm Thôn Đông")
    other = make_group(HUE, facilitators=[other_f], name="Nhóm Thôn Tây")
    far = make_group(NGHE_AN, name="Nhóm Xóm Bắc")
    return {
        "facilitator": mine_f,
        "other_facilitator": other_f,
        "mine": mine,
        "other": other,
        "far": far,
        "lan": make_member(mine, full_name="Nguyễn Thị Lan"),
        "hoa": make_member(other, full_name="Nguyễn Thị Hoa"),
        "mai": make_member(far, full_name="Nguyễn Thị Mai"),
    }


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=nguyen",
        "q=nguyen+thi+hoa",
        "status=all",
        "status=left",
        "group={other}",
        "province=46",
    ],
)
def test_facilitator_never_lists_members_of_a_group_they_do_not_facilitate(
    client, two_groups, query
):
    w = two_groups
    login(client, w["facilitator"])
    page = page_of(client, "/members?" + query.format(other=w["other"].id))
    assert "Nguyễn Thị Hoa" not in page and w["hoa"].code not in page
    assert "Nguyễn Thị Mai" not in page and w["mai"].code not in page


def test_facilitator_cannot_find_another_groups_member_by_exact_code(client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    for other in (w["hoa"], w["mai"]):
        page = results(page_of(client, f"/members?q={other.code}&status=all"))
        assert other.code not in page and other.full_name not in page
    assert "Nguyễn Thị Lan" in page_of(client, f"/members?q={w['lan'].code}")


def test_facilitator_lists_and_filters_only_their_own_groups(client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    members = page_of(client, "/members")
    assert "Nguyễn Thị Lan" in members
    assert "Nhóm Thôn Tây" not in members and w["other"].code not in members
    groups = page_of(client, "/groups")
    assert "Nhóm Thôn Đông" in groups
    assert "Nhóm Thôn Tây" not in groups and "Nhóm Xóm Bắc" not in groups
    assert "Nhóm Thôn Tây" not in page_of(client, f"/groups?q={w['other'].code}")


def test_facilitator_no_longer_sees_a_member_who_moved_to_another_group(app, client, two_groups):
    w = two_groups
    with app.app_context():
        member_services.move_member(
            NOBODY,
            db.session.get(Member, w["lan"].id),
            db.session.get(Group, w["other"].id),
            on=date(2025, 3, 1),
        )
        db.session.commit()
    login(client, w["facilitator"])
    for query in ("", "status=all", "status=left", f"q={w['lan'].code}"):
        assert "Nguyễn Thị Lan" not in page_of(client, "/members?" + query)
    assert client.get(f"/members/{w['lan'].id}").status_code == 403


@pytest.mark.parametrize(
    "query", ["", "q=nguyen", "q={hue_code}", "status=all", "province=46", "group={hue_group}"]
)
def test_coordinator_of_nghe_an_never_lists_hue_members(client, make_user, two_groups, query):
    w = two_groups
    login(client, make_user(Role.COORDINATOR, provinces=(NGHE_AN,)))
    page = results(
        page_of(client, "/members?" + query.format(hue_code=w["lan"].code, hue_group=w["mine"].id))
    )
    for member in (w["lan"], w["hoa"]):
        assert member.full_name not in page and member.code not in page
    assert "Nhóm Thôn Đông" not in page and "Nhóm Thôn Tây" not in page


@pytest.mark.parametrize("query", ["", "q=HUE", "q=Nhóm", "province=46", "status=active"])
def test_coordinator_of_nghe_an_never_lists_hue_groups(client, make_user, two_groups, query):
    w = two_groups
    login(client, make_user(Role.COORDINATOR, provinces=(NGHE_AN,)))
    page = results(page_of(client, "/groups?" + query))
    assert "Nhóm Thôn Đông" not in page and "Nhóm Thôn Tây" not in page
    assert w["mine"].code not in page and w["other"].code not in page


def test_coordinator_of_nghe_an_sees_their_own_province(client, make_user, two_groups):
    login(client, make_user(Role.COORDINATOR, provinces=(NGHE_AN,)))
    assert "Nhóm Xóm Bắc" in page_of(client, "/groups")
    assert "Nguyễn Thị Mai" in page_of(client, "/members?q=nguyen")


def test_coordinator_of_nghe_an_cannot_open_hue_records(client, make_user, two_groups):
    w = two_groups
    login(client, make_user(Role.COORDINATOR, provinces=(NGHE_AN,)))
    assert client.get(f"/groups/{w['mine'].id}").status_code == 403
    assert client.get(f"/members/{w['lan'].id}").status_code == 403


def test_facilitator_cannot_edit_another_groups_member(app, client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    assert client.get(f"/members/{w['hoa'].id}/edit").status_code == 403
    response = client.post(
        f"/members/{w['hoa'].id}/edit",
        data={
            "full_name": "Tên Đã Đổi",
            "gender": "female",
            "category": "community",
            "version": "1",
        },
    )
    assert response.status_code == 403
    with app.app_context():
        member = db.session.get(Member, w["hoa"].id)
        assert (member.full_name, member.version) == ("Nguyễn Thị Hoa", 1)


def test_facilitator_cannot_post_attendance_for_another_group(app, client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    response = client.post(
        f"/groups/{w['other'].id}/meetings/new",
        data=meeting_data(date(2025, 3, 3), {w["hoa"].id: "absent"}),
    )
    assert response.status_code == 403
    assert count(app, Meeting) == 0 and count(app, Attendance) == 0


def test_facilitator_cannot_correct_another_groups_meeting(app, client, two_groups, make_meeting):
    w = two_groups
    meeting = make_meeting(w["other"], date(2025, 3, 3))
    login(client, w["facilitator"])
    response = client.post(
        f"/meetings/{meeting.id}/edit",
        data=meeting_data(date(2025, 3, 3), {w["hoa"].id: "absent"}, topics="đổi", version="1"),
    )
    assert response.status_code == 403
    with app.app_context():
        assert (
            db.session.scalar(select(Attendance.status).where(Attendance.meeting_id == meeting.id))
            == "present"
        )


def test_facilitator_cannot_change_another_groups_membership_or_consent(app, client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    hoa = w["hoa"].id
    assert (
        client.post(
            f"/members/{hoa}/membership", data={"action": "leave", "on": "2025-03-01"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/members/{hoa}/consents", data={"purpose": "phone_contact", "given_on": "2025-03-01"}
        ).status_code
        == 403
    )
    with app.app_context():
        assert (
            db.session.scalar(select(Membership.left_on).where(Membership.member_id == hoa)) is None
        )
    assert (
        client.post(
            f"/groups/{w['other'].id}/members/new",
            data={
                "full_name": "Người Mới",
                "gender": "female",
                "category": "migrant",
                "joined_on": "2025-03-01",
                "role": "member",
            },
        ).status_code
        == 403
    )
    assert count(app, Member) == 3


def test_facilitator_cannot_move_their_member_into_a_group_they_do_not_run(app, client, two_groups):
    w = two_groups
    login(client, w["facilitator"])
    response = client.post(
        f"/members/{w['lan'].id}/membership",
        data={"action": "move", "on": "2025-03-01", "group_id": str(w["other"].id)},
    )
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    assert "Nhóm Thôn Tây" not in response.get_data(as_text=True)
    assert count(app, Membership, Membership.member_id == w["lan"].id) == 1


def test_coordinator_cannot_create_a_group_outside_their_provinces(
    app, client, make_user, two_groups
):
    w = two_groups
    login(client, make_user(Role.COORDINATOR, provinces=(NGHE_AN,)))
    groups_before = count(app, Group)
    response = client.post(
        "/groups/new",
        data={
            "name": "Nhóm Lạ",
            "province_code": str(HUE),
            "commune_code": str(w["mine"].commune_code),
            "founded_on": "2025-01-06",
            "status": "active",
            "cadence": "weekly",
            "meeting_weekday": "0",
        },
    )
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(app, Group) == groups_before


def home_group(member_id: int):
    db.session.expire_all()
    return db.session.scalar(select(Member.home_group_id).where(Member.id == member_id))


def test_the_database_keeps_each_members_home_group_whatever_writes_the_membership(
    app, two_groups
):
    """members.home_group_id follows the memberships through plain SQL too (an import, a
    bulk load, a console): insert, leave, re-open, move the row, delete."""
    w = two_groups
    table = Membership.__table__
    lan = w["lan"].id
    with app.app_context():
        assert home_group(lan) == w["mine"].id
        # She leaves: her last group is still her home.
        db.session.execute(
            table.update().where(table.c.member_id == lan).values(left_on=date(2025, 6, 1))
        )
        assert home_group(lan) == w["mine"].id
        # She joins the far group: the open membership decides.
        db.session.execute(
            table.insert().values(
                member_id=lan, group_id=w["far"].id, role="member", joined_on=date(2025, 7, 1)
            )
        )
        assert home_group(lan) == w["far"].id
        # That row is corrected to the other group.
        db.session.execute(
            table.update()
            .where(table.c.member_id == lan, table.c.group_id == w["far"].id)
            .values(group_id=w["other"].id)
        )
        assert home_group(lan) == w["other"].id
        # Removed: back to the group she left.
        db.session.execute(
            table.delete().where(table.c.member_id == lan, table.c.group_id == w["other"].id)
        )
        assert home_group(lan) == w["mine"].id
        # A row moved to another member sets both members' home groups.
        hoa = w["hoa"].id
        db.session.execute(table.update().where(table.c.member_id == lan).values(member_id=hoa))
        assert home_group(lan) is None
        assert home_group(hoa) == w["other"].id  # her open membership still decides
        db.session.rollback()
        assert home_group(lan) == w["mine"].id


def test_a_member_moved_is_seen_by_the_new_provinces_coordinator_in_the_same_request(
    app, two_groups, make_user
):
    """The kept home group is set in the statement that moves the member: the move's own
    transaction already answers for the new scope, and the old one no longer does."""
    w = two_groups
    admin = make_user(Role.ADMIN)
    hue, nghe_an = make_user(Role.COORDINATOR, provinces=[HUE]), make_user(
        Role.COORDINATOR, provinces=[NGHE_AN]
    )

    def sees(user) -> bool:
        stmt = member_services.visible_members(db.session.get(User, user.id))
        return w["lan"].id in db.session.scalars(stmt.with_only_columns(Member.id)).all()

    with app.app_context():
        assert sees(hue) and not sees(nghe_an)
        member_services.move_member(
            db.session.get(User, admin.id),
            db.session.get(Member, w["lan"].id),
            db.session.get(Group, w["far"].id),
            on=date(2025, 8, 1),
        )
        assert sees(nghe_an) and not sees(hue)
        db.session.rollback()


def test_the_shared_scope_aliases_keep_their_own_rows_wherever_they_are_nested(
    app, make_user, two_groups
):
    """member_in_scope and facilitated_members reuse one alias per table (building a new
    one per call was most of a page's statement-building time). Nested in a statement that
    reads from that very alias, each still reads its own rows instead of binding to the
    outer one: the outer row is Mai (Nghệ An), the test asks about Lan (Huế)."""
    w = two_groups
    hue = make_user(Role.COORDINATOR, provinces=[HUE])
    nghe_an = make_user(Role.COORDINATOR, provinces=[NGHE_AN])
    outer, current = scope._MEMBER, scope._CURRENT

    def finds(user, about: int, *, outer_row: int) -> bool:
        test = scope.member_in_scope(db.session.get(User, user.id), about)
        stmt = select(outer.id).where(outer.id == outer_row, test)
        return db.session.scalar(stmt) is not None

    with app.app_context():
        lan, mai = w["lan"].id, w["mai"].id
        assert finds(hue, lan, outer_row=mai) and finds(w["facilitator"], lan, outer_row=mai)
        assert not finds(nghe_an, lan, outer_row=mai)  # Lan is not Nghệ An's
        assert finds(nghe_an, mai, outer_row=lan) and not finds(hue, mai, outer_row=lan)
        facilitator = db.session.get(User, w["facilitator"].id)
        theirs = current.member_id.in_(scope.facilitated_members(facilitator))
        stmt = select(current.member_id).where(theirs)
        assert db.session.scalars(stmt).all() == [lan]  # not Hoa of the other group
