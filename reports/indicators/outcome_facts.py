"""The visit and check figures per home group, for the progress page and the scorecard:
for whole months, the facts of each (home group, month) except the keys a write marked
since they were folded in, which reports.facts.outcomes makes from the follow-ups and
visits as they are now; for any other range of days, that same SQL over the range. Exact
whether or not the scheduler has folded them."""

from sqlalchemy import func, select, union_all

from reports.facts.models import OutcomeMonth, OutcomeValues
from reports.facts.outcomes import (
    INCOME,
    MONTH_COLUMNS,
    PLANNED,
    outcome_month_select,
    outcome_values_select,
)
from reports.indicators import groups as group_indicators
from reports.indicators.grant_facts import folded, marked_where, weighted_median
from reports.indicators.scope import Scope
from reports.periods import Period


def reads_facts(period: Period) -> bool:
    """Whole months: every figure of the section adds up by month (the medians too, as
    (value, count) pairs)."""
    return group_indicators.reads_facts(period)


def _live_where(scope: Scope, period: Period):
    def where(group, month, day):
        return [day.between(period.start, period.end), scope.has_group(group)]

    return where


def outcome_rows(scope: Scope, period: Period):
    """A subquery, one row per home group in scope with visits due or checks made in the
    period: group_id and reports.facts.outcomes.MONTH_COLUMNS summed (group 0: members
    with no group, in the whole country's scope only)."""
    if reads_facts(period):
        columns = [OutcomeMonth.__table__.c[c] for c in ("group_id", "month", *MONTH_COLUMNS)]
        rows = union_all(
            folded(OutcomeMonth, scope, period, *columns),
            outcome_month_select(marked_where(scope, period)),
        ).subquery()
    else:
        rows = outcome_month_select(_live_where(scope, period)).subquery()
    return (
        select(rows.c.group_id, *(func.sum(rows.c[c]).label(c) for c in MONTH_COLUMNS))
        .group_by(rows.c.group_id)
        .subquery()
    )


def outcome_medians(scope: Scope, period: Period) -> tuple:
    """(median income, median planned income, how many incomes, how many planned) of the
    6-month checks made in the period, as scalar subqueries."""
    if reads_facts(period):
        t = OutcomeValues
        pairs = union_all(
            folded(t, scope, period, t.group_id, t.month, t.measure, t.value, t.n),
            outcome_values_select(marked_where(scope, period)),
        ).cte("outcome_pairs")
    else:
        pairs = outcome_values_select(_live_where(scope, period)).cte("outcome_pairs")
    income, incomes = weighted_median(pairs, INCOME, "value")
    planned, plans = weighted_median(pairs, PLANNED, "value")
    return income, planned, incomes, plans
