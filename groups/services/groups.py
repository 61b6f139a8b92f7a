"""Groups: creating and changing them, and who sees them. Their meeting schedule is
groups.services.schedule."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Select,
    func,
    or_,
    select,
    true,
)

from accounts.models import Role, User
from core import audit, clock
from core.dates import Day, check_day
from core.db import db
from core.errors import DomainError
from core.places import Commune, Province
from core.text import fold
from groups.meeting_models import Meeting
from groups.models import Cadence, Group, GroupStatus, Membership, group_facilitators
from groups.services.codes import next_code
from groups.services.errors import StaleEdit
from groups.services.schedule import due_by_passed, keep_meeting_due_by


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
    not_set_up: bool = False,
) -> Select:
    """Visible groups filtered; q matches code or name, ignoring case and diacritics
    ("dong" finds "Nhóm Thôn Đông"), the way member search does. With `overdue_on`, only
    those overdue for a meeting that day, today or later (read from the kept
    `meeting_due_by` through its index, not decided group by group). With `not_set_up`,
    only open groups an import made without a meeting schedule."""
    stmt = visible_groups(user)
    if not_set_up:
        stmt = stmt.where(Group.cadence.is_(None), Group.status != GroupStatus.CLOSED)
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
    cadence: Cadence | None,
    meeting_weekday: int | None,
    partner: str | None,
    facilitator_ids=(),
    closed_on: date | None = None,
    schedule_from: date | None = None,
) -> Group:
    """Create a group in a province the actor covers, with a new code such as HUE-N007.

    Without a cadence and meeting day the group is not set up yet (an import that was not
    told its schedule): never expected to meet until given one. `schedule_from`: the day
    an imported group founded long before is expected to meet from."""
    if not actor.covers_province(province_code):
        raise DomainError(_l("You can only create groups in your provinces."), "province_code")
    _check_place(province_code, commune_code)
    check_day(founded_on, clock.today(), "founded_on")
    _check_schedule(cadence, meeting_weekday)
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
        schedule_from=schedule_from if cadence is not None else None,
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
    cadence: Cadence | None,
    meeting_weekday: int | None,
    partner: str | None,
    facilitator_ids=(),
    closed_on: date | None = None,
) -> Group:
    """Change a group's details, status and facilitators. Closing it keeps the day it
    closed (the one given, else the one kept, else today); reopening it forgets the day.
    A group not set up yet that is given a schedule is expected to meet from today; a
    schedule once set cannot be taken away."""
    if version != group.version:
        raise StaleEdit(group)
    if province_code != group.province_code and not actor.covers_province(province_code):
        raise DomainError(_l("You can only move groups to your provinces."), "province_code")
    _check_place(province_code, commune_code)
    if founded_on != group.founded_on:
        _check_founding(group, founded_on)
    was_closed_on = group.closed_on
    _check_schedule(cadence, meeting_weekday)
    if cadence is None and group.cadence is not None:
        raise DomainError(_l("Choose how often the group meets."), "cadence")
    if cadence is not None and group.cadence is None:
        group.schedule_from = clock.today()
    group.name, group.province_code, group.commune_code = name, province_code, commune_code
    group.closed_on = closing_day(status, closed_on or group.closed_on, founded_on)
    group.village, group.founded_on, group.status = village, founded_on, status
    group.cadence, group.meeting_weekday, group.partner = cadence, meeting_weekday, partner
    group.facilitators = _facilitators(facilitator_ids)
    db.session.flush()
    keep_meeting_due_by(group)
    closing = group.closed_on is not None and was_closed_on != group.closed_on
    audit.record(
        actor,
        "update",
        group,
        detail="group_closed" if closing else None,
        on=group.closed_on if closing else None,
    )
    return group


def _check_schedule(cadence: Cadence | None, meeting_weekday: int | None) -> None:
    """Both a cadence and a meeting day, or neither (not set up yet)."""
    if cadence is not None and meeting_weekday is None:
        raise DomainError(_l("Choose the meeting day."), "meeting_weekday")
    if cadence is None and meeting_weekday is not None:
        raise DomainError(_l("Choose how often the group meets."), "cadence")
    if meeting_weekday is not None and not 0 <= meeting_weekday <= 6:
        raise DomainError(_l("Choose the meeting day."), "meeting_weekday")


def _check_founding(group: Group, founded_on: date) -> None:
    """A new founding day: in the window, and not after the group's first meeting or the
    first day someone joined it."""
    check_day(founded_on, clock.today(), "founded_on")
    first_meeting = db.session.scalar(
        select(func.min(Meeting.held_on)).where(Meeting.group_id == group.id)
    )
    if first_meeting is not None and founded_on > first_meeting:
        raise DomainError(
            _l(
                "The founding date (%(day)s) is after the group's first meeting (%(first)s).",
                day=Day(founded_on),
                first=Day(first_meeting),
            ),
            "founded_on",
        )
    first_joined = db.session.scalar(
        select(func.min(Membership.joined_on)).where(Membership.group_id == group.id)
    )
    if first_joined is not None and founded_on > first_joined:
        raise DomainError(
            _l(
                "The founding date (%(day)s) is after the first member joined (%(first)s).",
                day=Day(founded_on),
                first=Day(first_joined),
            ),
            "founded_on",
        )


def closing_day(status: GroupStatus, closed_on: date | None, founded_on: date) -> date | None:
    """The day a closed group stopped meeting: `closed_on`, else today; None unless closed."""
    if status != GroupStatus.CLOSED:
        return None
    day = closed_on or clock.today()
    if day < founded_on:
        raise DomainError(
            _l(
                "The closing date (%(day)s) is before the group was founded (%(founded)s).",
                day=Day(day),
                founded=Day(founded_on),
            ),
            "closed_on",
        )
    check_day(day, clock.today(), "closed_on")
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
