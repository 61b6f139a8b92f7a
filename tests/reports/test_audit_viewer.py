"""The audit viewer: who sees which events, filters, keyset pages, bad input."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core import audit
from core.audit import AuditEvent
from core.clock import VIETNAM
from core.db import db
from groups.models import Group, Member
from groups.services import members as member_services
from tests.conftest import HUE, NGHE_AN, login, scripts_beyond_the_outbox

NOBODY = type("Nobody", (), {"id": None})()


@pytest.fixture
def scene(app, make_user, make_group, make_member):
    """A Huế member and a Nghệ An member, each viewed once by their facilitator."""
    users = {
        "admin": make_user(Role.ADMIN),
        "hue": make_user(Role.COORDINATOR, username="coord.hue"),
        "nghe_an": make_user(Role.COORDINATOR, provinces=(NGHE_AN,), username="coord.na"),
        "fac_hue": make_user(Role.FACILITATOR, username="fac.hue"),
        "fac_na": make_user(Role.FACILITATOR, username="fac.na"),
    }
    hue_group = make_group(facilitators=[users["fac_hue"]])
    na_group = make_group(NGHE_AN, facilitators=[users["fac_na"]])
    hue_member = make_member(hue_group)
    na_member = make_member(na_group, full_name="Lê Văn Nam")
    for who, member in (("fac_hue", hue_member), ("fac_na", na_member)):
        client = app.test_client()
        login(client, users[who])
        assert client.get(f"/members/{member.id}").status_code == 200
    return users, hue_group, na_group, hue_member, na_member


def page(client, query: str = "") -> str:
    """The list of events shown (not the filter form), or the "none" message."""
    response = client.get("/audit" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return html[html.index("</form>", html.index('<form method="get"')) :]


def test_admin_sees_every_event_including_accounts(client, scene):
    users, _hue, _na, hue_member, na_member = scene
    login(client, users["admin"])
    html = page(client)
    assert hue_member.code in html and na_member.code in html
    assert "fac.hue" in html and "fac.na" in html
    assert "Đăng nhập" in html  # login events: admins only


def test_a_coordinator_sees_only_events_about_their_provinces(client, scene):
    users, _hue, _na, hue_member, na_member = scene
    login(client, users["hue"])
    html = page(client)
    assert hue_member.code in html
    assert na_member.code not in html
    assert "fac.na" not in html
    assert "Đăng nhập" not in html  # account events have no province


def test_history_follows_a_member_who_moves_and_stays_where_it_happened(app, client, scene):
    """Nghệ An's coordinator sees the Huế views of a member who moved there; Huế's
    coordinator keeps the events written while the member was in Huế."""
    users, _hue, na_group, hue_member, _na = scene
    with app.app_context():
        member = db.session.get(Member, hue_member.id)
        member_services.move_member(
            NOBODY, member, db.session.get(Group, na_group.id), on=date(2025, 6, 2)
        )
        db.session.commit()
    login(client, users["nghe_an"])
    assert hue_member.code in page(client, "?action=view")
    other = client.application.test_client()
    login(other, users["hue"])
    assert hue_member.code in page(other, "?action=view")


def test_facilitators_and_members_cannot_open_it(client, scene, make_user):
    users, *_ = scene
    login(client, users["fac_hue"])
    assert client.get("/audit").status_code == 403


def test_filters_by_person_record_action_and_date(app, client, scene):
    users, hue_group, _na, hue_member, na_member = scene
    login(client, users["admin"])
    client.get(f"/groups/{hue_group.id}")  # the admin's own view of the group

    by_person = page(client, "?actor=FAC.HUE")
    assert hue_member.code in by_person and na_member.code not in by_person

    by_code = page(client, f"?member={na_member.code.lower()}")
    assert na_member.code in by_code and hue_member.code not in by_code

    by_record = page(client, f"?record_type=groups&record_id={hue_group.id}")
    assert "Nhóm #" in by_record and hue_member.code not in by_record

    views = page(client, "?action=view")
    assert "Tạo mới" not in views  # "create" events filtered out
    assert "Đã xem" in views

    today = datetime.now(VIETNAM).date()
    assert hue_member.code in page(client, f"?start={today}&end={today}")
    yesterday = today - timedelta(days=1)
    assert "Không có sự kiện nào" in page(client, f"?start={yesterday}&end={yesterday}")


@pytest.mark.parametrize(
    "query, message",
    [
        ("?start=2026-02-30", "Not a valid date value."),
        ("?start=2026-05-01&end=2026-01-01", "The start of the period is after its end."),
        ("?record_type=grants&record_id=abc", "Not a valid integer value."),
        ("?record_type=grants&record_id=0", "Enter a record number such as 42."),
        ("?record_id=4", "Choose the kind of record too."),
        ("?action=drop_table", "Not a valid choice."),
        ("?before=-1", "This page link is not valid; start from the first page."),
        ("?member=" + "X" * 30, "Use at most 20 characters."),
    ],
)
def test_bad_filters_get_a_clear_message_and_no_events(client, scene, query, message):
    users, *_ = scene
    login(client, users["admin"])
    client.post("/language", data={"locale": "en"})
    response = client.get("/audit" + query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert '<ul class="list audit">' not in html


def test_bad_filters_are_explained_in_vietnamese_too(client, scene):
    users, *_ = scene
    login(client, users["admin"])
    html = client.get("/audit?start=2026-05-01&end=2026-01-01").get_data(as_text=True)
    assert "Ngày bắt đầu không được sau ngày kết thúc." in html


def test_keyset_pages_walk_every_event_once_both_ways(app, client, scene):
    users, *_ = scene
    with app.app_context():
        for n in range(60):
            audit.record(NOBODY, "view", object_type="members", object_id=n + 1000)
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    login(client, users["admin"])
    seen, url, pages = [], "/audit", []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(url)
        seen += [int(i) for i in re.findall(r"Thành viên #(\d+)", html)]
        older = re.search(r'href="([^"]+)">Cũ hơn', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert len(pages) == -(-total // 25)
    ids = [i for i in seen if i >= 1000]
    assert sorted(ids, reverse=True) == ids and len(set(ids)) == 60
    newer = re.search(r'href="([^"]+)">‹ Mới hơn', client.get(pages[1]).get_data(as_text=True))
    first_again = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.findall(r"#(\d+)", first_again) == re.findall(
        r"#(\d+)", client.get("/audit").get_data(as_text=True)
    )


def test_the_page_works_without_javascript_and_names_no_member(client, scene):
    users, *_ = scene
    login(client, users["admin"])
    html = client.get("/audit").get_data(as_text=True)
    assert scripts_beyond_the_outbox(html) == []
    assert '<form method="get"' in html
    assert "Trần Thị Mai" not in html and "Lê Văn Nam" not in html


def test_the_viewer_is_in_the_menu_of_admins_and_coordinators_only(app, scene):
    users, *_ = scene
    for who, shown in (("admin", True), ("hue", True), ("fac_hue", False)):
        client = app.test_client()
        login(client, users[who])
        assert ('href="/audit"' in client.get("/").get_data(as_text=True)) == shown


def test_stored_province_is_where_the_subject_was_at_the_time(app, scene):
    _users, _hue, _na, hue_member, _na_member = scene
    with app.app_context():
        provinces = db.session.scalars(
            select(AuditEvent.province_code).where(
                AuditEvent.member_id == hue_member.id, AuditEvent.action == "view"
            )
        ).all()
    assert provinces == [HUE]


def test_a_member_page_links_to_that_members_events(client, scene):
    users, _hue, _na, hue_member, _na_member = scene
    login(client, users["hue"])
    html = client.get(f"/members/{hue_member.id}").get_data(as_text=True)
    link = re.search(r'href="(/audit\?member=[^"]+)"', html).group(1)
    assert hue_member.code in page(client, link[len("/audit") :])


def test_a_member_who_left_stays_with_the_coordinator_of_their_last_group(app, client, scene):
    """The coordinator who may still open the member's page (Member.can_view: the last
    group's province) still reads their history, events stored with no province too."""
    users, _hue, _na, hue_member, na_member = scene
    with app.app_context():
        member_services.leave_group(
            NOBODY, db.session.get(Member, hue_member.id), on=date(2025, 6, 2), reason=None
        )
        # An event stored with no province or group (as before events kept them).
        db.session.add(
            AuditEvent(
                action="update",
                object_type="members",
                object_id=hue_member.id,
                member_id=hue_member.id,
            )
        )
        db.session.commit()
    login(client, users["hue"])
    assert hue_member.code in page(client, "?action=update")
    other = client.application.test_client()
    login(other, users["nghe_an"])
    assert hue_member.code not in page(other, "?action=update")
    assert na_member.code in page(other, "?action=view")
