"""The groups section: groups active, meetings expected and held, on time, attendance,
groups behind; also the per-group rows the drill-down, scorecard and charts read."""

from dataclasses import astuple, dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all

from groups.meeting_models import Meeting
from groups.models import Cadence, Group, GroupStatus
from groups.services.schedule import due_by_passed, overdue_clause, schedule_start_sql
from reports.facts.build import meeting_sums
from reports.facts.models import DirtyKey, GroupMonth
from reports.indicators import prepared
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.sql import day_number, days, month_start, ratio


@lru_cache(maxsize=64)
def expected_meetings(period: Period, today: date):
    """SQL over `groups`: the meeting days the group's schedule sets in the period (from
    its founding day, or the later day a group an import made was given its schedule,
    up to today and, for a closed group, up to the day before it closed), as
    groups.services.schedule.expected_dates counts them; 0 for a paused group (the days
    a group was paused are not kept: its status now decides) and for a group not set up.

    Kept for each (period, today) it was asked for: it names the meeting days of every
    month and weekday, and building it took longer than the statement that reads it. An
    SQL expression is never changed once made, so one serves every statement."""
    end = min(period.end, today)
    if end < period.start:
        return literal(0)
    start_n, end_n = days(period.start), days(end)
    founded = day_number(schedule_start_sql())
    closed = day_number(Group.closed_on)
    last_n = case(
        (and_(Group.closed_on.is_not(None), closed - 1 < end_n), closed - 1), else_=literal(end_n)
    )
    # The first meeting weekday on or after the founding day (1970-01-01 was a Thursday).
    anchor = founded + ((Group.meeting_weekday - (founded + 3) % 7) + 7) % 7

    def every(step: int):
        begin = case((founded > start_n, founded), else_=literal(start_n))
        gap = begin - anchor
        first = case((gap <= 0, anchor), else_=anchor + ((gap + step - 1) // step) * step)
        return case((first <= last_n, (last_n - first) // step + 1), else_=0)

    # Monthly: the first such weekday of each month; a short list per weekday.
    firsts: dict[int, list[int]] = {w: [] for w in range(7)}
    for month in period.months():
        for w in range(7):
            day = month + timedelta(days=(w - month.weekday()) % 7)
            if period.start <= day <= end:
                firsts[w].append(days(day))
    monthly = case(
        *[
            (
                Group.meeting_weekday == w,
                sum(
                    (
                        case(
                            (and_(founded <= n, or_(Group.closed_on.is_(None), closed > n)), 1),
                            else_=0,
                        )
                        for n in ns
                    ),
                    literal(0),
                ),
            )
            for w, ns in firsts.items()
        ],
        else_=0,
    )
    return case(
        (Group.cadence.is_(None), 0),
        (Group.status == GroupStatus.PAUSED, 0),
        (and_(Group.status == GroupStatus.CLOSED, Group.closed_on.is_(None)), 0),
        (Group.cadence == Cadence.WEEKLY, every(7)),
        (Group.cadence == Cadence.FORTNIGHTLY, every(14)),
        else_=monthly,
    )


# False reads every period from the operational tables, as before the facts: what the
# tests compare the facts with.
READ_FACTS = True


def reads_facts(period: Period) -> bool:
    """The period is whole months: its meeting figures are read from the facts."""
    return READ_FACTS and period.whole_months


def meeting_rows(scope: Scope, period: Period):
    """A subquery, one row per group in scope with meetings in the period: group_id,
    held, on_time, present, marks (reports.facts.build.meeting_sums).

    For whole months: the facts of each (group, month), except the keys a write marked
    since they were folded in, which are read from their meetings: exact whether or not
    the scheduler has folded them, and cheaper than every meeting of the scope. Any
    other range of days: its meetings, as they are."""
    if not reads_facts(period):
        return (
            select(Meeting.group_id, *meeting_sums())
            .where(
                Meeting.held_on.between(period.start, period.end),
                scope.has_group(Meeting.group_id),
            )
            .group_by(Meeting.group_id)
            .subquery()
        )
    folded = select(
        GroupMonth.group_id,
        GroupMonth.held,
        GroupMonth.on_time,
        GroupMonth.present,
        GroupMonth.marks,
    ).where(
        GroupMonth.month.between(period.start, period.end),
        scope.has_group(GroupMonth.group_id),
        ~exists().where(
            DirtyKey.group_id == GroupMonth.group_id, DirtyKey.month == GroupMonth.month
        ),
    )
    marked = (
        select(Meeting.group_id, *meeting_sums())
        .join(
            DirtyKey,
            and_(
                DirtyKey.group_id == Meeting.group_id,
                DirtyKey.month == month_start(Meeting.held_on),
            ),
        )
        .where(
            DirtyKey.month.between(period.start, period.end),
            Meeting.held_on.between(period.start, period.end),
            scope.has_group(Meeting.group_id),
        )
        .group_by(Meeting.group_id)
    )
    both = union_all(folded, marked).subquery()
    return (
        select(
            both.c.group_id,
            func.sum(both.c.held).label("held"),
            func.sum(both.c.on_time).label("on_time"),
            func.sum(both.c.present).label("present"),
            func.sum(both.c.marks).label("marks"),
        )
        .group_by(both.c.group_id)
        .subquery()
    )


def group_rows(scope: Scope, period: Period, today: date):
    """A subquery, one row per group in scope: id, expected, held, held_on_time,
    present, marks, behind (1/0), not set up now (1/0). The groups section, the
    scorecard and the group comparison all read it."""
    meetings = meeting_rows(scope, period)
    # Behind at the period's end; for a period not over yet, today, which the kept
    # meeting_due_by answers without reading each group's meetings.
    behind = due_by_passed(today) if period.end >= today else overdue_clause(period.end)
    return (
        select(
            Group.id.label("group_id"),
            Group.status.label("status"),
            Group.founded_on.label("founded_on"),
            Group.closed_on.label("closed_on"),
            expected_meetings(period, today).label("expected"),
            func.coalesce(meetings.c.held, 0).label("held"),
            func.coalesce(meetings.c.on_time, 0).label("on_time"),
            func.coalesce(meetings.c.present, 0).label("present"),
            func.coalesce(meetings.c.marks, 0).label("marks"),
            case((behind, 1), else_=0).label("behind"),
            case(
                (and_(Group.cadence.is_(None), Group.status != GroupStatus.CLOSED), 1), else_=0
            ).label("not_set_up"),
        )
        .outerjoin(meetings, meetings.c.group_id == Group.id)
        .where(scope.has_group(Group.id))
        .subquery()
    )


@dataclass(frozen=True)
class GroupSums:
    """The meeting figures of some groups, as sums: what group_figures and the drill-down
    rows are made of."""

    groups: int = 0
    active: int = 0
    expected: int = 0
    held: int = 0
    capped: int = 0  # held, counting no group beyond what it was expected to hold
    on_time: int = 0
    present: int = 0
    marks: int = 0
    behind: int = 0
    not_set_up: int = 0  # open groups without a meeting schedule, now

    def __add__(self, other: "GroupSums") -> "GroupSums":
        return GroupSums(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def completeness(self):
        return ratio(self.capped, self.expected)

    @property
    def attendance(self):
        return ratio(self.present, self.marks)

    def figures(self) -> dict:
        return {
            "active_groups": self.active,
            "meetings_expected": self.expected,
            "meetings_held": self.held,
            "completeness": self.completeness,
            "timeliness": ratio(self.on_time, self.held),
            "attendance": self.attendance,
            "behind": self.behind,
            "not_set_up": self.not_set_up,
            # What each share is over (numerator, denominator), for disclosure control.
            "bases": {
                "completeness": (self.capped, self.expected),
                "timeliness": (self.on_time, self.held),
                "attendance": (self.present, self.marks),
            },
        }


def group_sums(scope: Scope, period: Period, today: date, by=None) -> list[tuple]:
    """(key, GroupSums) of the groups in scope, one row per value of `by` (a column of
    `groups`, such as Group.province_code), or one row (key None) without: one statement.
    Active groups are those active now, or closed after the period began.

    Built once for each shape of scope, period (its days: the meeting days expected are
    worked out from them), day and `by` (reports.indicators.prepared)."""
    result = prepared.run(
        "group_sums",
        scope,
        period,
        lambda s, _p: group_sums_select(s, period, today, by),
        period,
        today,
        by,
        READ_FACTS,
    )
    return [
        (row[0], GroupSums(*(int(v or 0) for v in row[1:])))
        for row in result
        if row[1]  # no group at all: no row
    ]


def group_sums_select(scope: Scope, period: Period, today: date, by=None):
    """The statement of group_sums."""
    rows = group_rows(scope, period, today)
    capped = case((rows.c.held < rows.c.expected, rows.c.held), else_=rows.c.expected)
    active = and_(
        rows.c.founded_on <= period.end,
        or_(
            rows.c.status == GroupStatus.ACTIVE,
            and_(rows.c.status == GroupStatus.CLOSED, rows.c.closed_on > period.start),
        ),
    )
    sums = [
        func.count(),
        func.sum(case((active, 1), else_=0)),
        func.sum(rows.c.expected),
        func.sum(rows.c.held),
        func.sum(capped),
        func.sum(rows.c.on_time),
        func.sum(rows.c.present),
        func.sum(rows.c.marks),
        func.sum(rows.c.behind),
        func.sum(rows.c.not_set_up),
    ]
    if by is None:
        return select(literal(None), *sums).select_from(rows)
    return select(by, *sums).select_from(rows).join(Group, Group.id == rows.c.group_id).group_by(by)


def group_figures(scope: Scope, period: Period, today: date) -> dict:
    """Active groups, meetings expected and held, completeness, timeliness, attendance,
    groups behind: one statement."""
    return sum((s for _key, s in group_sums(scope, period, today)), GroupSums()).figures()
