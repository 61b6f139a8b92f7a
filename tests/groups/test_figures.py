"""Derived figures: attendance rates, meetings held against expected, repeated absences."""

from datetime import date

import pytest

from accounts.models import Role
from core.db import db
from groups.meeting_models import MeetingKind
from groups.models import Group
from groups.services import figures
from groups.services.figures import Rate
from tests.groups.helpers import use_english

JAN_1, JAN_31 = date(2025, 1, 1), date(2025, 1, 31)
MONDAYS = [
    date(2025, 1, 6),
    date(2025, 1, 13),
    date(2025, 1, 20),
    date(2025, 1, 27),
    date(2025, 2, 3),
    date(2025, 2, 10),
]


@pytest.fixture
def january(make_group, make_member, make_meeting):
    """A weekly Monday group in January 2025: three regular meetings (the fourth, 27
    January, was skipped), one training, and one meeting in February."""
    group = make_group(founded_on=date(2025, 1, 6))
    an = make_member(group, full_name="Trần Văn An")
    binh = make_member(group, full_name="Lê Thị Bình")
    make_meeting(group, MONDAYS[0], {binh.id: "absent"})
    make_meeting(group, MONDAYS[1], {an.id: "absent", binh.id: "excused"})
    make_meeting(group, MONDAYS[2])
    make_meeting(group, date(2025, 1, 22), {binh.id: "absent"}, kind=MeetingKind.TRAINING)
    make_meeting(group, MONDAYS[4], {an.id: "absent", binh.id: "absent"})
    return group, an, binh


def test_member_rates_count_present_out_of_marks_in_the_period(app, january):
    group, an, binh = january
    with app.app_context():
        rates = figures.member_rates(group.id, JAN_1, JAN_31)
    # An: present 6, absent 13, present 20, present 22 (training).
    # Bình: absent 6, excused 13, present 20, absent 22.
    assert rates == {an.id: Rate(3, 4), binh.id: Rate(1, 4)}
    assert (rates[an.id].percent, rates[binh.id].percent) == (75, 25)


def test_group_rate_counts_every_mark_in_the_period(app, january):
    group, _an, _binh = january
    with app.app_context():
        assert figures.group_rates([group.id], JAN_1, JAN_31) == {group.id: Rate(4, 8)}
        assert figures.group_rates([group.id], JAN_1, date(2025, 2, 28)) == {group.id: Rate(4, 10)}
        assert figures.group_rates([group.id], date(2025, 3, 1), date(2025, 3, 31)) == {}


def test_rate_of_no_marks_has_no_percent():
    assert Rate(0, 0).percent is None
    assert Rate(2, 3).percent == 67


def test_meetings_held_counts_regular_meetings_only(app, january):
    group, _an, _binh = january
    with app.app_context():
        row = db.session.get(Group, group.id)
        assert figures.meetings_held([group.id], JAN_1, JAN_31) == {group.id: 3}
        assert figures.meetings_expected(row, JAN_1, JAN_31) == 4
        assert figures.meetings_held([group.id], JAN_1, date(2025, 2, 28)) == {group.id: 4}
        assert figures.meetings_expected(row, JAN_1, date(2025, 2, 28)) == 8


def test_group_page_shows_meetings_held_against_expected_for_the_period(client, login_as, january):
    group, _an, _binh = january
    login_as(Role.ADMIN)
    use_english(client)
    page = client.get(f"/groups/{group.id}?from=2025-01-01&to=2025-01-31").get_data(as_text=True)
    assert "<strong>3/4</strong> regular meetings held / expected" in page
    assert "<strong>50%</strong>" in page
    assert "attended 75%" in page and "attended 25%" in page
    page = client.get(f"/groups/{group.id}?from=2025-01-01&to=2025-02-28").get_data(as_text=True)
    assert "<strong>4/8</strong>" in page


@pytest.mark.parametrize(
    "query",
    [
        "from=notadate",
        "to=2025-13-01",
        "from=2025-02-30",
        "from=2025-03-01&to=2025-02-01",
        "from=%00",
    ],
)
def test_bad_period_on_the_group_page_says_why_beside_the_usual_period(
    client, login_as, make_group, query
):
    """Usability B9: the page, never a 500 nor a bare 400, with the reason at the top."""
    group = make_group()
    login_as(Role.ADMIN)
    use_english(client)
    response = client.get(f"/groups/{group.id}?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Something went wrong" not in page and "The usual period is shown instead" in page


def test_bad_period_on_the_member_page_says_why(client, login_as, make_group, make_member):
    member = make_member(make_group())
    login_as(Role.ADMIN)
    use_english(client)
    for query in ("from=2025-03-01&to=2025-02-01", "to=yesterday"):
        response = client.get(f"/members/{member.id}?{query}")
        assert response.status_code == 200
        assert "The usual period is shown instead" in response.get_data(as_text=True)


# Repeated absences ---------------------------------------------------------------------


@pytest.fixture
def absences(make_group, make_member, make_meeting, leave):
    """Members with different patterns over three Monday meetings (oldest first)."""
    group = make_group(founded_on=date(2025, 1, 6))
    names = ("twice", "excused", "broken", "left", "once", "early", "present")
    m = {name: make_member(group, full_name=f"Hội Viên {name.title()}") for name in names}
    patterns = {
        "twice": ("present", "absent", "absent"),
        "excused": ("present", "absent", "excused"),
        "broken": ("absent", "present", "absent"),
        "left": ("present", "absent", "absent"),
        "once": ("present", "present", "absent"),
        "early": ("absent", "absent", "present"),
        "present": ("present", "present", "present"),
    }
    for i, day in enumerate(MONDAYS[:3]):
        make_meeting(group, day, {m[name].id: marks[i] for name, marks in patterns.items()})
    leave(m["left"], date(2025, 1, 25))
    return group, m


def test_repeated_absences_lists_members_whose_two_latest_marks_are_absent(app, absences):
    group, m = absences
    with app.app_context():
        found = figures.repeated_absences([group.id])
        listed = [(member.id, gid, day) for member, gid, day in found]
    assert listed == [(m["twice"].id, group.id, MONDAYS[2])]


def test_two_absences_then_an_absence_in_a_newer_meeting_keeps_the_latest_date(
    app, absences, make_meeting
):
    group, m = absences
    make_meeting(
        group,
        MONDAYS[3],
        {m["twice"].id: "absent", m["excused"].id: "absent", m["once"].id: "absent"},
    )
    with app.app_context():
        found = {member.id: day for member, _gid, day in figures.repeated_absences([group.id])}
    # "excused" is now absent, excused: still not two absences.
    assert found == {m["twice"].id: MONDAYS[3], m["once"].id: MONDAYS[3]}


def test_repeated_absences_of_other_groups_are_not_listed(app, absences, make_group):
    group, _m = absences
    other = make_group()
    with app.app_context():
        assert figures.repeated_absences([other.id]) == []
        assert figures.repeated_absences([]) == []


def test_group_page_lists_members_absent_twice_in_a_row(client, login_as, absences):
    group, _m = absences
    login_as(Role.ADMIN)
    use_english(client)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    section = page[
        page.index("Absent twice in a row") : page.index("</section>", page.index("Absent twice"))
    ]
    assert "Hội Viên Twice" in section
    for name in ("Excused", "Broken", "Left", "Once", "Early", "Present"):
        assert f"Hội Viên {name}" not in section


def test_repeated_absences_reads_older_marks_when_recent_meetings_left_someone_out(
    app, make_group, make_member, make_meeting
):
    """The pages read the group's latest meetings only (figures.RECENT_MEETINGS); a member
    marked fewer than twice there is judged on their older marks, as over the whole
    history."""
    from datetime import timedelta

    from sqlalchemy import delete, select

    from groups.meeting_models import Attendance, Meeting

    group = make_group(founded_on=date(2024, 1, 1))
    names = ("old_absent", "old_then_new", "one_recent", "recent_absent", "present")
    m = {
        name: make_member(group, full_name=f"Hội Viên {name.title()}", joined_on=date(2024, 1, 1))
        for name in names
    }
    days = [date(2024, 1, 1) + timedelta(weeks=i) for i in range(figures.RECENT_MEETINGS + 4)]
    for i, day in enumerate(days):
        marks = {m["old_absent"].id: "absent"} if i < 2 else {}
        if i in (0, len(days) - 1):
            marks[m["old_then_new"].id] = "absent"
        if i == 1:
            marks[m["one_recent"].id] = "absent"
        if i >= len(days) - 2:
            marks[m["recent_absent"].id] = "absent"
        make_meeting(group, day, marks)
    with app.app_context():
        meetings = select(Meeting.id).where(Meeting.group_id == group.id)
        # Marked only at the first two meetings; at the first and the last; at the
        # second (absent) and the last (present).
        keep = {
            m["old_absent"].id: days[:2],
            m["old_then_new"].id: [days[0], days[-1]],
            m["one_recent"].id: [days[1], days[-1]],
        }
        for member_id, kept in keep.items():
            db.session.execute(
                delete(Attendance).where(
                    Attendance.member_id == member_id,
                    Attendance.meeting_id.in_(meetings.where(Meeting.held_on.not_in(kept))),
                )
            )
        # Read in the same transaction, then undone: the meetings' tallies and the
        # analytics tables stay those of the marks recorded.
        found = {member.id: day for member, _gid, day in figures.repeated_absences([group.id])}
        whole = db.session.execute(select(figures.repeated_absence_rows([group.id]))).all()
        db.session.rollback()
    assert found == {
        m["old_absent"].id: days[1],
        m["old_then_new"].id: days[-1],
        m["recent_absent"].id: days[-1],
    }
    assert found == {member_id: day for member_id, _gid, day in whole}
