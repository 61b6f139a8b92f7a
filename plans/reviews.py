"""Reviewing a plan (progress on each open goal, the next review) and closing it; clearing
a member's plan texts when they are anonymised."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from accounts.models import User
from core import audit
from core.db import db
from core.errors import DomainError
from groups.models import Member
from groups.services import anonymise
from livelihoods.models import FollowUpStatus
from plans.checks import (
    check_effective_day,
    check_planned_day,
    require_active,
)
from plans.models import (
    ActionKind,
    ActionStatus,
    CasePlan,
    CloseReason,
    GoalProgress,
    GoalStatus,
    PlanAction,
    PlanGoal,
    PlanReview,
    PlanStatus,
    Progress,
)

# Reviews and closing -------------------------------------------------------------------


def record_review(
    actor: User,
    plan: CasePlan,
    *,
    reviewed_on: date,
    next_review_on: date,
    progress: dict[int, Progress | None],
    notes: str | None,
    today: date,
) -> PlanReview:
    """Record progress on every open goal and set the next review's date."""
    require_active(plan)
    check_effective_day(plan, reviewed_on, today, "reviewed_on")
    check_planned_day(next_review_on, today, "next_review_on")
    if next_review_on <= reviewed_on:
        raise DomainError(_l("The next review must come after this one."), "next_review_on")
    open_goals = [g for g in plan.goals if g.is_open]
    if not open_goals:
        raise DomainError(_l("Add a goal to the plan before reviewing it."))
    for goal in open_goals:
        if progress.get(goal.id) is None:
            raise DomainError(_l("Say how this goal is going."), f"goal{goal.id}")
    review = PlanReview(
        plan=plan,
        reviewed_on=reviewed_on,
        due_on=plan.next_review_on,
        next_review_on=next_review_on,
        notes=(notes or "").strip() or None,
        reviewed_by_id=actor.id,
    )
    for goal in open_goals:
        chosen = progress[goal.id]
        review.progress.append(GoalProgress(goal_id=goal.id, progress=chosen))
        if chosen in (Progress.MET, Progress.DROPPED):
            goal.status = GoalStatus.MET if chosen == Progress.MET else GoalStatus.DROPPED
            goal.settled_on = reviewed_on
    plan.next_review_on = next_review_on
    db.session.add(review)
    db.session.flush()
    met = sum(1 for g in open_goals if g.status == GoalStatus.MET)
    audit.record(
        actor,
        "update",
        plan,
        detail=f"review={review.id} goals={len(open_goals)} met={met}",
    )
    return review


def close_plan(
    actor: User, plan: CasePlan, *, closed_on: date, reason: CloseReason, today: date
) -> CasePlan:
    """Close the plan: open tasks are dropped and planned visits cancelled; referrals
    stay with the provider's loop."""
    require_active(plan)
    check_effective_day(plan, closed_on, today, "closed_on")
    for action in plan.actions:
        if action.kind == ActionKind.REFERRAL or action.current_status != ActionStatus.OPEN:
            continue
        action.status = ActionStatus.DROPPED
        action.done_on = closed_on
        if action.follow_up is not None and action.follow_up.status in (
            FollowUpStatus.SCHEDULED,
            FollowUpStatus.MISSED,
        ):
            action.follow_up.status = FollowUpStatus.CANCELLED
    plan.status = PlanStatus.CLOSED
    plan.closed_on = closed_on
    plan.close_reason = reason
    db.session.flush()
    audit.record(actor, "update", plan, detail=f"closed reason={reason.value}")
    return plan


# Anonymisation -------------------------------------------------------------------------


def clear_member_texts(member: Member) -> None:
    """On anonymisation: the words written about the member in their plans."""
    plans = select(CasePlan.id).where(CasePlan.member_id == member.id)
    goals = select(PlanGoal.id).where(PlanGoal.plan_id.in_(plans))
    db.session.execute(
        update(PlanAction).where(PlanAction.goal_id.in_(goals)).values(description="—")
    )
    db.session.execute(update(PlanGoal).where(PlanGoal.id.in_(goals)).values(description="—"))
    db.session.execute(update(PlanReview).where(PlanReview.plan_id.in_(plans)).values(notes=None))
    db.session.execute(
        update(CasePlan)
        .where(CasePlan.member_id == member.id)
        .values(notes=None, version=CasePlan.version + 1)
        .execution_options(synchronize_session=False)
    )


anonymise.ANONYMISERS.append(clear_member_texts)
