"""A group's meeting schedule: the days it is expected to meet, when it is overdue, and
the kept `groups.meeting_due_by` that lets lists and counts read "overdue today" from an
index."""

from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from core.db import db
from groups.meeting_models import Meeting, MeetingKind
from groups.models import Cadence, Group, GroupStatus

# A group is overdue when no regular meeting was held this long after one was expected.
OVERDUE_GRACE = timedelta(days=3)
STEP = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14}


def _first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _first_weekday_of_month(year: int, month: int, weekday: int) -> date:
    return _first_on_or_after(date(year, month, 1), weekday)


def schedule_start(group) -> date:
    """The first day the group is expected to meet on its schedule: its founding day, or
    the later day a group an import made without one was given its schedule."""
    if group.schedule_from is not None and group.schedule_from > group.founded_on:
        return group.schedule_from
    return group.founded_on


def schedule_start_sql() -> ColumnElement[date]:
    """`schedule_start` in SQL over `groups`."""
    return case(
        (Group.schedule_from > Group.founded_on, Group.schedule_from), else_=Group.founded_on
    )


def expected_dates(group: Group, start: date, end: date) -> list[date]:
    """The meeting days the group's cadence sets between start and end, inclusive.

    Weekly and fortnightly count from the first meeting weekday on or after the
    schedule's start (the founding date, or the day a group not set up was given its
    schedule); monthly is the first such weekday of each month. None from the day a
    closed group closed, none for a group not set up.
    """
    if group.cadence is None or group.meeting_weekday is None:
        return []
    begins = schedule_start(group)
    start = max(start, begins)
    if group.closed_on is not None:
        end = min(end, group.closed_on - timedelta(days=1))
    if end < start:
        return []
    if group.cadence == Cadence.MONTHLY:
        days, year, month = [], start.year, start.month
        while (year, month) <= (end.year, end.month):
            day = _first_weekday_of_month(year, month, group.meeting_weekday)
            if start <= day <= end:
                days.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return days
    step = STEP[group.cadence]
    anchor = _first_on_or_after(begins, group.meeting_weekday)
    offset = max(0, (start - anchor).days)
    first = anchor + timedelta(days=-(-offset // step) * step)
    return [first + timedelta(days=step * i) for i in range((end - first).days // step + 1)]


def _interval(group: Group) -> timedelta:
    return timedelta(days=STEP.get(group.cadence, 31))


def next_meeting_on(group: Group, last_held_on: date | None, today: date) -> date | None:
    """The next expected meeting day from today on, after the last one held."""
    if group.status in (GroupStatus.CLOSED, GroupStatus.PAUSED):
        return None
    after = today if last_held_on is None or last_held_on < today else last_held_on + timedelta(1)
    days = expected_dates(group, after, after + timedelta(days=62))
    return days[0] if days else None


def meeting_due_by(group, last_held_on: date | None) -> date | None:
    """The last day the group is not yet overdue for a meeting: its latest regular meeting
    (before the first, or before its schedule began, the day it began: schedule_start)
    plus its cadence and the grace; None unless active and set up.

    The one place that decides it. `group` is a Group or a row with its status, cadence,
    founded_on and schedule_from; `last_held_on` is its latest regular meeting, any day
    recorded."""
    if group.status != GroupStatus.ACTIVE or group.cadence is None:
        return None
    begins = schedule_start(group)
    return max(last_held_on or begins, begins) + _interval(group) + OVERDUE_GRACE


def is_overdue(group: Group, last_held_on: date | None, today: date) -> bool:
    """Active, and no regular meeting for longer than its cadence plus a few days."""
    due = meeting_due_by(group, last_held_on)
    return due is not None and due < today


def due_by_passed(today: date) -> ColumnElement[bool]:
    """Overdue for a meeting `today` (or any later day) in SQL, from the kept
    `Group.meeting_due_by`: read through the index (province_code, meeting_due_by), so a
    capped count or a short list of a province's overdue groups reads only those. For a
    past day, whose meetings since then must not count, use `overdue_clause`."""
    return Group.meeting_due_by < today


def _last_regular(group_ids=None) -> Select:
    stmt = select(Meeting.group_id, func.max(Meeting.held_on)).where(
        Meeting.kind == MeetingKind.REGULAR
    )
    if group_ids is not None:
        stmt = stmt.where(Meeting.group_id.in_(group_ids))
    return stmt.group_by(Meeting.group_id)


def keep_meeting_due_by(group: Group) -> date | None:
    """Set the group's `meeting_due_by` after a write that may move it (a meeting recorded,
    corrected or removed; its status, cadence or founding day changed); flush first.

    The row is locked before its meetings are read (FOR NO KEY UPDATE on PostgreSQL), so of
    two meetings recorded at once the second waits and counts the first. A plain UPDATE
    of the column: recording a meeting does not bump the group's version, which would make
    a coordinator's open edit of the group stale."""
    table = Group.__table__
    row = db.session.execute(
        select(table.c.status, table.c.cadence, table.c.founded_on, table.c.schedule_from)
        .where(table.c.id == group.id)
        .with_for_update(key_share=True)
    ).one()
    last = db.session.execute(_last_regular([group.id])).first()
    due = meeting_due_by(row, last[1] if last else None)
    db.session.execute(update(table).where(table.c.id == group.id).values(meeting_due_by=due))
    set_committed_value(group, "meeting_due_by", due)
    return due


def get_stale_meeting_due_by(group_ids=None) -> dict[int, date | None]:
    """Group id → the `meeting_due_by` it should have, for those of these groups (every
    group when None) whose kept day differs: two reads."""
    stmt = select(
        Group.id,
        Group.status,
        Group.cadence,
        Group.founded_on,
        Group.schedule_from,
        Group.meeting_due_by,
    )
    if group_ids is not None:
        group_ids = list(set(group_ids))
        if not group_ids:
            return {}
        stmt = stmt.where(Group.id.in_(group_ids))
    last = dict(db.session.execute(_last_regular(group_ids)).all())
    stale = {}
    for row in db.session.execute(stmt):
        due = meeting_due_by(row, last.get(row.id))
        if due != row.meeting_due_by:
            stale[row.id] = due
    return stale


def refresh_meeting_due_by(group_ids=None) -> int:
    """Recompute `meeting_due_by` of these groups (every group when None) after a bulk
    write of groups or meetings: two reads and one executemany UPDATE of those that
    changed, for imports, the demo and the bench builders. Returns how many changed."""
    changed = get_stale_meeting_due_by(group_ids)
    if changed:
        table = Group.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("group_id"))
            .values(meeting_due_by=bindparam("due")),
            [{"group_id": k, "due": v} for k, v in changed.items()],
        )
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Group) and obj.id in changed:
                set_committed_value(obj, "meeting_due_by", changed[obj.id])
    return len(changed)


def overdue_clause(day: date) -> ColumnElement[bool]:
    """`is_overdue` as SQL over `groups` as of any day, a past one too (reports' periods,
    where the kept `meeting_due_by` does not apply). For today, use `due_by_passed`.

    A group is overdue on `day` when it was active and set up then, its schedule began
    (schedule_start) before `day - (cadence + grace)` and no regular meeting was held
    between that cutoff and the day; the index on meetings (group_id, held_on) answers
    each EXISTS per group.
    Nothing after `day` counts: a meeting held later did not end the wait that day, and a
    group closed later was still open (whether it was paused then is not kept: its status
    now decides, as for the other figures of a period).
    """
    cutoff = case(
        *[
            (Group.cadence == cadence, literal(day - timedelta(days=days) - OVERDUE_GRACE))
            for cadence, days in STEP.items()
        ],
        else_=literal(day - timedelta(days=31) - OVERDUE_GRACE),
    )
    recent = select(Meeting.id).where(
        Meeting.group_id == Group.id,
        Meeting.kind == MeetingKind.REGULAR,
        Meeting.held_on <= day,
        Meeting.held_on >= cutoff,
    )
    open_then = or_(
        Group.status == GroupStatus.ACTIVE,
        and_(Group.status == GroupStatus.CLOSED, Group.closed_on > day),
    )
    # Meetings are never before the founding day, so "its last meeting, or before the
    # first its start, lies before the cutoff" is "none since the cutoff, and it started
    # before": the same as meeting_due_by.
    return and_(
        open_then,
        Group.cadence.is_not(None),
        ~recent.exists(),
        schedule_start_sql() < cutoff,
    )
