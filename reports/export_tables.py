"""The tables people export: who may have which rows, and what each column holds.

Each builder takes the user and plain filter values and returns a Table whose rows are
read from the database in batches of BATCH (a server-side cursor on PostgreSQL), so an
export of the nation costs the memory of one batch. Scope comes from the same helpers
as the pages: visible_groups (groups, meetings, attendance), member_in_scope (members,
grants, tranches, follow-ups), so who may export what is who may see it, following the
member's current group and that group's current province.

Members appear by code. Names, sex, birth year, phone and the member's own village (a
place that finds the person, beside the group's commune) come only with `personal=True`
(the views allow it to coordinators and admins who give a reason); a phone only while
the member agrees to be called, as on the pages (Member.phone_to_show). Categories are
the neutral "Category 1/2/3" of lists; free-text notes never leave.
"""

from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, exists, func, select, type_coerce

from accounts.models import User
from core.db import db
from core.places import Commune, Province
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import (
    WEEKDAYS,
    Cadence,
    Consent,
    ConsentPurpose,
    Gender,
    Group,
    GroupStatus,
    Member,
    MemberCategory,
    Membership,
)
from groups.services.groups import visible_groups
from groups.services.scope import home_memberships, member_in_scope
from reports.exports import DATE, INTEGER, PHONE, Column

BATCH = 1_000


@dataclass
class Table:
    """Columns, rows (an iterator, read once) and a title for the sheet."""

    columns: Sequence[Column]
    rows: Iterator[Sequence]
    title: object
    stmt: object = None  # what the rows are read from, for counting them first


# A connection of its own to read a large table through (reports.export_jobs): on SQLite
# it reads without the write lock that every session transaction takes, so the rest of
# the app keeps writing while a job reads for minutes. Unset, the session reads.
reader: ContextVar = ContextVar("export_reader", default=None)


def stream(stmt) -> Iterator:
    """The rows of a statement, fetched BATCH at a time (server-side on PostgreSQL), each
    batch taken whole (`partitions`: one fetchmany per batch, not one call per row)."""
    connection = reader.get()
    stmt = stmt.execution_options(yield_per=BATCH)
    result = (connection or db.session).execute(stmt)
    try:
        for batch in result.partitions():
            yield from batch
    finally:
        result.close()


def raw(column):
    """A column of a LabelledEnum read as its stored value (a str equal to the member, so
    the labels of `labels` still find it) without SQLAlchemy's conversion per cell."""
    return type_coerce(column, String)


def count_at_most(stmt, limit: int) -> int:
    """The rows of the statement, counted up to `limit` + 1 and no further: deciding
    whether a file is small costs the reading of at most that many rows."""
    bounded = stmt.order_by(None).limit(limit + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(bounded))


def count_rows(stmt) -> int:
    connection = reader.get()
    query = select(func.count()).select_from(stmt.order_by(None).subquery())
    return (connection or db.session).execute(query).scalar_one()


def labels(enum, attribute: str = "label") -> dict:
    """Each value's label, translated once for the whole file (not once per cell)."""
    return {value: str(getattr(value, attribute)) for value in enum}


def visible_group_ids(user: User):
    return visible_groups(user).with_only_columns(Group.id).scalar_subquery()


C_PROVINCE = Column(_l("Province"), width=22)
C_COMMUNE = Column(_l("Commune"), width=22)
C_GROUP = Column(_l("Group code"), width=14)
C_MEMBER = Column(_l("Member code"), width=16)
C_GRANT = Column(_l("Grant no."), INTEGER, width=9)


def _yes_no():
    return {True: str(_l("Yes")), False: str(_l("No"))}


# Groups ---------------------------------------------------------------------------------


def groups_table(
    user: User, *, group_id: int | None = None, province_code: int | None = None
) -> Table:
    """Groups in scope, with their members now and their last meeting."""
    members_now = (
        select(func.count())
        .where(Membership.group_id == Group.id, Membership.left_on.is_(None))
        .scalar_subquery()
    )
    last_meeting = select(func.max(Meeting.held_on)).where(Meeting.group_id == Group.id)
    stmt = (
        visible_groups(user)
        .with_only_columns(
            Group.code,
            Group.name,
            Province.name,
            Commune.name,
            Group.village,
            Group.founded_on,
            Group.status,
            Group.closed_on,
            Group.cadence,
            Group.meeting_weekday,
            Group.partner,
            members_now,
            last_meeting.scalar_subquery(),
        )
        .join(Province, Province.code == Group.province_code)
        .join(Commune, Commune.code == Group.commune_code)
        .order_by(Province.name, Group.code)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    statuses, cadences = labels(GroupStatus), labels(Cadence)
    cadences[None] = str(_l("Not set up yet"))  # a group an import made without a schedule
    weekdays = {i: str(w) for i, w in enumerate(WEEKDAYS)} | {None: None}
    columns = [
        C_GROUP,
        Column(_l("Group name"), width=28),
        C_PROVINCE,
        C_COMMUNE,
        Column(_l("Village"), width=16),
        Column(_l("Founded on"), DATE),
        Column(_l("Status")),
        Column(_l("Day the group closed"), DATE),
        Column(_l("Meets"), width=22),
        Column(_l("Meeting day")),
        Column(_l("Partner organisation"), width=24),
        Column(_l("Members now"), INTEGER),
        Column(_l("Last meeting"), DATE),
    ]

    def rows():
        for r in stream(stmt):
            yield (
                *r[:6],
                statuses[r[6]],
                r[7],
                cadences[r[8]],
                weekdays[r[9]],
                r[10],
                r[11],
                r[12],
            )

    return Table(columns, rows(), _l("Groups"), stmt)


# Members --------------------------------------------------------------------------------


def members_table(
    user: User,
    *,
    group_id: int | None = None,
    province_code: int | None = None,
    personal: bool = False,
) -> Table:
    """Members in scope by code, with their group now (or last) and their dates."""
    home = home_memberships()
    since = select(func.min(Membership.joined_on)).where(Membership.member_id == Member.id)
    in_group = exists().where(Membership.member_id == Member.id, Membership.left_on.is_(None))
    left_on = select(func.max(Membership.left_on)).where(Membership.member_id == Member.id)
    stmt = (
        select(
            Member.code,
            Group.code,
            Province.name,
            Commune.name,
            Member.category,
            since.scalar_subquery(),
            in_group,
            case((in_group, None), else_=left_on.scalar_subquery()),
        )
        .join(home, home.c.member_id == Member.id)
        .join(Group, Group.id == home.c.group_id)
        .join(Province, Province.code == Group.province_code)
        .join(Commune, Commune.code == Group.commune_code)
        .where(member_in_scope(user, Member.id))
        .order_by(Group.code, Member.code)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    columns = [
        C_MEMBER,
        C_GROUP,
        C_PROVINCE,
        C_COMMUNE,
        Column(_l("Category")),
        Column(_l("Member since"), DATE),
        Column(_l("In a group now")),
        Column(_l("Left on"), DATE),
    ]
    if personal:
        may_call = exists().where(
            Consent.member_id == Member.id,
            Consent.purpose == ConsentPurpose.PHONE_CONTACT,
            Consent.withdrawn_on.is_(None),
        )
        stmt = stmt.add_columns(
            Member.full_name,
            Member.gender,
            Member.birth_year,
            case((may_call, Member.phone), else_=None),
            Member.village,
        )
        columns += [
            Column(_l("Full name"), width=26),
            Column(_l("Gender")),
            Column(_l("Birth year"), INTEGER),
            Column(_l("Phone (agreed to calls)"), PHONE, width=16),
            Column(_l("Village (thôn, xóm, tổ)"), width=18),
        ]
    categories, genders, yes_no = labels(MemberCategory, "neutral_label"), labels(Gender), _yes_no()

    def rows():
        for r in stream(stmt):
            row = (*r[:4], categories[r[4]], r[5], yes_no[bool(r[6])], r[7])
            if personal:
                row += (r[8], genders[r[9]], r[10], r[11], r[12])
            yield row

    return Table(columns, rows(), _l("Members"), stmt)


# Attendance -----------------------------------------------------------------------------


def attendance_table(
    user: User,
    *,
    start: date,
    end: date,
    group_id: int | None = None,
    province_code: int | None = None,
) -> Table:
    """Every attendance mark of the period in groups in scope: one row per member per
    meeting (the register of many groups and months, for a spreadsheet to pivot)."""
    stmt = (
        select(
            Province.name,
            Group.code,
            Meeting.held_on,
            raw(Meeting.kind),
            Member.code,
            raw(Attendance.status),
        )
        .select_from(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .join(Province, Province.code == Group.province_code)
        .join(Member, Member.id == Attendance.member_id)
        .where(
            Meeting.held_on.between(start, end),
            Group.id.in_(visible_group_ids(user)),
        )
        .order_by(Group.code, Meeting.held_on, Meeting.id, Member.code)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    kinds, statuses = labels(MeetingKind), labels(AttendanceStatus)
    columns = [
        C_PROVINCE,
        C_GROUP,
        Column(_l("Meeting date"), DATE),
        Column(_l("Kind of meeting"), width=18),
        C_MEMBER,
        Column(_l("Attendance")),
    ]

    def rows():
        for r in stream(stmt):
            yield (r[0], r[1], r[2], kinds[r[3]], r[4], statuses[r[5]])

    return Table(columns, rows(), _l("Attendance"), stmt)


# Grants, tranches and follow-ups: reports/export_grant_tables.py. The tables by their name
# in the URL: reports/export_catalog.py.
