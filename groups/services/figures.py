"""Derived figures: attendance rates, meetings held against expected, repeated absences.

Nothing here is stored; every figure is computed from meetings and attendance.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

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
    ranked = select(
        Attendance.member_id,
        Attendance.status,
        Meeting.group_id,
        Meeting.held_on,
        func.row_number()
        .over(
            partition_by=(Attendance.member_id, Meeting.group_id),
            order_by=(Meeting.held_on.desc(), Meeting.id.desc()),
        )
        .label("n"),
    ).join(Meeting)
    if group_ids is not None:
        ranked = ranked.where(Meeting.group_id.in_(group_ids))
    if since is not None:
        ranked = ranked.where(Meeting.held_on >= since)
    ranked = ranked.subquery()
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


def repeated_absences(group_ids) -> list[tuple[Member, int, date]]:
    """Members absent at their group's last two meetings they were marked at.

    Returns (member, group id, date of the latest absence), newest first.
    """
    if not group_ids:
        return []
    rows = repeated_absence_rows(group_ids)
    return [
        tuple(row)
        for row in db.session.execute(
            select(Member, rows.c.group_id, rows.c.absent_on)
            .join(rows, rows.c.member_id == Member.id)
            .order_by(rows.c.absent_on.desc(), Member.sort_key)
        ).all()
    ]
