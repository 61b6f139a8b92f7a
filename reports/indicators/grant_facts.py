"""The grant figures that add up or are medians, read from the facts for a month, quarter
or year: the facts of each (home group, month), except the keys a write marked since
they were folded in, which reports.facts.grants makes from the grants as they are now;
exact whether or not the scheduler has folded them. Other periods are read live
(reports.indicators.grants)."""

from sqlalchemy import Integer, case, cast, exists, func, literal, select, union_all

from reports.facts.grants import (
    DECISION,
    MONTH_COLUMNS,
    PAYMENT,
    grant_days_select,
    grant_month_select,
)
from reports.facts.models import DirtyKey, GrantDays, GrantMonth
from reports.indicators import groups as group_indicators
from reports.indicators.scope import Scope
from reports.periods import Period

# Of the grants paid in each month, those counted once in a period of this kind.
PAID = {"month": "paid_month", "quarter": "paid_quarter", "year": "paid_year"}


def reads_facts(period: Period) -> bool:
    """A month, quarter or year (the grants paid in a period are counted once each: the
    facts know that for these)."""
    return group_indicators.READ_FACTS and period.kind in PAID


def _marked(group, month):
    return exists().where(DirtyKey.group_id == group, DirtyKey.month == month)


def marked_where(scope: Scope, period: Period):
    """The rows of the keys marked in the period, in scope. `any_marked` depends on no
    row: both databases test it once, before any row is read, so a period with no key
    marked costs nothing, not a pass over its grant steps."""
    any_marked = exists().where(DirtyKey.month.between(period.start, period.end))

    def where(group, month, day):
        return [
            any_marked,
            day.between(period.start, period.end),
            scope.has_group(group),
            _marked(group, month),
        ]

    return where


def folded(model, scope: Scope, period: Period, *columns):
    return select(*columns).where(
        model.month.between(period.start, period.end),
        scope.has_group(model.group_id),
        ~_marked(model.group_id, model.month),
    )


def weighted_median(pairs, measure: str, value: str = "days"):
    """(median, how many values) of the (value, n) pairs of a measure: the middle value,
    or the mean of the two middle ones, as reports.sql.median_of gives of the values."""
    values = (
        select(pairs.c[value].label("v"), func.sum(pairs.c.n).label("n"))
        .where(pairs.c.measure == measure)
        .group_by(pairs.c[value])
        .subquery()
    )
    running = select(
        values.c.v,
        cast(func.sum(values.c.n).over(order_by=values.c.v), Integer).label("upto"),
        cast(func.sum(values.c.n).over(), Integer).label("total"),
    ).subquery()
    low = case((running.c.upto >= (running.c.total + 1) // 2, running.c.v))
    high = case((running.c.upto >= (running.c.total + 2) // 2, running.c.v))
    median = select((func.min(low) + func.min(high)) / literal(2.0)).scalar_subquery()
    count = select(func.sum(values.c.n)).scalar_subquery()
    return median, count


def grant_flows(scope: Scope, period: Period, *more):
    """The statement of (requested, requested_vnd, approved, approved_vnd, rejected,
    disbursed, disbursed_vnd, days_to_decision, days_to_payment, decisions, first
    payments, *more), with the scalar subqueries `more` read in it."""
    where = marked_where(scope, period)
    columns = [
        GrantMonth.group_id,
        GrantMonth.month,
        *(GrantMonth.__table__.c[c] for c in MONTH_COLUMNS),
    ]
    months = union_all(
        folded(GrantMonth, scope, period, *columns), grant_month_select(where)
    ).subquery()
    pairs = union_all(
        folded(
            GrantDays,
            scope,
            period,
            GrantDays.group_id,
            GrantDays.month,
            GrantDays.measure,
            GrantDays.days,
            GrantDays.n,
        ),
        grant_days_select(where),
    ).cte("grant_pairs")
    sums = select(
        *(
            func.coalesce(func.sum(months.c[c]), 0)
            for c in ("requested", "requested_vnd", "approved", "approved_vnd", "rejected")
        ),
        func.coalesce(func.sum(months.c[PAID[period.kind]]), 0),
        func.coalesce(func.sum(months.c.paid_vnd), 0),
    ).subquery()
    to_decision, decisions = weighted_median(pairs, DECISION)
    to_payment, payments = weighted_median(pairs, PAYMENT)
    return select(*sums.c, to_decision, to_payment, decisions, payments, *more)
