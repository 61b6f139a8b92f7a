"""The meeting schedule a group's cadence sets: expected days, the next one, overdue."""

from datetime import date

import pytest

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.models import Cadence, Group, GroupStatus
from groups.services.schedule import expected_dates, is_overdue, next_meeting_on
from tests.groups.helpers import results, use_english

MON, TUE, THU = 0, 1, 3


@pytest.fixture
def group_row(app, make_group):
    """Make a group and return its row, inside an app context that stays open."""
    ctx = app.app_context()
    ctx.push()

    def make(**kwargs) -> Group:
        made = make_group(**kwargs)
        return db.session.get(Group, made.id)

    yield make
    db.session.rollback()
    ctx.pop()


def test_weekly_dates_start_on_the_first_meeting_weekday_after_founding(group_row):
    # Founded on a Wednesday, meets on Mondays: the first meeting is the next Monday.
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    assert expected_dates(group, date(2025, 1, 1), date(2025, 1, 31)) == [
        date(2025, 1, 6),
        date(2025, 1, 13),
        date(2025, 1, 20),
        date(2025, 1, 27),
    ]


def test_weekly_dates_inside_a_period_include_both_ends(group_row):
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    assert expected_dates(group, date(2025, 1, 13), date(2025, 2, 3)) == [
        date(2025, 1, 13),
        date(2025, 1, 20),
        date(2025, 1, 27),
        date(2025, 2, 3),
    ]


def test_no_meetings_are_expected_before_the_group_was_founded(group_row):
    group = group_row(founded_on=date(2025, 3, 1), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    assert expected_dates(group, date(2025, 1, 1), date(2025, 2, 28)) == []
    assert expected_dates(group, date(2025, 1, 1), date(2025, 3, 10)) == [
        date(2025, 3, 3),
        date(2025, 3, 10),
    ]


def test_fortnightly_dates_keep_the_rhythm_of_the_first_meeting(group_row):
    # Founded Wednesday 1 January 2025, meets on Thursdays: 2, 16, 30 January, 13, 27 February.
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.FORTNIGHTLY, meeting_weekday=THU)
    assert expected_dates(group, date(2025, 1, 1), date(2025, 2, 28)) == [
        date(2025, 1, 2),
        date(2025, 1, 16),
        date(2025, 1, 30),
        date(2025, 2, 13),
        date(2025, 2, 27),
    ]


def test_fortnightly_period_starting_in_the_off_week_skips_to_the_next_meeting(group_row):
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.FORTNIGHTLY, meeting_weekday=THU)
    # 9 January is a Thursday, but not a meeting Thursday.
    assert expected_dates(group, date(2025, 1, 9), date(2025, 2, 12)) == [
        date(2025, 1, 16),
        date(2025, 1, 30),
    ]
    assert expected_dates(group, date(2025, 1, 17), date(2025, 1, 29)) == []


def test_monthly_dates_are_the_first_given_weekday_of_each_month(group_row):
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.MONTHLY, meeting_weekday=TUE)
    assert expected_dates(group, date(2025, 1, 1), date(2025, 4, 30)) == [
        date(2025, 1, 7),
        date(2025, 2, 4),
        date(2025, 3, 4),
        date(2025, 4, 1),
    ]


def test_monthly_dates_cross_the_new_year(group_row):
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.MONTHLY, meeting_weekday=TUE)
    assert expected_dates(group, date(2025, 11, 15), date(2026, 2, 28)) == [
        date(2025, 12, 2),
        date(2026, 1, 6),
        date(2026, 2, 3),
    ]


def test_monthly_meeting_before_the_period_start_is_not_expected(group_row):
    group = group_row(founded_on=date(2025, 1, 10), cadence=Cadence.MONTHLY, meeting_weekday=TUE)
    # 7 January is before the founding; 4 March after the period.
    assert expected_dates(group, date(2025, 1, 1), date(2025, 3, 3)) == [date(2025, 2, 4)]


def test_next_meeting_is_the_first_expected_day_after_the_last_held(group_row):
    group = group_row(founded_on=date(2025, 1, 6), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    # Last held Monday 3 March; on Wednesday 5 March the next is Monday 10 March.
    assert next_meeting_on(group, date(2025, 3, 3), date(2025, 3, 5)) == date(2025, 3, 10)
    # Held today: the next one is a week later, not today.
    assert next_meeting_on(group, date(2025, 3, 10), date(2025, 3, 10)) == date(2025, 3, 17)
    # Recorded ahead of time: the next one is after it.
    assert next_meeting_on(group, date(2025, 3, 10), date(2025, 3, 8)) == date(2025, 3, 17)


def test_next_meeting_after_a_long_gap_is_from_today_on(group_row):
    group = group_row(founded_on=date(2025, 1, 6), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    assert next_meeting_on(group, date(2025, 1, 6), date(2025, 3, 5)) == date(2025, 3, 10)
    assert next_meeting_on(group, None, date(2025, 3, 5)) == date(2025, 3, 10)


def test_next_monthly_meeting_is_in_the_next_month_once_this_months_was_held(group_row):
    group = group_row(founded_on=date(2025, 1, 1), cadence=Cadence.MONTHLY, meeting_weekday=TUE)
    assert next_meeting_on(group, date(2025, 3, 4), date(2025, 3, 5)) == date(2025, 4, 1)
    assert next_meeting_on(group, date(2025, 2, 4), date(2025, 3, 3)) == date(2025, 3, 4)


@pytest.mark.parametrize("status", [GroupStatus.PAUSED, GroupStatus.CLOSED])
def test_paused_or_closed_group_has_no_next_meeting_and_is_never_overdue(group_row, status):
    group = group_row(
        founded_on=date(2025, 1, 6), cadence=Cadence.WEEKLY, meeting_weekday=MON, status=status
    )
    assert next_meeting_on(group, date(2025, 1, 6), date(2025, 3, 5)) is None
    assert not is_overdue(group, date(2025, 1, 6), date(2025, 3, 5))


def test_forming_group_has_a_next_meeting_but_is_not_overdue(group_row):
    group = group_row(
        founded_on=date(2025, 1, 6),
        cadence=Cadence.WEEKLY,
        meeting_weekday=MON,
        status=GroupStatus.FORMING,
    )
    assert next_meeting_on(group, None, date(2025, 3, 5)) == date(2025, 3, 10)
    assert not is_overdue(group, None, date(2025, 3, 5))


@pytest.mark.parametrize(
    ("cadence", "last_day_on_time"),
    [
        (Cadence.WEEKLY, date(2025, 3, 13)),  # 7 days + 3 grace after 3 March
        (Cadence.FORTNIGHTLY, date(2025, 3, 20)),  # 14 + 3
        (Cadence.MONTHLY, date(2025, 4, 6)),  # 31 + 3
    ],
)
def test_group_is_overdue_only_after_its_cadence_plus_three_days(
    group_row, cadence, last_day_on_time
):
    group = group_row(founded_on=date(2025, 1, 6), cadence=cadence, meeting_weekday=MON)
    last_held = date(2025, 3, 3)
    assert not is_overdue(group, last_held, last_day_on_time)
    assert is_overdue(group, last_held, date.fromordinal(last_day_on_time.toordinal() + 1))


def test_group_that_never_met_is_overdue_counting_from_its_founding(group_row):
    group = group_row(founded_on=date(2025, 3, 3), cadence=Cadence.WEEKLY, meeting_weekday=MON)
    assert not is_overdue(group, None, date(2025, 3, 13))
    assert is_overdue(group, None, date(2025, 3, 14))


def test_groups_list_flags_overdue_groups_and_shows_the_next_meeting(
    client, login_as, make_group, make_meeting
):
    login_as(Role.ADMIN)
    use_english(client)
    day = today()
    make_group(name="Nhóm Lâu Không Họp", founded_on=date(2025, 1, 6))
    fresh = make_group(
        name="Nhóm Vừa Họp", founded_on=date(2025, 1, 6), meeting_weekday=day.weekday()
    )
    make_meeting(fresh, day)
    page = results(client.get("/groups").get_data(as_text=True))
    stale_row = page[page.index("Nhóm Lâu Không Họp") : page.index("</li>", page.index("Nhóm Lâu"))]
    fresh_row = page[page.index("Nhóm Vừa Họp") : page.index("</li>", page.index("Nhóm Vừa Họp"))]
    assert "Meeting overdue" in stale_row
    assert "Meeting overdue" not in fresh_row
    # Met today: the next meeting is a week from today.
    next_day = date.fromordinal(day.toordinal() + 7)
    assert f"Next meeting: {next_day.day} {next_day:%b} {next_day.year}" in fresh_row


def test_overdue_in_sql_agrees_with_is_overdue_for_every_cadence_status_and_day(
    app, make_group, make_meeting
):
    """The SQL form (lists, counts, the coordinator's home) and the Python form (one
    group's page) must never disagree: every cadence and status, a group that never met,
    one that met before and after, on every day around the edges."""
    from datetime import timedelta

    from sqlalchemy import select

    from groups.services.schedule import overdue_clause

    made = []
    for cadence in Cadence:
        for status in (GroupStatus.ACTIVE, GroupStatus.FORMING, GroupStatus.PAUSED):
            for last in (None, date(2025, 3, 3), date(2025, 2, 10)):
                group = make_group(
                    founded_on=date(2025, 1, 6), cadence=cadence, status=status, name="Nhóm"
                )
                if last:
                    make_meeting(group, last)
                made.append((group.id, last))
    with app.app_context():
        groups = {g.id: g for g in db.session.scalars(select(Group))}
        for offset in range(0, 80, 1):
            day = date(2025, 2, 10) + timedelta(days=offset)
            in_sql = set(db.session.scalars(select(Group.id).where(overdue_clause(day))))
            # As of `day`: a meeting held after it does not count.
            in_python = {
                gid
                for gid, last in made
                if is_overdue(groups[gid], last if last and last <= day else None, day)
            }
            assert in_sql == in_python, day
        assert in_python  # the range reaches days when some groups are overdue


def test_overdue_on_a_past_day_reads_nothing_after_it(app, make_group, make_meeting):
    """A report of a past period asks who was behind on its last day: a meeting held
    later did not end that wait, and a group closed later was still open then."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from groups.services.schedule import overdue_clause

    day = date(2025, 6, 30)
    founded = date(2025, 1, 6)
    met_later = make_group(founded_on=founded, name="Họp lại sau")
    make_meeting(met_later, date(2025, 3, 3))
    make_meeting(met_later, day + timedelta(days=2))
    closed_later = make_group(founded_on=founded, name="Giải thể sau")
    closed_before = make_group(founded_on=founded, name="Giải thể trước")
    for group, closed_on in ((closed_later, day + timedelta(days=10)), (closed_before, day)):
        with app.app_context():
            db.session.execute(
                update(Group)
                .where(Group.id == group.id)
                .values(status=GroupStatus.CLOSED, closed_on=closed_on, meeting_due_by=None)
            )
            db.session.commit()
    on_time = make_group(founded_on=founded, name="Họp đều")
    make_meeting(on_time, day - timedelta(days=2))
    with app.app_context():
        behind = set(db.session.scalars(select(Group.id).where(overdue_clause(day))))
        assert behind == {met_later.id, closed_later.id}
        # Two days later the wait of the group that met again is over.
        later = set(
            db.session.scalars(select(Group.id).where(overdue_clause(day + timedelta(days=2))))
        )
        assert met_later.id not in later and closed_later.id in later


def test_groups_list_filters_overdue_groups(client, login_as, make_group, make_meeting):
    login_as(Role.ADMIN)
    day = today()
    make_group(name="Nhóm Lâu Không Họp", founded_on=date(2025, 1, 6))
    fresh = make_group(
        name="Nhóm Vừa Họp", founded_on=date(2025, 1, 6), meeting_weekday=day.weekday()
    )
    make_meeting(fresh, day)
    page = client.get("/groups?overdue=1").get_data(as_text=True)
    assert "Nhóm Lâu Không Họp" in page and "Nhóm Vừa Họp" not in page
    page = client.get("/groups").get_data(as_text=True)
    assert "Nhóm Lâu Không Họp" in page and "Nhóm Vừa Họp" in page


def test_an_overdue_group_says_since_when_beside_its_next_meeting(
    client, login_as, make_group, make_meeting
):
    """"Next meeting 09/12 · overdue" alone reads as a contradiction: the page says why
    (usability F9d), from the last regular meeting or, before any, the founding day."""
    login_as(Role.ADMIN)
    use_english(client)
    never = make_group(name="Nhóm Chưa Họp", founded_on=date(2025, 1, 6))
    met = make_group(name="Nhóm Họp Lâu Rồi", founded_on=date(2025, 1, 6))
    make_meeting(met, date(2025, 3, 3))
    page = client.get(f"/groups/{never.id}").get_data(as_text=True)
    assert "Meeting overdue" in page
    assert "No meeting yet since the group started on 6 Jan 2025." in page
    page = client.get(f"/groups/{met.id}").get_data(as_text=True)
    assert "No regular meeting since 3 Mar 2025." in page
