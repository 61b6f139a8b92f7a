"""What a home group's grants add up to in a month, each figure written once: the rows
of `fact_grant_months` and `fact_grant_days` for any keys, as one SELECT each. The fold
inserts them for the keys it claimed; the indicators read them for the keys still marked
(reports.indicators.grant_facts), so the facts and the live figures are the same SQL.

`where(group, month, day)` says which rows: `group` is the member's home group (0 for
none), `month` the first day of the row's month, `day` the date column it is taken from
(to bound it by an index)."""

from collections.abc import Callable

from sqlalchemy import case, exists, func, literal, select, union_all
from sqlalchemy.orm import aliased

from groups.models import Member
from livelihoods.models import Grant, GrantEvent, Tranche
from reports.sql import day_number, in_keys, month_start, quarter_start, year_start

Where = Callable[..., list]

MONTH_COLUMNS = (
    "requested",
    "requested_vnd",
    "approved",
    "approved_vnd",
    "rejected",
    "paid_vnd",
    "paid_month",
    "paid_quarter",
    "paid_year",
)
DECISION, PAYMENT = "decision", "payment"

_EARLIER = aliased(GrantEvent, name="fact_earlier")
_SUBMITTED = aliased(GrantEvent, name="fact_submitted")
_APPROVED = aliased(GrantEvent, name="fact_approved")
_PAID_BEFORE = aliased(Tranche, name="fact_paid_before")
HOME = func.coalesce(Member.home_group_id, 0)


def _padded(g, m, **values):
    """(group_id, month, every MONTH_COLUMNS value, 0 where not given)."""
    return [
        g.label("group_id"),
        m.label("month"),
        *(values.get(c, literal(0)).label(c) for c in MONTH_COLUMNS),
    ]


def _events(action: str, where: Where, columns, first=False):
    month = month_start(GrantEvent.on)
    stmt = (
        select(*columns(HOME, month))
        .select_from(GrantEvent)
        .join(Grant, Grant.id == GrantEvent.grant_id)
        .join(Member, Member.id == Grant.member_id)
        .where(GrantEvent.action == action, *where(HOME, month, GrantEvent.on))
    )
    if first:  # the grant's first such step (by id), as the live figure counts it
        earlier = _EARLIER
        stmt = stmt.where(
            ~exists()
            .where(
                earlier.grant_id == GrantEvent.grant_id,
                earlier.action == action,
                earlier.id < GrantEvent.id,
            )
            .correlate_except(earlier)
        )
    return stmt.group_by(HOME, month)


def _not_paid_since(start):
    """The tranche's grant was not paid earlier in the period that begins at `start`
    (of the tranche's day) and before the tranche's month."""
    before = _PAID_BEFORE
    return ~(
        exists()
        .where(
            before.grant_id == Tranche.grant_id,
            before.paid_on >= start(Tranche.paid_on),
            before.paid_on < month_start(Tranche.paid_on),
        )
        .correlate_except(before)
    )


def grant_month_select(where: Where):
    """group_id, month and MONTH_COLUMNS of the keys `where` selects that have any."""
    distinct = func.count(func.distinct(GrantEvent.grant_id))
    requested = _events(
        "submitted",
        where,
        lambda g, m: _padded(
            g, m, requested=func.count(), requested_vnd=func.sum(Grant.amount_requested)
        ),
        first=True,
    )
    approved = _events(
        "approved",
        where,
        lambda g, m: _padded(g, m, approved=distinct, approved_vnd=func.sum(Grant.amount_approved)),
        first=True,
    )
    rejected = _events("rejected", where, lambda g, m: _padded(g, m, rejected=distinct))
    month = month_start(Tranche.paid_on)
    grant = Tranche.grant_id

    def first_in(start):
        return func.count(func.distinct(case((_not_paid_since(start), grant))))

    paid = (
        select(
            *_padded(
                HOME,
                month,
                paid_vnd=func.sum(Tranche.amount),
                paid_month=func.count(func.distinct(grant)),
                paid_quarter=first_in(quarter_start),
                paid_year=first_in(year_start),
            )
        )
        .select_from(Tranche)
        .join(Grant, Grant.id == Tranche.grant_id)
        .join(Member, Member.id == Grant.member_id)
        .where(*where(HOME, month, Tranche.paid_on))
        .group_by(HOME, month)
    )
    every = union_all(requested, approved, rejected, paid).subquery()
    return select(
        every.c.group_id,
        every.c.month,
        *(func.sum(every.c[c]).label(c) for c in MONTH_COLUMNS),
    ).group_by(every.c.group_id, every.c.month)


def grant_days_select(where: Where):
    """group_id, month, measure, days, n: how many decisions took so many days from the
    last submission before them (by the decision's month), and how many grants were
    first paid so many days after their approval (by the first payment's month)."""
    submitted = _SUBMITTED
    decision_month = month_start(GrantEvent.on)
    waited = day_number(GrantEvent.on) - (
        select(func.max(day_number(submitted.on)))
        .where(
            submitted.grant_id == GrantEvent.grant_id,
            submitted.action == "submitted",
            submitted.id < GrantEvent.id,
        )
        .correlate_except(submitted)
        .scalar_subquery()
    )
    decisions = (
        select(waited.label("days"), HOME.label("group_id"), decision_month.label("month"))
        .select_from(GrantEvent)
        .join(Grant, Grant.id == GrantEvent.grant_id)
        .join(Member, Member.id == Grant.member_id)
        .where(
            GrantEvent.action.in_(("approved", "rejected")),
            *where(HOME, decision_month, GrantEvent.on),
        )
        .subquery()
    )
    approved = _APPROVED
    paid_month = month_start(Grant.first_tranche_on)
    to_pay = day_number(Grant.first_tranche_on) - (
        select(func.min(day_number(approved.on)))
        .where(approved.grant_id == Grant.id, approved.action == "approved")
        .correlate_except(approved)
        .scalar_subquery()
    )
    payments = (
        select(to_pay.label("days"), HOME.label("group_id"), paid_month.label("month"))
        .select_from(Grant)
        .join(Member, Member.id == Grant.member_id)
        .where(
            Grant.first_tranche_on.is_not(None), *where(HOME, paid_month, Grant.first_tranche_on)
        )
        .subquery()
    )

    def pairs(rows, measure: str):
        return (
            select(rows.c.group_id, rows.c.month, literal(measure).label("measure"), rows.c.days)
            .add_columns(func.count().label("n"))
            .where(rows.c.days.is_not(None))
            .group_by(rows.c.group_id, rows.c.month, rows.c.days)
        )

    both = union_all(pairs(decisions, DECISION), pairs(payments, PAYMENT)).subquery()
    return select(*both.c)


def keys_where(keys: list[tuple]) -> Where:
    """The rows of the given (group, month) keys: found through the groups' members
    (ix_members_home_group_id), then their grants, not by a pass over every step."""
    first = min(m for _g, m in keys)
    groups = {g for g, _m in keys}
    of_groups = Member.home_group_id.in_(groups) if 0 not in groups else HOME.in_(groups)

    def where(group, month, day):
        return [of_groups, day >= first, in_keys(group, month, keys)]

    return where
