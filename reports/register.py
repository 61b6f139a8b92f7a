"""A group's monthly attendance register, as on paper: members down, meetings across.

Shown as a page that prints on A4 landscape, or written as a file by reports.exports.
Members appear by code; with `personal=True` (a coordinator or admin who gave a reason,
reports.export_views) by name too.
"""

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import or_, select, union

from core.db import db
from core.i18n import format_day
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import Group, Member, Membership
from reports.exports import INTEGER, Column

# The marks of the paper register: x, V, P in Vietnamese.
MARKS = {
    AttendanceStatus.PRESENT: lazy_pgettext("register mark", "P"),
    AttendanceStatus.ABSENT: lazy_pgettext("register mark", "A"),
    AttendanceStatus.EXCUSED: lazy_pgettext("register mark", "E"),
}


@dataclass
class Register:
    """A group's month as on the paper register: members down, meetings across."""

    group: Group
    month: date
    meetings: list
    lines: list  # (member id, code, full name or None, [mark or None per meeting])
    totals: dict  # member id -> {status: count}

    @property
    def columns(self) -> list[Column]:
        columns = [Column(_l("No."), INTEGER, width=5), Column(_l("Member code"), width=16)]
        if self.lines and self.lines[0][2] is not None:
            columns.append(Column(_l("Full name"), width=26))
        for meeting in self.meetings:
            # The page shows 02/11/2026; a file gets the day itself (reports.exports).
            header = format_day(meeting.held_on)
            note = None
            if meeting.kind != MeetingKind.REGULAR:
                note = meeting.kind.label
                header = f"{header} ({note})"
            columns.append(Column(header, width=11, day=meeting.held_on, note=note))
        columns += [
            Column(_l("Present"), INTEGER),
            Column(_l("Absent"), INTEGER),
            Column(_l("Excused"), INTEGER),
        ]
        return columns

    def rows(self) -> Iterator[tuple]:
        marks = {status: str(mark) for status, mark in MARKS.items()}
        for number, (member_id, code, name, cells) in enumerate(self.lines, start=1):
            counts = self.totals[member_id]
            yield (
                number,
                code,
                *(() if name is None else (name,)),
                *(marks[c] if c else "" for c in cells),
                counts[AttendanceStatus.PRESENT],
                counts[AttendanceStatus.ABSENT],
                counts[AttendanceStatus.EXCUSED],
            )


def month_bounds(month: date) -> tuple[date, date]:
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)


def build_register(group: Group, month: date, *, personal: bool = False) -> Register:
    """The register of one group for one month, in three queries: the meetings, the
    members in the group at some point of the month, and their marks.

    A member who joined or left during the month is listed; their cells before joining
    or after leaving stay empty. The caller has checked that the user may see the group.
    """
    first, last = month_bounds(month)
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.group_id == group.id, Meeting.held_on.between(first, last))
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    # Who was in the group that month, and whoever has a mark at its meetings: two
    # short lists from their indexes (an OR of the two tests read every member).
    listed = union(
        select(Membership.member_id).where(
            Membership.group_id == group.id,
            Membership.joined_on <= last,
            or_(Membership.left_on.is_(None), Membership.left_on > first),
        ),
        select(Attendance.member_id).where(
            Attendance.meeting_id.in_([m.id for m in meetings] or [-1])
        ),
    )
    people = db.session.execute(
        select(Member.id, Member.code, Member.full_name)
        .where(Member.id.in_(listed))
        .order_by(Member.code)
    ).all()
    marks = {
        (meeting_id, member_id): status
        for meeting_id, member_id, status in db.session.execute(
            select(Attendance.meeting_id, Attendance.member_id, Attendance.status).where(
                Attendance.meeting_id.in_([m.id for m in meetings] or [-1])
            )
        )
    }
    lines, totals = [], {}
    for member_id, code, full_name in people:
        cells = [marks.get((m.id, member_id)) for m in meetings]
        totals[member_id] = {s: sum(1 for c in cells if c == s) for s in AttendanceStatus}
        lines.append((member_id, code, full_name if personal else None, cells))
    return Register(group, first, list(meetings), lines, totals)
