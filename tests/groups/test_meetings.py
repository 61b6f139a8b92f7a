"""Recording a meeting with attendance through the form, and what it refuses."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import GroupStatus
from tests.conftest import HUE
from tests.groups.helpers import count, meeting_data, shows_form_error, use_english

MARCH_3 = date(2025, 3, 3)


@pytest.fixture
def meeting_world(facilitator_group, make_member):
    """The logged-in facilitator's group with three members (joined 6 January 2025)."""
    group = facilitator_group.group
    people = [
        make_member(group, full_name=name)
        for name in ("Nguyễn Thị Lan", "Trần Văn An", "Lê Thị Ánh")
    ]
    return facilitator_group.user, group, people


def nothing_written(app) -> bool:
    return count(app, Meeting) == 0 and count(app, Attendance) == 0


def post_meeting(client, group, data, **kwargs):
    return client.post(f"/groups/{group.id}/meetings/new", data=data, **kwargs)


def refused(response) -> bool:
    """The form came back with an error instead of a redirect."""
    return response.status_code == 200 and shows_form_error(response.get_data(as_text=True))


def test_saving_a_meeting_writes_it_and_one_attendance_row_per_member(app, client, meeting_world):
    user, group, (lan, an, anh) = meeting_world
    response = post_meeting(
        client,
        group,
        meeting_data(
            MARCH_3,
            {lan.id: "present", an.id: "absent", anh.id: "excused"},
            topics="Tiết kiệm nhóm",
            decisions="Họp lại thứ Hai",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.scalars(select(Meeting)).one()
        assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
        assert (meeting.group_id, meeting.held_on, meeting.kind) == (
            group.id,
            MARCH_3,
            MeetingKind.REGULAR,
        )
        assert (meeting.topics, meeting.decisions) == ("Tiết kiệm nhóm", "Họp lại thứ Hai")
        assert meeting.recorded_by_id == user.id
        marks = dict(db.session.execute(select(Attendance.member_id, Attendance.status)).all())
    assert marks == {
        lan.id: AttendanceStatus.PRESENT,
        an.id: AttendanceStatus.ABSENT,
        anh.id: AttendanceStatus.EXCUSED,
    }


def test_saved_meeting_page_shows_the_attendance(client, meeting_world):
    _user, group, (lan, an, anh) = meeting_world
    use_english(client)
    response = post_meeting(
        client,
        group,
        meeting_data(MARCH_3, {lan.id: "present", an.id: "absent", anh.id: "present"}),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "2 of 3 present" in page
    assert page.count('class="att-absent"') == 1
    assert page.count('class="att-present"') == 2


def test_meeting_form_lists_the_members_marked_present_by_default(client, meeting_world):
    _user, group, people = meeting_world
    page = client.get(f"/groups/{group.id}/meetings/new").get_data(as_text=True)
    for member in people:
        assert (
            f'id="att-{member.id}-present" name="att-{member.id}" value="present" checked' in page
        )


def test_meeting_up_to_a_week_ahead_is_planned_without_attendance(app, client, meeting_world):
    _user, group, people = meeting_world
    day = today() + timedelta(days=7)
    response = post_meeting(client, group, meeting_data(day, {}))
    assert response.status_code == 302
    assert count(app, Meeting) == 1
    assert count(app, Attendance) == 0


@pytest.mark.parametrize("ahead", [1, 7])
def test_attendance_for_a_meeting_still_to_come_is_refused(app, client, meeting_world, ahead):
    """Who came is known on the day or after (issue 22): marks for tomorrow are refused
    with both dates named, nothing is saved, and the page then offers the meeting
    without attendance."""
    _user, group, people = meeting_world
    day = today() + timedelta(days=ahead)
    response = post_meeting(client, group, meeting_data(day, {m.id: "present" for m in people}))
    assert refused(response)
    page = response.get_data(as_text=True)
    assert day.strftime("%d/%m/%Y") in page and today().strftime("%d/%m/%Y") in page
    assert 'name="att-' not in page
    assert nothing_written(app)


def test_meeting_more_than_a_week_ahead_is_refused(app, client, meeting_world):
    _user, group, people = meeting_world
    day = today() + timedelta(days=8)
    response = post_meeting(client, group, meeting_data(day, {m.id: "present" for m in people}))
    assert refused(response)
    assert nothing_written(app)


def test_meeting_before_the_group_was_founded_is_refused(app, client, meeting_world):
    _user, group, people = meeting_world
    response = post_meeting(client, group, meeting_data(date(2024, 12, 30), {}))
    assert refused(response)
    assert nothing_written(app)


def test_duplicate_meeting_same_group_day_and_kind_is_refused(
    app, client, meeting_world, make_meeting
):
    _user, group, people = meeting_world
    there = make_meeting(group, MARCH_3)
    before = count(app, Attendance)
    data = meeting_data(MARCH_3, {m.id: "absent" for m in people}, topics="Buổi thứ hai")
    response = post_meeting(client, group, data)
    # A conflict (409): the form comes back as typed, with a link to the meeting there.
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert shows_form_error(page) and "Buổi thứ hai" in page
    assert f'<a class="already-there" href="/meetings/{there.id}">' in page
    assert count(app, Meeting) == 1 and count(app, Attendance) == before
    # Another kind of meeting on the same day is fine.
    response = post_meeting(
        client, group, meeting_data(MARCH_3, {m.id: "present" for m in people}, kind="training")
    )
    assert response.status_code == 302
    assert count(app, Meeting) == 2


def test_attendance_for_a_member_who_had_left_is_refused(app, client, meeting_world, leave):
    _user, group, (lan, an, anh) = meeting_world
    leave(anh, date(2025, 2, 1))
    response = post_meeting(
        client,
        group,
        meeting_data(MARCH_3, {lan.id: "present", an.id: "present", anh.id: "absent"}),
    )
    assert refused(response)
    assert nothing_written(app)
    # Without her, the same meeting is saved with two marks.
    response = post_meeting(
        client, group, meeting_data(MARCH_3, {lan.id: "present", an.id: "present"})
    )
    assert response.status_code == 302
    assert count(app, Attendance) == 2


def test_meeting_before_a_member_left_still_expects_her(app, client, meeting_world, leave):
    _user, group, (lan, an, anh) = meeting_world
    leave(anh, date(2025, 4, 1))
    response = post_meeting(
        client, group, meeting_data(MARCH_3, {lan.id: "present", an.id: "present"})
    )
    assert refused(response)
    assert nothing_written(app)


def test_member_left_unmarked_is_refused(app, client, meeting_world):
    _user, group, (lan, an, _anh) = meeting_world
    response = post_meeting(
        client, group, meeting_data(MARCH_3, {lan.id: "present", an.id: "absent"})
    )
    assert refused(response)
    assert nothing_written(app)
    # What was typed is kept: An is still marked absent.
    page = response.get_data(as_text=True)
    assert f'id="att-{an.id}-absent" name="att-{an.id}" value="absent" checked' in page


def test_member_who_joined_after_the_meeting_day_cannot_be_marked(
    app, client, meeting_world, make_member
):
    _user, group, people = meeting_world
    late = make_member(group, full_name="Võ Thị Mới", joined_on=date(2025, 4, 1))
    marks = {m.id: "present" for m in people} | {late.id: "present"}
    use_english(client)
    response = post_meeting(client, group, meeting_data(MARCH_3, marks))
    assert refused(response)
    assert nothing_written(app)
    # A meeting typed in later for an earlier day (usability F6): the message names the
    # person, not a code, and says what to do; the list below is the day's, without her.
    page = response.get_data(as_text=True)
    assert "Not in the group on 3 Mar 2025: Võ Thị Mới." in page
    assert "tap Save again" in page
    assert f'name="att-{late.id}"' not in page


def test_tampered_mark_for_a_member_of_another_group_writes_nothing(
    app, client, meeting_world, make_group, make_member
):
    _user, group, people = meeting_world
    stranger = make_member(make_group(HUE, name="Nhóm Khác"), full_name="Phan Thị Lạ")
    marks = {m.id: "present" for m in people} | {stranger.id: "absent"}
    response = post_meeting(client, group, meeting_data(MARCH_3, marks))
    assert refused(response)
    assert nothing_written(app)


def test_refusing_a_tampered_mark_does_not_reveal_the_other_groups_member(
    client, meeting_world, make_group, make_member
):
    _user, group, people = meeting_world
    stranger = make_member(make_group(HUE, name="Nhóm Khác"), full_name="Phan Thị Lạ")
    marks = {m.id: "present" for m in people} | {stranger.id: "absent"}
    page = post_meeting(client, group, meeting_data(MARCH_3, marks)).get_data(as_text=True)
    assert stranger.code not in page and "Phan Thị Lạ" not in page


@pytest.mark.parametrize(
    "extra",
    [
        {"att-abc": "present"},
        {"att-": "present"},
        {"att-1x": "absent"},
        {"att-99999999999": "present"},
    ],
)
def test_malformed_attendance_key_is_refused_and_writes_nothing(app, client, meeting_world, extra):
    _user, group, people = meeting_world
    data = meeting_data(MARCH_3, {m.id: "present" for m in people}, **extra)
    assert refused(post_meeting(client, group, data))
    assert nothing_written(app)


@pytest.mark.parametrize("status", ["late", "PRESENT", "", "present\x00"])
def test_unknown_attendance_status_is_refused_and_writes_nothing(
    app, client, meeting_world, status
):
    _user, group, (lan, an, anh) = meeting_world
    data = meeting_data(MARCH_3, {lan.id: "present", an.id: status, anh.id: "present"})
    assert refused(post_meeting(client, group, data))
    assert nothing_written(app)


def test_meeting_without_csrf_token_is_refused_with_400(app, client, meeting_world):
    _user, group, people = meeting_world
    response = client.post(
        f"/groups/{group.id}/meetings/new",
        csrf=False,
        data=meeting_data(MARCH_3, {m.id: "present" for m in people}),
    )
    assert response.status_code == 400
    assert nothing_written(app)


@pytest.mark.parametrize("field", ["topics", "decisions"])
def test_over_long_topics_or_decisions_are_refused(app, client, meeting_world, field):
    _user, group, people = meeting_world
    data = meeting_data(MARCH_3, {m.id: "present" for m in people}, **{field: "x" * 2001})
    assert refused(post_meeting(client, group, data))
    assert nothing_written(app)


def test_topics_of_exactly_2000_characters_are_accepted(app, client, meeting_world):
    _user, group, people = meeting_world
    data = meeting_data(MARCH_3, {m.id: "present" for m in people}, topics="ý" * 2000)
    assert post_meeting(client, group, data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Meeting.topics)) == "ý" * 2000


@pytest.mark.parametrize("held_on", ["", "03/03/2025", "2025-02-30"])
def test_missing_or_unreadable_date_is_refused(app, client, meeting_world, held_on):
    _user, group, people = meeting_world
    data = meeting_data(MARCH_3, {m.id: "present" for m in people})
    data["held_on"] = held_on
    assert refused(post_meeting(client, group, data))
    assert nothing_written(app)


def test_unknown_meeting_kind_is_refused(app, client, meeting_world):
    _user, group, people = meeting_world
    data = meeting_data(MARCH_3, {m.id: "present" for m in people}, kind="party")
    assert refused(post_meeting(client, group, data))
    assert nothing_written(app)


def test_nul_in_topics_is_stripped_not_a_server_error(app, client, meeting_world):
    _user, group, people = meeting_world
    data = meeting_data(
        MARCH_3, {m.id: "present" for m in people}, topics="Tiết\x00 kiệm", decisions="\x00"
    )
    assert post_meeting(client, group, data).status_code == 302
    with app.app_context():
        meeting = db.session.scalars(select(Meeting)).one()
        assert meeting.topics == "Tiết kiệm"
        assert not meeting.decisions


def test_closed_group_takes_no_new_meetings(app, client, login_as, make_group, make_member):
    user = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[user], status=GroupStatus.CLOSED)
    lan = make_member(group)
    response = post_meeting(client, group, meeting_data(MARCH_3, {lan.id: "present"}))
    assert response.status_code == 403
    assert nothing_written(app)


def test_refusal_message_names_the_unmarked_member_in_english(client, meeting_world):
    _user, group, (lan, an, anh) = meeting_world
    use_english(client)
    page = post_meeting(
        client, group, meeting_data(MARCH_3, {lan.id: "present", an.id: "absent"})
    ).get_data(as_text=True)
    assert "Mark every member present, absent or excused" in page
    assert anh.code in page
