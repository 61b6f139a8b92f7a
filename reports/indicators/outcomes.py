"""The outcomes section: business status at 3, 6 and 12 months, income at 6 months,
follow-up visits on time and overdue.

For whole months and provinces or the country they are read from the analytics tables
(reports.indicators.outcome_facts); any other range of days or a narrower scope from the
follow-ups and visits, by the statements below: what the tests compare the facts with.
Both are made of the rules of reports.facts.build."""

from datetime import date

from sqlalchemy import Date, and_, bindparam, case, func, literal, select

from livelihoods.models import (
    FollowUp,
    FollowUpStatus,
    Grant,
    Outcome,
    Visit,
)
from reports.definitions import OUTCOME_MONTHS
from reports.facts.build import (
    RUNNING,
    SIX_MONTH_CHECK,
    VISIT_ON_TIME,
    outcome_checks,
    visits_due,
)
from reports.facts.outcomes import MONTH_COLUMNS, check_column
from reports.indicators import prepared
from reports.indicators.outcome_facts import outcome_medians, outcome_rows, reads_facts
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.sql import count_of, median_of, ratio

TODAY = bindparam("today", type_=Date)


def _overdue(scope: Scope, of_today: bool):
    """Follow-ups overdue today (the parameter `today`), None when not `of_today`."""
    if not of_today:
        return literal(None)
    return (
        select(func.count())
        .where(
            scope.has_member(FollowUp.member_id),
            FollowUp.status == FollowUpStatus.SCHEDULED,
            FollowUp.due_on < TODAY,
        )
        .scalar_subquery()
    )


def _facts_select(scope: Scope, period: Period, of_today: bool):
    rows = outcome_rows(scope, period)
    sums = select(
        *(func.coalesce(func.sum(rows.c[c]), 0).label(c) for c in MONTH_COLUMNS)
    ).subquery()
    income, planned, incomes, plans = outcome_medians(scope, period)
    return select(*sums.c, income, planned, _overdue(scope, of_today), incomes, plans)


def _from_facts(scope: Scope, period: Period, today: date, of_today: bool) -> tuple:
    """(by_months, due, on time, income, planned, overdue, incomes, plans): one statement,
    built once for each shape (reports.indicators.prepared)."""
    row = prepared.run(
        "outcome_facts",
        scope,
        period,
        lambda s, p: _facts_select(s, p, of_today),
        of_today,
        values={"today": today},
    ).one()
    counts = dict(zip(MONTH_COLUMNS, row, strict=False))
    by_months = {m: {o: int(counts[check_column(m, o)]) for o in Outcome} for m in OUTCOME_MONTHS}
    return by_months, int(counts["due"]), int(counts["on_time"]), *row[len(MONTH_COLUMNS) :]


def _statuses_select(scope: Scope, period: Period):
    return (
        select(FollowUp.months_after, Visit.business_status, func.count())
        .join(Visit, Visit.follow_up_id == FollowUp.id)
        .where(scope.has_member(FollowUp.member_id), outcome_checks(period.start, period.end))
        .group_by(FollowUp.months_after, Visit.business_status)
    )


def _live_select(scope: Scope, period: Period, of_today: bool):
    in_scope = scope.has_member(FollowUp.member_id)
    six_months = (in_scope, SIX_MONTH_CHECK, Visit.visited_on.between(period.start, period.end))
    incomes = (
        select(Visit.monthly_income)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .where(*six_months)
    )
    plans = (
        select(Grant.planned_income)
        .select_from(Visit)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .join(Grant, Grant.id == FollowUp.grant_id)
        .where(*six_months, Grant.planned_income.is_not(None))
    )
    due = and_(in_scope, visits_due(period.start, period.end))
    visits = (
        select(func.count(), func.coalesce(func.sum(case((VISIT_ON_TIME, 1), else_=0)), 0))
        .select_from(FollowUp)
        .outerjoin(Visit, Visit.follow_up_id == FollowUp.id)
        .where(due)
        .subquery()
    )
    return select(
        visits.c[0],
        visits.c[1],
        median_of(incomes),
        median_of(plans),
        _overdue(scope, of_today),
        count_of(incomes),
        count_of(plans),
    )


def _live(scope: Scope, period: Period, today: date, of_today: bool) -> tuple:
    """The same, from the follow-ups and visits of the period: two statements, each
    built once for each shape."""
    statuses = prepared.run("outcome_statuses", scope, period, _statuses_select).all()
    by_months = {m: dict.fromkeys(Outcome, 0) for m in OUTCOME_MONTHS}
    for months, status, n in statuses:
        by_months[months][status] += n
    row = prepared.run(
        "outcome_live",
        scope,
        period,
        lambda s, p: _live_select(s, p, of_today),
        of_today,
        values={"today": today},
    ).one()
    return by_months, int(row[0]), int(row[1]), *row[2:]


def outcome_figures(scope: Scope, period: Period, today: date, *, of_today=True) -> dict:
    """Business status at 3, 6 and 12 months, median income at 6 months, visits due and
    made on time, visits overdue today (None when not `of_today`: a figure of today has
    no period before, definitions.Figure.comparable)."""
    # A facilitator's or a commune's few members are read faster live (measured: 22 ms
    # live against 41 ms from the facts at national scale 0.3, most of it building the
    # statement); provinces and the country from the facts (132 → 58 ms and more).
    read = _from_facts if reads_facts(period) and scope.wide else _live
    by_months, due_n, on_time_n, income_v, planned_v, overdue_n, income_n, planned_n = read(
        scope, period, today, of_today
    )
    out = {
        f"running_{m}": ratio(sum(counts[o] for o in RUNNING), sum(counts.values()))
        for m, counts in by_months.items()
    }
    out.update(
        income_6=None if income_v is None else int(round(float(income_v))),
        planned_income_6=None if planned_v is None else int(round(float(planned_v))),
        visits_due=int(due_n),
        visits_on_time=ratio(int(on_time_n), int(due_n)),
        overdue_now=None if overdue_n is None else int(overdue_n),
        by_months=by_months,
        # What each share is over (numerator, denominator), and how many values each
        # median is over: for disclosure control (reports.suppression).
        bases={
            **{
                f"running_{m}": (sum(counts[o] for o in RUNNING), sum(counts.values()))
                for m, counts in by_months.items()
            },
            "visits_on_time": (int(on_time_n), int(due_n)),
            "income_6": int(income_n or 0),
            "planned_income_6": int(planned_n or 0),
        },
    )
    return out
