"""Creating and editing groups and members: bad input is a form error and writes nothing."""

import unicodedata
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.clock import today
from core.db import db
from core.places import Commune
from groups.models import Cadence, Group, GroupStatus, Member, Membership
from tests.conftest import HUE, NGHE_AN
from tests.groups.helpers import count, shows_form_error, version_in


def first_commune(app, province_code: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Commune.code)
            .where(Commune.province_code == province_code)
            .order_by(Commune.code)
        )


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HUE,))


@pytest.fixture
def group_data(app):
    def make(**overrides) -> dict:
        data = {
            "name": "Nhóm Thôn Tây",
            "province_code": str(HUE),
            "commune_code": str(first_commune(app, HUE)),
            "village": "Thôn Tây",
            "founded_on": "2025-02-03",
            "status": "active",
            "cadence": "fortnightly",
            "meeting_weekday": "2",
            "partner": "Hội Liên hiệp Phụ nữ xã",
        }
        data.update(overrides)
        return data

    return make


def refused(response) -> bool:
    return response.status_code == 200 and shows_form_error(response.get_data(as_text=True))


# Groups --------------------------------------------------------------------------------


def test_coordinator_creates_a_group_with_its_facilitators(
    app, client, coordinator, group_data, make_user
):
    f1 = make_user(Role.FACILITATOR, full_name="Lê Văn Bình")
    f2 = make_user(Role.FACILITATOR, full_name="Trần Thị Cúc")
    response = client.post("/groups/new", data=group_data(facilitator_ids=[str(f1.id), str(f2.id)]))
    assert response.status_code == 302
    with app.app_context():
        group = db.session.scalars(select(Group)).one()
        assert response.headers["Location"].endswith(f"/groups/{group.id}")
        assert (group.code, group.name, group.province_code, group.village) == (
            "HUE-N001",
            "Nhóm Thôn Tây",
            HUE,
            "Thôn Tây",
        )
        assert (group.founded_on, group.status, group.cadence, group.meeting_weekday) == (
            date(2025, 2, 3),
            GroupStatus.ACTIVE,
            Cadence.FORTNIGHTLY,
            2,
        )
        assert sorted(u.id for u in group.facilitators) == sorted([f1.id, f2.id])


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "N" * 121},
        {"name": ""},
        {"name": "   "},
        {"village": "T" * 121},
        {"partner": "P" * 161},
        {"commune_code": "999999"},
        {"commune_code": "0"},
        {"commune_code": "abc"},
        {"founded_on": ""},
        {"founded_on": "2025-02-30"},
        {"status": "deleted"},
        {"cadence": "daily"},
        {"meeting_weekday": "7"},
        {"province_code": "99"},
    ],
    ids=lambda o: "-".join(f"{k}={v[:8]}" for k, v in o.items()),
)
def test_bad_group_input_is_a_form_error_and_writes_nothing(
    app, client, coordinator, group_data, overrides
):
    response = client.post("/groups/new", data=group_data(**overrides))
    assert refused(response)
    assert count(app, Group) == 0


def test_commune_of_another_province_is_refused(app, client, coordinator, group_data):
    response = client.post(
        "/groups/new", data=group_data(commune_code=str(first_commune(app, NGHE_AN)))
    )
    assert refused(response)
    assert count(app, Group) == 0


def test_founding_date_in_the_future_is_refused(app, client, coordinator, group_data):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert refused(client.post("/groups/new", data=group_data(founded_on=tomorrow)))
    assert count(app, Group) == 0


def test_only_active_facilitators_can_be_assigned(app, client, coordinator, group_data, make_user):
    other_coordinator = make_user(Role.COORDINATOR)
    inactive = make_user(Role.FACILITATOR, active=False)
    for user_id in (other_coordinator.id, inactive.id, 999999):
        response = client.post("/groups/new", data=group_data(facilitator_ids=[str(user_id)]))
        assert refused(response)
    assert count(app, Group) == 0


def test_name_of_exactly_120_characters_is_accepted(app, client, coordinator, group_data):
    name = "Nhóm " + "Đ" * 115
    assert client.post("/groups/new", data=group_data(name=name)).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Group.name)) == name


def test_nul_character_in_a_group_name_is_stripped(app, client, coordinator, group_data):
    response = client.post(
        "/groups/new", data=group_data(name="Nhóm\x00 Thôn\x00 Tây", village="\x00")
    )
    assert response.status_code == 302
    with app.app_context():
        group = db.session.scalars(select(Group)).one()
        assert group.name == "Nhóm Thôn Tây"
        assert not group.village


def test_showing_the_communes_of_a_province_saves_nothing(app, client, coordinator, group_data):
    response = client.post("/groups/new", data=group_data(refresh="1"))
    assert response.status_code == 200
    assert count(app, Group) == 0


def test_over_long_name_when_editing_a_group_changes_nothing(
    app, client, coordinator, group_data, make_group
):
    group = make_group(HUE, name="Nhóm Thôn Đông")
    page = client.get(f"/groups/{group.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/groups/{group.id}/edit",
        data=group_data(
            name="N" * 121, commune_code=str(group.commune_code), version=version_in(page)
        ),
    )
    assert refused(response)
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.name, row.version) == ("Nhóm Thôn Đông", 1)


def edit(client, group, group_data, **overrides):
    page = client.get(f"/groups/{group.id}/edit").get_data(as_text=True)
    return client.post(
        f"/groups/{group.id}/edit",
        data=group_data(
            commune_code=str(group.commune_code),
            founded_on="2025-01-06",
            version=version_in(page),
            **overrides,
        ),
    )


def closing(app, group) -> tuple:
    with app.app_context():
        row = db.session.get(Group, group.id)
        return row.status, row.closed_on


def test_closing_a_group_keeps_the_day_it_closed_and_reopening_forgets_it(
    app, client, coordinator, group_data, make_group
):
    group = make_group(HUE)
    assert edit(client, group, group_data, status="closed").status_code == 302
    assert closing(app, group) == (GroupStatus.CLOSED, today())  # left empty: today
    # Saved again without a day, it keeps the one it has; a day given replaces it.
    assert edit(client, group, group_data, status="closed", closed_on="").status_code == 302
    assert closing(app, group) == (GroupStatus.CLOSED, today())
    response = edit(client, group, group_data, status="closed", closed_on="2025-06-30")
    assert response.status_code == 302
    assert closing(app, group) == (GroupStatus.CLOSED, date(2025, 6, 30))
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "<dt>Ngày nhóm ngừng hoạt động</dt><dd>30/06/2025</dd>" in page
    assert edit(client, group, group_data, status="active").status_code == 302
    assert closing(app, group) == (GroupStatus.ACTIVE, None)
    # A day given for a group that stays open is not kept.
    response = edit(client, group, group_data, status="paused", closed_on="2025-06-30")
    assert response.status_code == 302
    assert closing(app, group) == (GroupStatus.PAUSED, None)


@pytest.mark.parametrize(
    "closed_on, message",
    [
        (
            "2025-01-05",
            "Ngày ngừng hoạt động (05/01/2025) sớm hơn ngày thành lập nhóm (06/01/2025).",
        ),
        ((today() + timedelta(days=1)).isoformat(), None),
        ("30/02/2025", None),
    ],
)
def test_a_closing_day_before_founding_or_after_today_is_refused(
    app, client, coordinator, group_data, make_group, closed_on, message
):
    group = make_group(HUE)
    response = edit(client, group, group_data, status="closed", closed_on=closed_on)
    assert refused(response)
    if message:
        assert message in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.status, row.closed_on, row.version) == (GroupStatus.ACTIVE, None, 1)


# Members -------------------------------------------------------------------------------


@pytest.fixture
def member_data():
    def make(**overrides) -> dict:
        data = {
            "full_name": "Lê Thị Hồng",
            "gender": "female",
            "birth_year": "1992",
            "phone": "0905 123 456",
            "village": "Xóm 3",
            "category": "survivor",
            "notes": "",
            "joined_on": "2025-03-03",
            "role": "member",
            "consents": ["programme_data"],
            "provider": "",
        }
        data.update(overrides)
        return data

    return make


def test_facilitator_adds_a_member_to_their_group(app, client, facilitator_group, member_data):
    group = facilitator_group.group
    response = client.post(f"/groups/{group.id}/members/new", data=member_data())
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalars(select(Member)).one()
        assert (member.full_name, member.birth_year, member.phone, member.province_code) == (
            "Lê Thị Hồng",
            1992,
            "0905 123 456",
            HUE,
        )
        assert member.village == "Xóm 3"
        assert (member.search_name, member.created_by_id) == (
            "le thi hong",
            facilitator_group.user.id,
        )
        membership = member.current_membership
        assert (membership.group_id, membership.joined_on) == (group.id, date(2025, 3, 3))
        assert [c.purpose for c in member.consents] == ["programme_data"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"full_name": "N" * 121},
        {"full_name": ""},
        {"full_name": " \x00 "},
        {"birth_year": "1900"},
        {"birth_year": "năm"},
        {"phone": "gọi chị Lan"},
        {"phone": "123"},
        {"village": "X" * 121},
        {"notes": "x" * 2001},
        {"gender": "unknown"},
        {"category": "victim"},
        {"role": "boss"},
        {"joined_on": "2024-12-31"},  # before the group was founded
        {"joined_on": ""},
        {"consents": ["programme_data", "everything"]},
    ],
    ids=lambda o: "-".join(f"{k}={str(v)[:8]}" for k, v in o.items()),
)
def test_bad_member_input_is_a_form_error_and_writes_nothing(
    app, client, facilitator_group, member_data, overrides
):
    group = facilitator_group.group
    response = client.post(f"/groups/{group.id}/members/new", data=member_data(**overrides))
    assert refused(response)
    assert count(app, Member) == 0 and count(app, Membership) == 0


def test_joining_date_in_the_future_is_refused(app, client, facilitator_group, member_data):
    group = facilitator_group.group
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert refused(
        client.post(f"/groups/{group.id}/members/new", data=member_data(joined_on=tomorrow))
    )
    assert count(app, Member) == 0


def test_nul_character_in_a_member_name_is_stripped(app, client, facilitator_group, member_data):
    group = facilitator_group.group
    response = client.post(
        f"/groups/{group.id}/members/new",
        data=member_data(full_name="Lê\x00 Thị Hồng", notes="\x00"),
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalars(select(Member)).one()
        assert (member.full_name, member.search_name) == ("Lê Thị Hồng", "le thi hong")
        assert not member.notes


def test_decomposed_name_is_stored_composed_and_found_by_search(
    app, client, facilitator_group, member_data
):
    group = facilitator_group.group
    name = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    assert (
        client.post(f"/groups/{group.id}/members/new", data=member_data(full_name=name)).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalar(select(Member.full_name)) == "Nguyễn Thị Lan"
    assert "Nguyễn Thị Lan" in client.get("/members?q=nguyen").get_data(as_text=True)


def test_empty_optional_member_fields_are_stored_as_null(
    app, client, facilitator_group, member_data
):
    group = facilitator_group.group
    response = client.post(
        f"/groups/{group.id}/members/new",
        data=member_data(phone="", notes="  ", birth_year="", village=" "),
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalars(select(Member)).one()
        assert (member.phone, member.notes, member.birth_year) == (None, None, None)
        assert member.village is None


@pytest.mark.parametrize(
    "overrides",
    [{"full_name": "N" * 121}, {"full_name": ""}, {"phone": "abc"}, {"village": "X" * 121}],
)
def test_bad_input_when_editing_a_member_changes_nothing(
    app, client, facilitator_group, make_member, overrides
):
    lan = make_member(facilitator_group.group, full_name="Nguyễn Thị Lan")
    page = client.get(f"/members/{lan.id}/edit").get_data(as_text=True)
    data = {
        "full_name": "Nguyễn Thị Lan",
        "gender": "female",
        "birth_year": "1990",
        "phone": "",
        "category": "migrant",
        "notes": "",
        "version": version_in(page),
    }
    response = client.post(f"/members/{lan.id}/edit", data={**data, **overrides})
    assert refused(response)
    with app.app_context():
        member = db.session.get(Member, lan.id)
        assert (member.full_name, member.version) == ("Nguyễn Thị Lan", 1)


def test_editing_a_member_renames_and_refreshes_search_and_order_keys(
    app, client, facilitator_group, make_member
):
    lan = make_member(facilitator_group.group, full_name="Nguyễn Thị Lan")
    page = client.get(f"/members/{lan.id}/edit").get_data(as_text=True)
    response = client.post(
        f"/members/{lan.id}/edit",
        data={
            "full_name": "Đỗ Thị Lan Anh",
            "gender": "female",
            "birth_year": "1990",
            "phone": "",
            "category": "migrant",
            "notes": "",
            "version": version_in(page),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.get(Member, lan.id)
        assert (member.full_name, member.search_name, member.version) == (
            "Đỗ Thị Lan Anh",
            "do thi lan anh",
            2,
        )
    assert "Đỗ Thị Lan Anh" in client.get("/members?q=do+thi").get_data(as_text=True)


def test_the_village_is_kept_shown_changed_and_audited(app, client, facilitator_group, member_data):
    """A member's own thôn, xóm or tổ: on the new and edit forms, on the member page,
    changed with the rest of the profile and named in the audit."""
    group = facilitator_group.group
    assert 'name="village"' in client.get(f"/groups/{group.id}/members/new").get_data(as_text=True)
    client.post(f"/groups/{group.id}/members/new", data=member_data(village="Tổ 5"))
    with app.app_context():
        member = db.session.scalars(select(Member)).one()
    assert "Tổ 5" in client.get(f"/members/{member.id}").get_data(as_text=True)
    page = client.get(f"/members/{member.id}/edit").get_data(as_text=True)
    assert 'value="Tổ 5"' in page
    data = {
        "full_name": "Lê Thị Hồng",
        "gender": "female",
        "birth_year": "1992",
        "phone": "0905 123 456",
        "village": "Xóm Giếng",
        "category": "survivor",
        "notes": "",
        "version": version_in(page),
    }
    assert client.post(f"/members/{member.id}/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Member, member.id).village == "Xóm Giếng"
        details = db.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.object_type == "members", AuditEvent.action == "update"
            )
        ).all()
    assert details == ["changed=village"]
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Xóm Giếng" in page and "Tổ 5" not in page


def test_group_without_members_lists_nobody_in_the_meeting_form(client, coordinator, make_group):
    group = make_group(HUE, status=GroupStatus.FORMING)
    page = client.get(f"/groups/{group.id}/meetings/new").get_data(as_text=True)
    assert 'name="att-' not in page
