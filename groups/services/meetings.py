"""Meetings and attendance: recorded on one form, in a constant number of statements."""

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, or_, select, update

from accounts.models import User
from core import audit
from core.dates import Day, check_day, not_before
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.i18n import format_day
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import Group, Member, Membership
from groups.services.errors import StaleEdit
from groups.services.schedule import keep_meeting_due_by

MAX_DAYS_AHEAD = 7


class AttendanceProblem(DomainError):
    """Attendance names members who cannot be marked, or leaves some unmarked."""

    def __init__(self, message, codes: list[str]):
        super().__init__(message, "attendance")
        self.codes = codes


def members_on(group_id: int, day: date) -> list[Member]:
    """Members of the group on that day, in Vietnamese name order (one query)."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Membership)
            .where(
                Membership.group_id == group_id,
                Membership.joined_on <= day,
                or_(Membership.left_on.is_(None), Membership.left_on > day),
            )
            .order_by(Member.sort_key, Member.id)
        )
    )


def _check_date(group: Group, held_on: date, today: date) -> None:
    """A meeting may be planned up to a week ahead, within the group's life."""
    check_day(held_on, today, "held_on", ahead_days=MAX_DAYS_AHEAD)
    not_before(
        held_on,
        group.founded_on,
        _l("The meeting date (%(day)s) is before the group was founded (%(founded)s)."),
        "held_on",
    )
    if group.closed_on is not None and held_on > group.closed_on:
        raise DomainError(
            _l(
                "The meeting date (%(day)s) is after the group stopped meeting (%(closed)s).",
                day=Day(held_on),
                closed=Day(group.closed_on),
            ),
            "held_on",
        )


def _check_attendance(
    group: Group, held_on: date, marks: dict[int, AttendanceStatus], today: date
) -> None:
    """Who came is known on the meeting's day or after: a meeting planned ahead has no
    marks; on or after its day, every member of that day is marked."""
    if held_on > today:
        if marks:
            raise AttendanceProblem(
                _l(
                    "The meeting is on %(day)s, after today (%(today)s): save it without "
                    "attendance now and mark who came on the day or after.",
                    day=Day(held_on),
                    today=Day(today),
                ),
                [],
            )
        return
    _check_marks(group, held_on, marks)


def meeting_there(
    group: Group,
    held_on: date | None,
    kind: MeetingKind | str | None,
    meeting_id: int | None = None,
) -> int | None:
    """The id of the group's meeting of this kind on that day, other than meeting_id."""
    if held_on is None or not kind:
        return None
    stmt = select(Meeting.id).where(
        Meeting.group_id == group.id, Meeting.held_on == held_on, Meeting.kind == MeetingKind(kind)
    )
    if meeting_id is not None:
        stmt = stmt.where(Meeting.id != meeting_id)
    return db.session.scalar(stmt)


def _check_duplicate(
    group: Group, held_on: date, kind: MeetingKind, meeting_id: int | None = None
) -> None:
    # A conflict (409): a phone's outbox keeps the entry as one, beside the meeting there.
    if meeting_there(group, held_on, kind, meeting_id) is not None:
        raise Conflict(
            _l("This group already has a meeting of this kind on that day. Open it to correct it."),
            "held_on",
        )


def _check_marks(group: Group, held_on: date, marks: dict[int, AttendanceStatus]) -> None:
    eligible = {m.id: m for m in members_on(group.id, held_on)}
    strangers = set(marks) - set(eligible)
    if strangers:
        # Name only people who were in this group at some other time: an id of another
        # group's member must not reveal that member's name.
        names = sorted(
            db.session.scalars(
                select(Member.full_name)
                .join(Membership)
                .where(Member.id.in_(strangers), Membership.group_id == group.id)
                .distinct()
            )
        )
        if len(names) < len(strangers):
            raise AttendanceProblem(
                _l("Some marks are for people who are not in this group. Nothing was saved."),
                [],
            )
        # A meeting typed in days later, for a day before someone joined (usability F6):
        # say who, by name, and that the list is now right for that day.
        raise AttendanceProblem(
            _l(
                "Not in the group on %(day)s: %(names)s. They are off the list below now; "
                "check it and tap Save again.",
                day=format_day(held_on),
                names=", ".join(names),
            ),
            names,
        )
    unmarked = [m.code for i, m in eligible.items() if i not in marks]
    if unmarked:
        raise AttendanceProblem(
            _l(
                "Mark every member present, absent or excused: %(codes)s.",
                codes=", ".join(unmarked),
            ),
            unmarked,
        )


def tally(statuses: Iterable[AttendanceStatus]) -> dict[str, int]:
    """A meeting's tallies (Meeting.present_count, Meeting.marked_count) for these marks.

    The one place that counts marks: every writer of attendance sets or adds these in the
    same transaction as the rows (tests/conftest.py checks after every test)."""
    statuses = list(statuses)
    return {
        "present_count": sum(1 for s in statuses if s == AttendanceStatus.PRESENT),
        "marked_count": len(statuses),
    }


def add_to_tallies(marks: dict[int, list[AttendanceStatus]]) -> None:
    """Add marks just inserted, meeting id → statuses, to their meetings' tallies: one
    executemany, an increment (not a recount) so that two imports into one meeting add up."""
    table = Meeting.__table__
    params = [{"meeting": m, **tally(statuses)} for m, statuses in marks.items() if statuses]
    if params:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("meeting"))
            .values(
                present_count=table.c.present_count + bindparam("present_count"),
                marked_count=table.c.marked_count + bindparam("marked_count"),
            ),
            params,
        )


def _write_attendance(meeting: Meeting, marks: dict[int, AttendanceStatus]) -> None:
    """Insert the marks of a meeting that has none; its tallies are set before its flush."""
    if marks:
        db.session.execute(
            insert(Attendance),
            [
                {"meeting_id": meeting.id, "member_id": member_id, "status": status}
                for member_id, status in marks.items()
            ],
        )


def record_meeting(
    actor: User,
    group: Group,
    *,
    held_on: date,
    kind: MeetingKind,
    topics: str | None,
    decisions: str | None,
    marks: dict[int, AttendanceStatus],
    today: date,
) -> Meeting:
    """Record a meeting with the attendance of every member of the group on that day."""
    _check_date(group, held_on, today)
    _check_duplicate(group, held_on, kind)
    _check_attendance(group, held_on, marks, today)
    meeting = Meeting(
        group_id=group.id,
        held_on=held_on,
        kind=kind,
        topics=topics,
        decisions=decisions,
        recorded_by_id=actor.id,
        **tally(marks.values()),
    )
    db.session.add(meeting)
    db.session.flush()
    _write_attendance(meeting, marks)
    keep_meeting_due_by(group)
    audit.record(actor, "create", meeting)
    return meeting


def update_meeting(
    actor: User,
    meeting: Meeting,
    *,
    version: int,
    held_on: date,
    kind: MeetingKind,
    topics: str | None,
    decisions: str | None,
    marks: dict[int, AttendanceStatus],
    today: date,
) -> Meeting:
    """Correct a meeting and its attendance; a save based on an older version is refused."""
    if version != meeting.version:
        raise StaleEdit(meeting)
    group = meeting.group
    _check_date(group, held_on, today)
    _check_duplicate(group, held_on, kind, meeting.id)
    _check_attendance(group, held_on, marks, today)
    meeting.held_on, meeting.kind = held_on, kind
    meeting.topics, meeting.decisions = topics, decisions
    for name, value in tally(marks.values()).items():
        setattr(meeting, name, value)
    # Always an UPDATE, even for attendance alone: its version check (version_id_col)
    # is what refuses a concurrent save.
    meeting.updated_at = utcnow()
    db.session.flush()
    db.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    _write_attendance(meeting, marks)
    db.session.expire(meeting, ["attendance"])
    keep_meeting_due_by(group)
    audit.record(actor, "update", meeting, on=held_on)
    return meeting


def attendance_marks(meeting: Meeting) -> dict[int, AttendanceStatus]:
    return {a.member_id: a.status for a in meeting.attendance}


def list_meetings(group_id: int, limit: int | None = None):
    stmt = (
        select(Meeting)
        .where(Meeting.group_id == group_id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    )
    if limit:
        stmt = stmt.limit(limit)
    return stmt


def list_attendance_of(member_id: int, limit: int = 12):
    """A member's attendance, meeting by meeting, newest first: (meeting, status) rows."""
    return (
        select(Meeting, Attendance.status)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Attendance.member_id == member_id)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(limit)
    )
