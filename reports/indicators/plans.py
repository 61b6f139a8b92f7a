"""The support plans section (plans/, issue 26): members with a plan in progress at the
period's end, plan reviews due in the period and how many were made on time, goals met
in the period. A plan follows its member, so a plan is in scope when its member is."""

from datetime import date, timedelta

from sqlalchemy import Date, and_, bindparam, func, or_, select

from plans.models import CasePlan, GoalStatus, PlanGoal, PlanReview, PlanStatus
from reports.indicators import prepared
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.sql import ratio

# The last day a review missed in the period may be due on: the period's end, or
# yesterday when the period is not over.
REVIEW_UNTIL = bindparam("review_until", type_=Date)


def plan_figures(scope: Scope, period: Period, today: date) -> dict:
    """Four figures, one statement (four scalar subqueries), built once for each shape
    of scope and period (reports.indicators.prepared)."""
    until = min(period.end, today - timedelta(days=1))
    members, recorded, on_time, late, met = prepared.run(
        "plan_figures", scope, period, plan_select, values={"review_until": until}
    ).one()
    due = int(recorded or 0) + int(late or 0)
    on_time = int(on_time or 0)
    return {
        "members_with_plan": int(members or 0),
        "plan_reviews_due": due,
        "plan_reviews_on_time": ratio(on_time, due),
        "goals_met": int(met or 0),
        # What the share is over, for disclosure control (reports.suppression).
        "bases": {"plan_reviews_on_time": (on_time, due)},
    }


def plan_select(scope: Scope, period: Period):
    """The statement of plan_figures."""
    in_scope = scope.has_member(CasePlan.member_id)
    start, end = period.start, period.end
    with_plan = (
        select(func.count(func.distinct(CasePlan.member_id)))
        .where(
            in_scope,
            CasePlan.opened_on <= end,
            or_(CasePlan.closed_on.is_(None), CasePlan.closed_on > end),
        )
        .scalar_subquery()
    )
    reviewed = (
        select(
            func.count(PlanReview.id).label("due"),
            func.count(PlanReview.id)
            .filter(PlanReview.reviewed_on <= PlanReview.due_on)
            .label("on_time"),
        )
        .join(CasePlan, CasePlan.id == PlanReview.plan_id)
        .where(in_scope, PlanReview.due_on.between(start, end))
        .subquery()
    )
    # A review whose day has passed, in the period, with none recorded yet: due, late.
    missed = (
        select(func.count(CasePlan.id))
        .where(
            in_scope,
            CasePlan.status == PlanStatus.ACTIVE,
            and_(
                CasePlan.next_review_on >= start,
                CasePlan.next_review_on <= REVIEW_UNTIL,
            ),
        )
        .scalar_subquery()
    )
    goals_met = (
        select(func.count(PlanGoal.id))
        .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
        .where(
            in_scope,
            PlanGoal.status == GoalStatus.MET,
            PlanGoal.settled_on.between(start, end),
        )
        .scalar_subquery()
    )
    return select(with_plan, reviewed.c.due, reviewed.c.on_time, missed, goals_met)
