"""What the follow-up visits and livelihood checks of a home group's members add up to in
a month, each figure written once: the rows of `fact_outcome_months` and
`fact_outcome_values` for any keys, as one SELECT each, made of the rules in
reports.facts.build (a visit due, on time, a check, a business running). The fold
inserts them for the keys it claimed; the progress figures and the scorecard read them
for the keys still marked and for any period not made of whole months
(reports.indicators.outcome_facts), so the facts and the live figures are the same SQL.

A visit counts in the month it was due (due, on time), a check in the month it was made;
both for the home group of the follow-up's member (0 for none), as
reports.indicators.scope.Scope.has_member places them. `where(group, month, day)` says
which rows, as in reports.facts.grants."""

from sqlalchemy import and_, case, func, literal, select, union_all

from groups.models import Member
from livelihoods.models import FollowUp, Grant, Outcome, Visit
from reports.definitions import OUTCOME_MONTHS
from reports.facts.build import (
    OUTCOME_CHECK,
    RUNNING,
    SIX_MONTH_CHECK,
    VISIT_COUNTED,
    VISIT_ON_TIME,
)
from reports.facts.grants import Where
from reports.sql import month_start

HOME = func.coalesce(Member.home_group_id, 0)


def check_column(months: int, status: Outcome) -> str:
    """The column counting the checks at `months` that found `status`."""
    return f"m{months}_{status.value}"


CHECK_COLUMNS = tuple(check_column(m, o) for m in OUTCOME_MONTHS for o in Outcome)
MONTH_COLUMNS = ("due", "on_time", *CHECK_COLUMNS)
INCOME, PLANNED = "income", "planned"


def checks(row, months=OUTCOME_MONTHS):
    """SQL: of a row with the CHECK_COLUMNS, the checks at `months` (with a status)."""
    return sum((row[check_column(m, o)] for m in months for o in Outcome), literal(0))


def running(row, months=OUTCOME_MONTHS):
    """SQL: of those, the checks that found the business running (build.RUNNING)."""
    return sum((row[check_column(m, o)] for m in months for o in RUNNING), literal(0))


def _padded(g, m, **values):
    return [
        g.label("group_id"),
        m.label("month"),
        *(values.get(c, literal(0)).label(c) for c in MONTH_COLUMNS),
    ]


def _of_checks():
    """Visits joined to their follow-up and its member (inner: a visit with no follow-up
    is no check)."""
    return (
        select()
        .select_from(Visit)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .join(Member, Member.id == FollowUp.member_id)
    )


def outcome_month_select(where: Where):
    """group_id, month and MONTH_COLUMNS of the keys `where` selects that have any."""
    due_month = month_start(FollowUp.due_on)
    visits = (
        select(
            *_padded(
                HOME,
                due_month,
                due=func.count(),
                on_time=func.sum(case((VISIT_ON_TIME, 1), else_=0)),
            )
        )
        .select_from(FollowUp)
        .join(Member, Member.id == FollowUp.member_id)
        .outerjoin(Visit, Visit.follow_up_id == FollowUp.id)
        .where(VISIT_COUNTED, *where(HOME, due_month, FollowUp.due_on))
        .group_by(HOME, due_month)
    )
    seen_month = month_start(Visit.visited_on)
    found = {
        check_column(m, o): func.sum(
            case((and_(FollowUp.months_after == m, Visit.business_status == o), 1), else_=0)
        )
        for m in OUTCOME_MONTHS
        for o in Outcome
    }
    made = (
        _of_checks()
        .add_columns(*_padded(HOME, seen_month, **found))
        .where(OUTCOME_CHECK, *where(HOME, seen_month, Visit.visited_on))
        .group_by(HOME, seen_month)
    )
    every = union_all(visits, made).subquery()
    return select(
        every.c.group_id,
        every.c.month,
        *(func.sum(every.c[c]).label(c) for c in MONTH_COLUMNS),
    ).group_by(every.c.group_id, every.c.month)


def outcome_values_select(where: Where):
    """group_id, month, measure, value, n: how many 6-month checks made in the month
    reported each monthly income (`income`), and how many of them were of a grant whose
    plan expected each income (`planned`)."""
    month = month_start(Visit.visited_on)

    def pairs(measure: str, value, stmt):
        return (
            stmt.add_columns(
                HOME.label("group_id"),
                month.label("month"),
                literal(measure).label("measure"),
                value.label("value"),
                func.count().label("n"),
            )
            .where(SIX_MONTH_CHECK, value.is_not(None), *where(HOME, month, Visit.visited_on))
            .group_by(HOME, month, value)
        )

    both = union_all(
        pairs(INCOME, Visit.monthly_income, _of_checks()),
        pairs(
            PLANNED,
            Grant.planned_income,
            _of_checks().join(Grant, Grant.id == FollowUp.grant_id),
        ),
    ).subquery()
    return select(*both.c)
