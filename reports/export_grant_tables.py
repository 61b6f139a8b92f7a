"""The grant tables people export: grants, payments (tranches) and follow-up visits, with
the same scope and batches as the other tables (reports.export_tables)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select

from accounts.models import Role, User
from core.places import Province
from groups.models import Group, Member
from groups.services.scope import home_memberships, member_in_scope
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantStatus,
    Method,
    Outcome,
    Tranche,
    Visit,
)
from livelihoods.services.grants import visible_grants
from reports.export_tables import C_GRANT, C_GROUP, C_MEMBER, C_PROVINCE, Table, labels, stream
from reports.exports import DATE, INTEGER, MONEY, Column, local_day


def grants_table(
    user: User, *, group_id: int | None = None, province_code: int | None = None
) -> Table:
    """Grants in scope with amounts in đồng: requested, approved, paid and remaining."""
    home = home_memberships()
    # What was paid and when first: kept on the grant by the database (migrations 0023 and
    # 0025), so no grant's payments are read again.
    stmt = (
        visible_grants(user)
        .with_only_columns(
            Grant.id,
            Member.code,
            Group.code,
            Province.name,
            Grant.activity,
            Grant.status,
            Grant.amount_requested,
            Grant.planned_income,
            Grant.amount_approved,
            Grant.paid_vnd,
            Grant.created_at,
            Grant.first_tranche_on,
            Grant.outcome,
        )
        .join(Member, Member.id == Grant.member_id)
        .join(home, home.c.member_id == Grant.member_id)
        .join(Group, Group.id == home.c.group_id)
        .join(Province, Province.code == Group.province_code)
        .order_by(Grant.id)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    activities, statuses, outcomes = labels(Activity), labels(GrantStatus), labels(Outcome)
    columns = [
        C_GRANT,
        C_MEMBER,
        C_GROUP,
        C_PROVINCE,
        Column(_l("Activity")),
        Column(_l("Status"), width=20),
        Column(_l("Requested (VND)"), MONEY),
        Column(_l("Income expected per month (VND)"), MONEY),
        Column(_l("Approved (VND)"), MONEY),
        Column(_l("Paid (VND)"), MONEY),
        Column(_l("Still to pay (VND)"), MONEY),
        Column(_l("Drafted on"), DATE),
        Column(_l("First payment"), DATE),
        Column(_l("Outcome")),
    ]

    def rows():
        for r in stream(stmt):
            approved, paid_total = r[8], r[9] or 0
            remaining = (approved or 0) - paid_total if approved is not None else None
            yield (
                *r[:4],
                activities[r[4]],
                statuses[r[5]],
                r[6],
                r[7],
                approved,
                paid_total,
                remaining,
                local_day(r[10]),
                r[11],
                outcomes[r[12]] if r[12] else None,
            )

    return Table(columns, rows(), _l("Grants"), stmt)


def tranches_table(
    user: User,
    *,
    start: date,
    end: date,
    group_id: int | None = None,
    province_code: int | None = None,
) -> Table:
    """Payments of the period on grants in scope."""
    home = home_memberships()
    stmt = (
        select(
            Tranche.grant_id,
            Member.code,
            Group.code,
            Province.name,
            Tranche.paid_on,
            Tranche.amount,
            Tranche.method,
            Tranche.purchased,
        )
        .join(Grant, Grant.id == Tranche.grant_id)
        .join(Member, Member.id == Grant.member_id)
        .join(home, home.c.member_id == Grant.member_id)
        .join(Group, Group.id == home.c.group_id)
        .join(Province, Province.code == Group.province_code)
        .where(
            Tranche.paid_on.between(start, end),
            Tranche.grant_id.in_(visible_grants(user).with_only_columns(Grant.id)),
        )
        .order_by(Tranche.paid_on, Tranche.id)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    methods = labels(Method)
    columns = [
        C_GRANT,
        C_MEMBER,
        C_GROUP,
        C_PROVINCE,
        Column(_l("Paid on"), DATE),
        Column(_l("Amount (VND)"), MONEY),
        Column(_l("Method")),
        Column(_l("What was bought"), width=30),
    ]

    def rows():
        for r in stream(stmt):
            yield (*r[:6], methods[r[6]], r[7])

    return Table(columns, rows(), _l("Payments"), stmt)


def follow_ups_table(
    user: User,
    *,
    start: date,
    end: date,
    today: date,
    group_id: int | None = None,
    province_code: int | None = None,
) -> Table:
    """Follow-up visits due in the period, with what the visit found (never its notes)."""
    scope = false() if user.role == Role.MEMBER else member_in_scope(user, FollowUp.member_id)
    home = home_memberships()
    stmt = (
        select(
            Member.code,
            Group.code,
            Province.name,
            FollowUp.kind,
            FollowUp.grant_id,
            FollowUp.months_after,
            FollowUp.due_on,
            FollowUp.status,
            Visit.visited_on,
            Visit.business_status,
            Visit.monthly_income,
        )
        .join(Member, Member.id == FollowUp.member_id)
        .join(home, home.c.member_id == FollowUp.member_id)
        .join(Group, Group.id == home.c.group_id)
        .join(Province, Province.code == Group.province_code)
        .outerjoin(Visit, Visit.follow_up_id == FollowUp.id)
        .where(scope, FollowUp.due_on.between(start, end))
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    if group_id:
        stmt = stmt.where(Group.id == group_id)
    if province_code:
        stmt = stmt.where(Group.province_code == province_code)
    kinds, statuses, outcomes = labels(FollowUpKind), labels(FollowUpStatus), labels(Outcome)
    overdue = str(_l("Overdue"))
    columns = [
        C_MEMBER,
        C_GROUP,
        C_PROVINCE,
        Column(_l("Kind of visit"), width=18),
        C_GRANT,
        Column(_l("Months after payment"), INTEGER),
        Column(_l("Due on"), DATE),
        Column(_l("Status")),
        Column(_l("Visited on"), DATE),
        Column(_l("Business"), width=14),
        Column(_l("Monthly income (VND)"), MONEY),
    ]

    def rows():
        for r in stream(stmt):
            late = r[7] == FollowUpStatus.SCHEDULED and r[6] < today
            yield (
                *r[:3],
                kinds[r[3]],
                r[4],
                r[5],
                r[6],
                overdue if late else statuses[r[7]],
                r[8],
                outcomes[r[9]] if r[9] else None,
                r[10],
            )

    return Table(columns, rows(), _l("Visits"), stmt)
