"""Two people editing the same record: the later save of an old version is refused,
keeps what was typed, and goes through when sent again."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting
from groups.models import Group, Member
from tests.conftest import HUE, login
from tests.groups.helpers import meeting_data, use_english, version_in

MARCH_3 = date(2025, 3, 3)


@pytest.fixture
def two_editors(app, make_user, make_group, make_member, make_meeting):
    """A facilitator and a coordinator, each in their own browser, on the same Huế group."""
    facilitator = make_user(Role.FACILITATOR)
    coordinator = make_user(Role.COORDINATOR, provinces=(HUE,))
    group = make_group(HUE, facilitators=[facilitator])
    lan = make_member(group, full_name="Nguyễn Thị Lan")
    an = make_member(group, full_name="Trần Văn An")
    meeting = make_meeting(group, MARCH_3)
    first, second = app.test_client(), app.test_client()
    login(first, facilitator)
    login(second, coordinator)
    use_english(second)
    return first, second, group, meeting, lan, an


def stored_meeting(app, meeting_id):
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        marks = dict(
            db.session.execute(
                select(Attendance.member_id, Attendance.status).where(
                    Attendance.meeting_id == meeting_id
                )
            ).all()
        )
        return meeting.topics, meeting.version, marks


def test_second_save_of_an_old_meeting_version_is_refused_and_keeps_what_was_typed(
    app, two_editors
):
    first, second, _group, meeting, lan, an = two_editors
    url = f"/meetings/{meeting.id}/edit"
    first_version = version_in(first.get(url).get_data(as_text=True))
    second_version = version_in(second.get(url).get_data(as_text=True))
    assert first_version == second_version == "1"

    saved = first.post(
        url,
        data=meeting_data(
            MARCH_3,
            {lan.id: "absent", an.id: "present"},
            topics="Chủ đề của người thứ nhất",
            version=first_version,
        ),
    )
    assert saved.status_code == 302

    late = second.post(
        url,
        data=meeting_data(
            MARCH_3,
            {lan.id: "present", an.id: "excused"},
            topics="Second person's topics",
            version=second_version,
        ),
    )
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "alert-error" in page
    assert "Someone else saved this meeting" in page
    # What the second person typed is still in the form…
    assert "Second person&#39;s topics" in page or "Second person's topics" in page
    assert f'id="att-{an.id}-excused" name="att-{an.id}" value="excused" checked' in page
    # …and the first person's save is intact.
    topics, version, marks = stored_meeting(app, meeting.id)
    assert topics == "Chủ đề của người thứ nhất"
    assert marks == {lan.id: AttendanceStatus.ABSENT, an.id: AttendanceStatus.PRESENT}
    # The form now carries the current version: sending it again goes through.
    assert version_in(page) == str(version) == "2"
    again = second.post(
        url,
        data=meeting_data(
            MARCH_3,
            {lan.id: "present", an.id: "excused"},
            topics="Second person's topics",
            version=version_in(page),
        ),
    )
    assert again.status_code == 302
    topics, version, marks = stored_meeting(app, meeting.id)
    assert (topics, version) == ("Second person's topics", 3)
    assert marks == {lan.id: AttendanceStatus.PRESENT, an.id: AttendanceStatus.EXCUSED}


def test_a_change_of_attendance_alone_also_makes_other_open_forms_stale(app, two_editors):
    first, second, _group, meeting, lan, an = two_editors
    url = f"/meetings/{meeting.id}/edit"
    version = version_in(second.get(url).get_data(as_text=True))
    assert (
        first.post(
            url, data=meeting_data(MARCH_3, {lan.id: "absent", an.id: "present"}, version=version)
        ).status_code
        == 302
    )
    late = second.post(
        url, data=meeting_data(MARCH_3, {lan.id: "present", an.id: "present"}, version=version)
    )
    assert late.status_code == 409
    assert stored_meeting(app, meeting.id)[2][lan.id] == AttendanceStatus.ABSENT


@pytest.mark.parametrize("version", ["", "abc", "0", "99"])
def test_meeting_save_with_a_missing_or_wrong_version_is_refused(app, two_editors, version):
    first, _second, _group, meeting, lan, an = two_editors
    response = first.post(
        f"/meetings/{meeting.id}/edit",
        data=meeting_data(
            MARCH_3, {lan.id: "absent", an.id: "absent"}, topics="đổi", version=version
        ),
    )
    assert response.status_code == 409
    topics, stored_version, marks = stored_meeting(app, meeting.id)
    assert (topics, stored_version) == (None, 1)
    assert set(marks.values()) == {AttendanceStatus.PRESENT}


def test_correcting_a_meeting_onto_another_meetings_day_is_refused(app, two_editors, make_meeting):
    first, _second, group, meeting, lan, an = two_editors
    make_meeting(group, date(2025, 3, 10))
    url = f"/meetings/{meeting.id}/edit"
    version = version_in(first.get(url).get_data(as_text=True))
    response = first.post(
        url,
        data=meeting_data(
            date(2025, 3, 10), {lan.id: "present", an.id: "present"}, version=version
        ),
    )
    # A conflict with the meeting already on that day (issue 25: answered 409, with a link).
    assert response.status_code == 409
    assert 'class="error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).held_on == MARCH_3


# Members -------------------------------------------------------------------------------


def member_form(version: str, **overrides) -> dict:
    data = {
        "full_name": "Nguyễn Thị Lan",
        "gender": "female",
        "birth_year": "1990",
        "phone": "",
        "category": "migrant",
        "notes": "",
        "version": version,
    }
    data.update(overrides)
    return data


def test_second_save_of_an_old_member_version_is_refused_and_keeps_what_was_typed(app, two_editors):
    first, second, _group, _meeting, lan, _an = two_editors
    url = f"/members/{lan.id}/edit"
    first_version = version_in(first.get(url).get_data(as_text=True))
    second_version = version_in(second.get(url).get_data(as_text=True))

    assert first.post(url, data=member_form(first_version, phone="0905123456")).status_code == 302
    late = second.post(
        url,
        data=member_form(second_version, birth_year="1988", notes="Needs a phone call on Friday"),
    )
    assert late.status_code in (200, 409)
    page = late.get_data(as_text=True)
    assert "alert-error" in page and "Someone else changed this member" in page
    assert 'value="1988"' in page and "Needs a phone call on Friday" in page
    with app.app_context():
        member = db.session.get(Member, lan.id)
        assert (member.phone, member.birth_year, member.version) == ("0905123456", 1990, 2)
    assert version_in(page) == "2"
    again = second.post(
        url,
        data=member_form(
            version_in(page),
            phone="0905123456",
            birth_year="1988",
            notes="Needs a phone call on Friday",
        ),
    )
    assert again.status_code == 302
    with app.app_context():
        member = db.session.get(Member, lan.id)
        assert (member.phone, member.birth_year, member.version) == ("0905123456", 1988, 3)


def test_second_save_of_an_old_group_version_is_refused(app, two_editors, make_user):
    _first, second, group, _meeting, _lan, _an = two_editors
    other = app.test_client()
    login(other, make_user(Role.ADMIN))
    url = f"/groups/{group.id}/edit"
    version = version_in(second.get(url).get_data(as_text=True))
    data = {
        "name": "Nhóm Thôn Đông",
        "province_code": str(HUE),
        "commune_code": str(group.commune_code),
        "village": "",
        "founded_on": "2025-01-06",
        "status": "active",
        "cadence": "weekly",
        "meeting_weekday": "0",
        "partner": "",
    }
    assert other.post(url, data={**data, "name": "Tên mới", "version": version}).status_code == 302
    late = second.post(url, data={**data, "status": "paused", "version": version})
    assert late.status_code in (200, 409)
    assert "alert-error" in late.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert (row.name, row.status, row.version) == ("Tên mới", "active", 2)
