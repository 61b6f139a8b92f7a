"""Case plans: the queries the pages, the due lists and the figures read, and the SQL
twin of CasePlan.can_view. Read only: state changes are in plans/services.py."""

from datetime import date, timedelta

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core.db import db
from groups.models import Member
from groups.services.scope import member_in_scope
from plans.models import (
    ActionKind,
    ActionStatus,
    CasePlan,
    GoalStatus,
    PlanAction,
    PlanGoal,
    PlanReview,
    PlanStatus,
)
from support.models.screening import Screening, ScreeningStatus

# Who sees what, in SQL -----------------------------------------------------------------


def visible(user: User, member_id) -> ColumnElement[bool]:
    """SQL twin of CasePlan.can_view."""
    if user.role not in Role.STAFF:
        return false()
    return member_in_scope(user, member_id)


# Screening scores beside the goals -----------------------------------------------------


def score_history(member: Member) -> list[Screening]:
    """The member's complete screenings, oldest first (scores for managers only)."""
    return list(
        db.session.scalars(
            select(Screening)
            .where(Screening.member_id == member.id, Screening.status == ScreeningStatus.COMPLETE)
            .order_by(Screening.screened_on, Screening.id)
        )
    )


# The due lists and figures -------------------------------------------------------------


def due_tasks(user: User, *, until: date, today: date):
    """Open tasks due by `until`: a facilitator's own; a coordinator's or admin's own and
    those overdue among the members they may see."""
    stmt = (
        select(PlanAction)
        .join(PlanGoal, PlanGoal.id == PlanAction.goal_id)
        .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
        .where(
            PlanAction.kind == ActionKind.TASK,
            PlanAction.status == ActionStatus.OPEN,
            CasePlan.status == PlanStatus.ACTIVE,
            visible(user, CasePlan.member_id),
        )
    )
    mine = (PlanAction.responsible_id == user.id) & (PlanAction.due_on <= until)
    if user.role != Role.FACILITATOR:
        mine = mine | (PlanAction.due_on < today)
    return (
        stmt.where(mine)
        .options(selectinload(PlanAction.goal).selectinload(PlanGoal.plan))
        .order_by(PlanAction.due_on, PlanAction.id)
    )


def due_reviews(user: User, *, until: date, today: date):
    """Plans in progress whose review is due by `until` (facilitators), or overdue
    (coordinators and admins), among the members the user may see."""
    last = until if user.role == Role.FACILITATOR else today - timedelta(days=1)
    return (
        select(CasePlan)
        .where(
            CasePlan.status == PlanStatus.ACTIVE,
            CasePlan.next_review_on <= last,
            visible(user, CasePlan.member_id),
        )
        .options(selectinload(CasePlan.member))
        .order_by(CasePlan.next_review_on, CasePlan.id)
    )


def figures(user: User, *, start: date, end: date, today: date) -> dict[str, int]:
    """Members with a plan in progress, reviews due now, reviews recorded in the period
    and how many on time, goals met in the period; among the members the user may see."""
    scope = visible(user, CasePlan.member_id)
    active = (CasePlan.status == PlanStatus.ACTIVE) & scope
    reviews = db.session.execute(
        select(
            func.count(PlanReview.id),
            func.count(PlanReview.id).filter(PlanReview.reviewed_on <= PlanReview.due_on),
        )
        .join(CasePlan, CasePlan.id == PlanReview.plan_id)
        .where(scope, PlanReview.reviewed_on.between(start, end))
    ).one()
    return {
        "members_with_plan": db.session.scalar(
            select(func.count(func.distinct(CasePlan.member_id))).where(active)
        ),
        "reviews_overdue": db.session.scalar(
            select(func.count()).where(active, CasePlan.next_review_on < today)
        ),
        "reviews": reviews[0],
        "reviews_on_time": reviews[1],
        "goals_met": db.session.scalar(
            select(func.count(PlanGoal.id))
            .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
            .where(
                scope,
                PlanGoal.status == GoalStatus.MET,
                PlanGoal.settled_on.between(start, end),
            )
        ),
        "goals_open": db.session.scalar(
            select(func.count(PlanGoal.id))
            .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
            .where(active, PlanGoal.status == GoalStatus.OPEN)
        ),
    }


def list_plans(user: User, *, overdue_only: bool, today: date):
    stmt = select(CasePlan).where(
        CasePlan.status == PlanStatus.ACTIVE, visible(user, CasePlan.member_id)
    )
    if overdue_only:
        stmt = stmt.where(CasePlan.next_review_on < today)
    return stmt.options(selectinload(CasePlan.member)).order_by(
        CasePlan.next_review_on, CasePlan.id
    )
