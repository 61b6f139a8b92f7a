"""Groups: creating and changing them, who sees them, and their meeting schedule."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
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
    true,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from accounts.models import Role, User
from core import audit, clock
from core.db import db
from core.errors import DomainError
from core.places import Commune, Province
from core.text import fold
from groups.models import Cadence, Group, GroupStatus, Meeting, MeetingKind, group_facilitators
from groups.services.codes import next_code
from groups.services.errors import StaleEdit

# A group is overdue when no regular meeting was held this long after one was expected.
OVERDUE_GRACE = timedelta(days=3)
STEP = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14}


def visible_groups(user: User) -> Select:
    """Groups the user may see: all (admin), their provinces, or their own groups."""
    stmt = select(Group)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.COORDINATOR:
        return stmt.where(Group.province_code.in_(user.province_codes or {-1}))
    if user.role == Role.FACILITATOR:
        return stmt.join(group_facilitators).where(group_facilitators.c.user_id == user.id)
    return stmt.where(False)


def list_groups(
    user: User,
    *,
    q: str = "",
    province_code: int | None = None,
    commune_code: int | None = None,
    status: GroupStatus | None = None,
    overdue_on: date | None = None,
) -> Select:
    """Visible groups filtered; q matches code or name, ignoring case and diacritics
    ("dong" finds "Nhóm Thôn Đông"), the way member search does. With `overdue_on`, only
    those overdue for a meeting that day, today or later (read from the kept
    `meeting_due_by` through its index, not decided group by group)."""
    stmt = visible_groups(user)
    if overdue_on is not None:
        stmt = stmt.where(due_by_passed(overdue_on))
    if q:
        stmt = stmt.where(
            or_(
                Group.code.icontains(q.strip(), autoescape=True),
                Group.search_name.contains(fold(q), autoescape=True),
            )
        )
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    if commune_code:
        stmt = stmt.where(Group.commune_code == commune_code)
    if status:
        stmt = stmt.where(Group.status == status)
    return stmt.order_by(Group.code)


def _check_place(province_code: int, commune_code: int) -> None:
    commune = db.session.get(Commune, commune_code)
    if commune is None or commune.province_code != province_code:
        raise DomainError(_l("Choose a commune of the chosen province."), "commune_code")


def _facilitators(ids) -> list[User]:
    if not ids:
        return []
    users = list(
        db.session.scalars(
            select(User).where(User.id.in_(set(ids)), User.role == Role.FACILITATOR, User.active)
        )
    )
    if len(users) != len(set(ids)):
        raise DomainError(_l("Choose facilitators from the list."), "facilitator_ids")
    return users


def create_group(
    actor: User,
    *,
    name: str,
    province_code: int,
    commune_code: int,
    village: str | None,
    founded_on: date,
    status: GroupStatus,
    cadence: Cadence,
    meeting_weekday: int,
    partner: str | None,
    facilitator_ids=(),
    closed_on: date | None = None,
) -> Group:
    """Create a group in a province the actor covers, with a new code such as HUE-N007."""
    if not actor.covers_province(province_code):
        raise DomainError(_l("You can only create groups in your provinces."), "province_code")
    _check_place(province_code, commune_code)
    province = db.session.get(Province, province_code)
    group = Group(
        code=next_code(Group.code, f"{province.abbreviation}-N", 3),
        name=name,
        province_code=province_code,
        commune_code=commune_code,
        village=village,
        founded_on=founded_on,
        status=status,
        closed_on=closing_day(status, closed_on, founded_on),
        cadence=cadence,
        meeting_weekday=meeting_weekday,
        partner=partner,
        facilitators=_facilitators(facilitator_ids),
    )
    db.session.add(group)
    db.session.flush()
    keep_meeting_due_by(group)
    audit.record(actor, "create", group)
    return group


def update_group(
    actor: User,
    group: Group,
    *,
    version: int,
    name: str,
    province_code: int,
    commune_code: int,
    village: str | None,
    founded_on: date,
    status: GroupStatus,
    cadence: Cadence,
    meeting_weekday: int,
    partner: str | None,
    facilitator_ids=(),
    closed_on: date | None = None,
) -> Group:
    """Change a group's details, status and facilitators. Closing it keeps the day it
    closed (the one given, else the one kept, else today); reopening it forgets the day."""
    if version != group.version:
        raise StaleEdit(group)
    if province_code != group.province_code and not actor.covers_province(province_code):
        raise DomainError(_l("You can only move groups to your provinces."), "province_code")
    _check_place(province_code, commune_code)
    group.name, group.province_code, group.commune_code = name, province_code, commune_code
    group.closed_on = closing_day(status, closed_on or group.closed_on, founded_on)
    group.village, group.founded_on, group.status = village, founded_on, status
    group.cadence, group.meeting_weekday, group.partner = cadence, meeting_weekday, partner
    group.facilitators = _facilitators(facilitator_ids)
    db.session.flush()
    keep_meeting_due_by(group)
    audit.record(actor, "update", group)
    return group


def closing_day(status: GroupStatus, closed_on: date | None, founded_on: date) -> date | None:
    """The day a closed group stopped meeting: `closed_on`, else today; None unless closed."""
    if status != GroupStatus.CLOSED:
        return None
    day = closed_on or clock.today()
    if day < founded_on:
        raise DomainError(_l("A group cannot close before the day it was founded."), "closed_on")
    if day > clock.today():
        raise DomainError(_l("The closing day cannot be after today."), "closed_on")
    return day


def list_facilitator_choices(province_code: int | None = None, selected=()) -> list[User]:
    """Facilitators to offer for a group of the province: those who already help a group
    there, those who help no group yet (new staff), and those already chosen. Not every
    facilitator of the country: a national roll-out has hundreds. Without a province,
    every active facilitator."""
    helping = select(group_facilitators.c.user_id)
    here = helping.join(Group, Group.id == group_facilitators.c.group_id).where(
        Group.province_code == province_code
    )
    scope = (
        or_(User.id.in_(here), User.id.not_in(helping), User.id.in_(list(selected)))
        if province_code is not None
        else true()
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.FACILITATOR, User.active, scope)
            .order_by(User.sort_key, User.id)
        )
    )


GROUP_CHOICES_MAX = 200


def group_choices(user: User, province_code: int | None, commune_code: int | None = None):
    """(id, code, name) of the user's groups in a commune or province, for a filter or a
    move target. Nothing before a province is chosen, except for a facilitator (a few
    groups of their own): a country's 3,000 groups are no list to pick from."""
    stmt = visible_groups(user).where(Group.status != GroupStatus.CLOSED)
    if commune_code:
        stmt = stmt.where(Group.commune_code == commune_code)
    elif province_code:
        stmt = stmt.where(Group.province_code == province_code)
    elif user.role == Role.COORDINATOR and len(user.province_codes) == 1:
        pass  # one province: its groups are the choice
    elif user.role != Role.FACILITATOR:
        return []
    return db.session.execute(
        stmt.with_only_columns(Group.id, Group.code, Group.name)
        .order_by(Group.code)
        .limit(GROUP_CHOICES_MAX)
    ).all()


def find_group(user: User, *, code: str | None = None, group_id=None) -> Group | None:
    """An open group the user may see, by its code (any case) or else by its id."""
    stmt = visible_groups(user).where(Group.status != GroupStatus.CLOSED)
    if code:
        return db.session.scalar(stmt.where(Group.code == code.strip().upper()))
    if isinstance(group_id, int):
        return db.session.scalar(stmt.where(Group.id == group_id))
    return None


# Schedule ----------------------------------------------------------------------------


def _first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _first_weekday_of_month(year: int, month: int, weekday: int) -> date:
    return _first_on_or_after(date(year, month, 1), weekday)


def expected_dates(group: Group, start: date, end: date) -> list[date]:
    """The meeting days the group's cadence sets between start and end, inclusive.

    Weekly and fortnightly count from the first meeting weekday on or after the
    founding date; monthly is the first such weekday of each month. None from the day a
    closed group closed.
    """
    start = max(start, group.founded_on)
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
    anchor = _first_on_or_after(group.founded_on, group.meeting_weekday)
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
    (before the first, its founding day) plus its cadence and the grace; None unless active.

    The one place that decides it. `group` is a Group or a row with its status, cadence
    and founded_on; `last_held_on` is its latest regular meeting, any day recorded."""
    if group.status != GroupStatus.ACTIVE:
        return None
    return (last_held_on or group.founded_on) + _interval(group) + OVERDUE_GRACE


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
        select(table.c.status, table.c.cadence, table.c.founded_on)
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
    stmt = select(Group.id, Group.status, Group.cadence, Group.founded_on, Group.meeting_due_by)
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


def overdue_clause(today: date) -> ColumnElement[bool]:
    """`is_overdue` as SQL over `groups` as of any day, a past one too (reports' periods,
    where the kept `meeting_due_by` does not apply). For today, use `due_by_passed`.

    A group is overdue when it is active and its last regular meeting (or, before the
    first, its founding day) lies before `today - (cadence + grace)`; the index on
    meetings (group_id, held_on) answers the NOT EXISTS per group.
    """
    cutoff = case(
        *[
            (Group.cadence == cadence, literal(today - timedelta(days=days) - OVERDUE_GRACE))
            for cadence, days in STEP.items()
        ],
        else_=literal(today - timedelta(days=31) - OVERDUE_GRACE),
    )
    any_meeting = select(Meeting.id).where(
        Meeting.group_id == Group.id, Meeting.kind == MeetingKind.REGULAR
    )
    recent = any_meeting.where(Meeting.held_on >= cutoff)
    return and_(
        Group.status == GroupStatus.ACTIVE,
        ~recent.exists(),
        or_(any_meeting.exists(), Group.founded_on < cutoff),
    )
