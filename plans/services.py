"""Case plans: open, goals, actions, reviews, close (the queries are in plans/queries.py).

Services flush, never commit, take an explicit actor and dates, and raise DomainError
with the field it belongs to. Audit details carry ids and statuses, never the words of a
goal, an action or a note.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from accounts.models import Role, User
from core import audit
from core.dates import PLAN_DAYS, Day, check_day, not_before
from core.db import db
from core.errors import Conflict, DomainError
from core.forms import at_most
from core.saving import on_duplicate
from groups.models import Member, Membership
from groups.services import members as member_services
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
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
from support import services as support_services
from support.models import Dimension, ServiceProvider, SupportType

ALREADY_OPEN = _l(
    "This member already has a support plan in progress. Nothing new was opened: "
    "add goals to the one below."
)
on_duplicate("uq_case_plans_active_member", ALREADY_OPEN)
REVIEWED_THAT_DAY = _l("A review of this plan on that day is already recorded.")
on_duplicate("uq_plan_reviews_plan_id_reviewed_on", REVIEWED_THAT_DAY, "reviewed_on")

BEFORE_JOINING = _l("The date (%(day)s) is before the member joined the programme (%(joined)s).")
BEFORE_OPENED = _l("The date (%(day)s) is before the plan was opened (%(opened)s).")
BEFORE_LAST_REVIEW = _l("The date (%(day)s) is before the plan's last review (%(reviewed)s).")


# Dates ---------------------------------------------------------------------------------


def joined_on(member: Member) -> date | None:
    """The day the member first joined a group: nothing of theirs is dated before it."""
    return db.session.scalar(
        select(func.min(Membership.joined_on)).where(Membership.member_id == member.id)
    )


def _planned_day(day: date, today: date, field: str, earliest: date | None = None) -> None:
    """A planned date: not in the past, at most PLAN_DAYS ahead."""
    if day < today:
        raise DomainError(
            _l("%(day)s is in the past: today is %(today)s.", day=Day(day), today=Day(today)),
            field,
        )
    check_day(day, today, field, ahead_days=PLAN_DAYS)
    if earliest is not None:
        not_before(day, earliest, BEFORE_OPENED, field)


def _effective_day(plan: CasePlan, day: date, today: date, field: str) -> None:
    """The day something happened to the plan: not in the future, not before it opened
    or before its last review."""
    check_day(day, today, field)
    not_before(day, plan.opened_on, BEFORE_OPENED, field)
    last = plan.last_review
    not_before(day, last.reviewed_on if last else None, BEFORE_LAST_REVIEW, field)


def _text(value: str | None, field: str, message, limit: int = 300) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field)
    if len(value) > limit:
        raise DomainError(at_most(limit).message, field)
    return value


def _require_active(plan: CasePlan) -> None:
    if not plan.is_active:
        raise DomainError(_l("This plan is closed. Nothing was changed."))


# Plans ---------------------------------------------------------------------------------


def active_plan(member: Member) -> CasePlan | None:
    return db.session.scalar(
        select(CasePlan).where(
            CasePlan.member_id == member.id, CasePlan.status == PlanStatus.ACTIVE
        )
    )


def list_member_plans(member: Member) -> list[CasePlan]:
    return list(
        db.session.scalars(
            select(CasePlan)
            .where(CasePlan.member_id == member.id)
            .order_by(CasePlan.opened_on.desc(), CasePlan.id.desc())
        )
    )


def open_plan(
    actor: User,
    member: Member,
    *,
    opened_on: date,
    next_review_on: date,
    notes: str | None,
    today: date,
) -> CasePlan:
    """Open the member's plan; one in progress at a time."""
    check_day(opened_on, today, "opened_on")
    not_before(opened_on, joined_on(member), BEFORE_JOINING, "opened_on")
    _planned_day(next_review_on, today, "next_review_on")
    if active_plan(member) is not None:
        raise Conflict(ALREADY_OPEN)
    plan = CasePlan(
        member=member,
        status=PlanStatus.ACTIVE,
        opened_on=opened_on,
        next_review_on=next_review_on,
        notes=(notes or "").strip() or None,
        created_by_id=actor.id,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "create", plan, detail="notes" if plan.notes else None)
    return plan


def add_goal(
    actor: User,
    plan: CasePlan,
    *,
    dimension: Dimension,
    description: str | None,
    target_on: date | None,
    today: date,
) -> PlanGoal:
    """Add a goal in one of the screening's dimensions."""
    _require_active(plan)
    description = _text(description, "description", _l("Write the goal."))
    if target_on is not None:
        _planned_day(target_on, today, "target_on", plan.opened_on)
    goal = PlanGoal(
        plan=plan,
        dimension=dimension,
        description=description,
        target_on=target_on,
        status=GoalStatus.OPEN,
        set_on=today,
    )
    db.session.add(goal)
    db.session.flush()
    audit.record(
        actor,
        "create",
        goal,
        member_id=plan.member_id,
        detail=f"plan={plan.id} dimension={dimension.value}",
    )
    return goal


def responsible_choices(member: Member) -> list[User]:
    """Who may be responsible for an action: the facilitators of the member's current
    group and the coordinators of its province (active accounts)."""
    current = member.current_membership
    if current is None:
        return []
    group = current.group
    people = [u for u in group.facilitators if u.active]
    people += list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.COORDINATOR, User.active)
            .where(User.provinces.any(code=group.province_code))
            .order_by(User.full_name, User.id)
        )
    )
    seen, out = set(), []
    for user in people:
        if user.id not in seen:
            seen.add(user.id)
            out.append(user)
    return out


def add_action(
    actor: User,
    goal: PlanGoal,
    *,
    kind: ActionKind,
    description: str | None,
    due_on: date,
    today: date,
    responsible: User | None = None,
    provider: ServiceProvider | None = None,
    service: SupportType | None = None,
) -> PlanAction:
    """Add an action to a goal. A visit opens a follow-up due that day (the due lists and
    the sweep's reminders); a referral is made through support (consent checked there)."""
    plan = goal.plan
    _require_active(plan)
    if not goal.is_open:
        raise DomainError(_l("This goal is already settled. Add the action to an open goal."))
    description = _text(description, "description", _l("Write what is to be done."))
    _planned_day(due_on, today, "due_on", plan.opened_on)
    member = plan.member
    referral, responsible_id = None, None
    if kind == ActionKind.REFERRAL:
        if service is None:
            raise DomainError(_l("Choose the service needed."), "service")
        referral = support_services.refer(
            actor,
            member,
            provider=provider,
            service=service,
            reason=description,
            expected_on=due_on,
            today=today,
        )
    else:
        allowed = {u.id for u in responsible_choices(member)}
        if responsible is None or responsible.id not in allowed:
            raise DomainError(_l("Choose who is responsible from the list."), "responsible_id")
        responsible_id = responsible.id
    action = PlanAction(
        goal=goal,
        kind=kind,
        description=description,
        due_on=due_on,
        status=ActionStatus.OPEN,
        responsible_id=responsible_id,
        referral=referral,
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    if kind == ActionKind.VISIT:
        follow_up = FollowUp(
            kind=FollowUpKind.HOME_VISIT,
            source_key=f"plan:{action.id}",
            member_id=member.id,
            source_on=today,
            due_on=due_on,
            status=FollowUpStatus.SCHEDULED,
        )
        db.session.add(follow_up)
        db.session.flush()
        action.follow_up_id = follow_up.id
        db.session.flush()
    audit.record(
        actor,
        "create",
        action,
        member_id=member.id,
        detail=f"goal={goal.id} kind={kind.value}",
    )
    return action


def change_action(
    actor: User,
    action: PlanAction,
    *,
    description: str | None,
    due_on: date,
    responsible: User | None,
    today: date,
) -> PlanAction:
    """Change an open task's or visit's words, due date or person responsible (someone
    left, the member moved); a visit's follow-up moves with its due date."""
    plan = action.plan
    _require_active(plan)
    if action.kind == ActionKind.REFERRAL:
        raise DomainError(_l("A referral is followed on its own page."))
    if action.current_status != ActionStatus.OPEN:
        raise DomainError(
            _l(
                "This action is already %(status)s. Nothing was changed.",
                status=action.current_status.label,
            )
        )
    description = _text(description, "description", _l("Write what is to be done."))
    if due_on != action.due_on:
        _planned_day(due_on, today, "due_on", plan.opened_on)
    allowed = {u.id for u in responsible_choices(plan.member)}
    if responsible is None or responsible.id not in allowed:
        raise DomainError(_l("Choose who is responsible from the list."), "responsible_id")
    changed = [
        name
        for name, old, new in (
            ("description", action.description, description),
            ("due_on", action.due_on, due_on),
            ("responsible", action.responsible_id, responsible.id),
        )
        if old != new
    ]
    action.description, action.due_on, action.responsible_id = description, due_on, responsible.id
    if action.follow_up is not None and action.follow_up.status == FollowUpStatus.SCHEDULED:
        action.follow_up.due_on = due_on
    db.session.flush()
    audit.record(
        actor, "update", action, member_id=plan.member_id, detail="changed=" + ",".join(changed)
    )
    return action


def settle_action(
    actor: User, action: PlanAction, *, to: ActionStatus, on: date, today: date
) -> PlanAction:
    """Mark a task done or dropped, or drop a visit (its follow-up is cancelled)."""
    plan = action.plan
    _require_active(plan)
    if action.kind == ActionKind.REFERRAL:
        raise DomainError(_l("A referral is followed on its own page."))
    if action.current_status != ActionStatus.OPEN:
        raise DomainError(
            _l(
                "This action is already %(status)s. Nothing was changed.",
                status=action.current_status.label,
            )
        )
    if to not in (ActionStatus.DONE, ActionStatus.DROPPED):
        raise DomainError(_l("Choose what happened."), "to_status")
    if action.kind == ActionKind.VISIT and to == ActionStatus.DONE:
        raise DomainError(
            _l("A visit is done when it is recorded: record the visit from the due list."),
            "to_status",
        )
    check_day(on, today, "on")
    not_before(on, plan.opened_on, BEFORE_OPENED, "on")
    action.status = to
    action.done_on = on
    if action.follow_up is not None and action.follow_up.status == FollowUpStatus.SCHEDULED:
        action.follow_up.status = FollowUpStatus.CANCELLED
    db.session.flush()
    audit.record(actor, "update", action, member_id=plan.member_id, detail=f"open>{to.value}")
    return action


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
    _require_active(plan)
    _effective_day(plan, reviewed_on, today, "reviewed_on")
    _planned_day(next_review_on, today, "next_review_on")
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
    _require_active(plan)
    _effective_day(plan, closed_on, today, "closed_on")
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


member_services.ANONYMISERS.append(clear_member_texts)
