"""Derived figures: attendance rates, meetings held against expected, repeated absences.

Nothing here is stored; every figure is computed from meetings and attendance.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import and_, bindparam, case, func, or_, select, union_all

from core.clock import today as clock_today
from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import Group, GroupStatus, Member, Membership
from groups.services.schedule import expected_dates


@dataclass(frozen=True)
class Rate:
    present: int
    total: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.present / self.total) if self.total else None


_present = func.sum(case((Attendance.status == AttendanceStatus.PRESENT, 1), else_=0))


def member_rates(group_id: int, start: date, end: date) -> dict[int, Rate]:
    """Per member: meetings present / meetings they were marked at, in the period."""
    rows = db.session.execute(
        select(Attendance.member_id, _present, func.count())
        .join(Meeting)
        .where(Meeting.group_id == group_id, Meeting.held_on.between(start, end))
        .group_by(Attendance.member_id)
    ).all()
    return {member_id: Rate(int(present or 0), total) for member_id, present, total in rows}


def group_rates(group_ids, start: date, end: date) -> dict[int, Rate]:
    """Per group: attendance marks that were 'present' out of all marks, in the period."""
    if not group_ids:
        return {}
    # The meetings' tallies; a group with no marks in the period has no rate, as before.
    rows = db.session.execute(
        select(Meeting.group_id, func.sum(Meeting.present_count), func.sum(Meeting.marked_count))
        .where(
            Meeting.group_id.in_(group_ids),
            Meeting.held_on.between(start, end),
            Meeting.marked_count > 0,
        )
        .group_by(Meeting.group_id)
    ).all()
    return {gid: Rate(int(present or 0), total) for gid, present, total in rows}


def meetings_held(group_ids, start: date, end: date) -> dict[int, int]:
    """Regular meetings held per group in the period."""
    if not group_ids:
        return {}
    return dict(
        db.session.execute(
            select(Meeting.group_id, func.count())
            .where(
                Meeting.group_id.in_(group_ids),
                Meeting.kind == MeetingKind.REGULAR,
                Meeting.held_on.between(start, end),
            )
            .group_by(Meeting.group_id)
        ).all()
    )


def meetings_expected(group: Group, start: date, end: date, today: date | None = None) -> int:
    """The group's meeting days in the period, counted as the progress figures count them
    (reports.indicators.groups.expected_meetings, in SQL; a test holds them equal): none
    after today, none for a group paused now or closed without its closing day."""
    if group.status == GroupStatus.PAUSED or (
        group.status == GroupStatus.CLOSED and group.closed_on is None
    ):
        return 0
    end = min(end, today or clock_today())
    return len(expected_dates(group, start, end)) if end >= start else 0


def last_regular_meetings(group_ids, until: date | None = None) -> dict[int, date]:
    """The date of each group's latest regular meeting."""
    if not group_ids:
        return {}
    stmt = (
        select(Meeting.group_id, func.max(Meeting.held_on))
        .where(Meeting.group_id.in_(group_ids), Meeting.kind == MeetingKind.REGULAR)
        .group_by(Meeting.group_id)
    )
    if until is not None:
        stmt = stmt.where(Meeting.held_on <= until)
    return dict(db.session.execute(stmt).all())


def repeated_absence_rows(group_ids=None, since: date | None = None):
    """A subquery of (member_id, group_id, absent_on): current members of a group whose
    two latest marks there are both 'absent' (excused does not count). All groups when
    group_ids is None, for jobs that insert from it in one statement; `since` keeps the
    work to recent meetings instead of every mark ever recorded."""
    marks = select(
        Attendance.member_id, Attendance.status, Meeting.group_id, Meeting.held_on, Meeting.id
    ).join(Meeting)
    if group_ids is not None:
        marks = marks.where(Meeting.group_id.in_(group_ids))
    if since is not None:
        marks = marks.where(Meeting.held_on >= since)
    return absence_rows_of(marks.subquery())


def absence_rows_of(marks):
    """(member_id, group_id, absent_on) from a subquery of marks (member_id, status,
    group_id, held_on, id: the meeting's): current members whose two latest marks in the
    group are both 'absent'."""
    ranked = select(
        marks.c.member_id,
        marks.c.status,
        marks.c.group_id,
        marks.c.held_on,
        func.row_number()
        .over(
            partition_by=(marks.c.member_id, marks.c.group_id),
            order_by=(marks.c.held_on.desc(), marks.c.id.desc()),
        )
        .label("n"),
    ).subquery()
    absent = func.sum(case((ranked.c.status == AttendanceStatus.ABSENT, 1), else_=0))
    latest = (
        select(ranked.c.member_id, ranked.c.group_id, func.max(ranked.c.held_on).label("absent_on"))
        .where(ranked.c.n <= 2)
        .group_by(ranked.c.member_id, ranked.c.group_id)
        .having(absent == 2)
        .subquery()
    )
    return (
        select(latest.c.member_id, latest.c.group_id, latest.c.absent_on)
        .join(
            Membership,
            and_(
                Membership.member_id == latest.c.member_id,
                Membership.group_id == latest.c.group_id,
                Membership.left_on.is_(None),
            ),
        )
        .subquery()
    )


# The pages read a group's latest meetings, not every mark ever recorded (the home page
# of a facilitator read four groups' whole history, a window sort over every mark).
RECENT_MEETINGS = 8


def recent_absence_rows(group_ids):
    """repeated_absence_rows for the given groups, exactly, reading only recent marks.

    A member's two latest marks in a group are among the group's meetings on or after
    the day of its RECENT_MEETINGS-th latest meeting (every older mark is older than all
    of those), unless they were marked fewer than twice there: for those current
    members, and only those, their older marks in the group are read too."""
    nth = (
        select(Meeting.held_on)
        .where(Meeting.group_id == Group.id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(1)
        .offset(RECENT_MEETINGS - 1)
        .scalar_subquery()
    )
    cut = select(Group.id.label("group_id"), nth.label("since")).where(Group.id.in_(group_ids))
    cut = cut.cte("absence_cut")
    marks = (Attendance.member_id, Attendance.status, Meeting.group_id, Meeting.held_on, Meeting.id)
    recent = (
        select(*marks)
        .join(Meeting)
        .join(cut, cut.c.group_id == Meeting.group_id)
        .where(or_(cut.c.since.is_(None), Meeting.held_on >= cut.c.since))
        .cte("absence_recent")
    )
    counted = (
        select(recent.c.member_id, recent.c.group_id, func.count().label("n"))
        .group_by(recent.c.member_id, recent.c.group_id)
        .subquery()
    )
    sparse = (
        select(Membership.member_id, Membership.group_id, cut.c.since)
        .join(cut, cut.c.group_id == Membership.group_id)
        .outerjoin(
            counted,
            and_(
                counted.c.member_id == Membership.member_id,
                counted.c.group_id == Membership.group_id,
            ),
        )
        .where(
            Membership.group_id.in_(group_ids),
            Membership.left_on.is_(None),
            cut.c.since.is_not(None),
            func.coalesce(counted.c.n, 0) < 2,
        )
        .cte("absence_sparse")
    )
    older = (
        select(*marks)
        .join(Meeting)
        .join(
            sparse,
            and_(
                sparse.c.member_id == Attendance.member_id,
                sparse.c.group_id == Meeting.group_id,
            ),
        )
        .where(
            # Through the members' own marks (their index), not every mark of the groups.
            Attendance.member_id.in_(select(sparse.c.member_id)),
            Meeting.group_id.in_(group_ids),
            Meeting.held_on < sparse.c.since,
        )
    )
    both = union_all(select(recent), older).subquery()
    return absence_rows_of(both)


def repeated_absences(group_ids) -> list[tuple[Member, int, date]]:
    """Members absent at their group's last two meetings they were marked at.

    Returns (member, group id, date of the latest absence), newest first.
    """
    if not group_ids:
        return []
    return [
        tuple(row)
        for row in db.session.execute(absences_statement(), {"absence_groups": list(group_ids)})
    ]


@cache
def absences_statement():
    """repeated_absences' statement, built once: building its subqueries in SQLAlchemy
    cost more than running them (the groups are a parameter, absence_groups)."""
    rows = recent_absence_rows(bindparam("absence_groups", expanding=True))
    return (
        select(Member, rows.c.group_id, rows.c.absent_on)
        .join(rows, rows.c.member_id == Member.id)
        .order_by(rows.c.absent_on.desc(), Member.sort_key)
    )
