"""Case plans: open, goals, actions, reviews, close (the queries are in plans/queries.py).

Services flush, never commit, take an explicit actor and dates, and raise DomainError
with the field it belongs to. Audit details carry ids and statuses, never the words of a
goal, an action or a note.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core import audit
from core.dates import check_day, not_before
from core.db import db
from core.errors import Conflict, DomainError
from groups.models import Member
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from plans.checks import (
    ALREADY_OPEN,
    BEFORE_JOINING,
    BEFORE_OPENED,
    check_planned_day,
    clean_text,
    joined_on,
    require_active,
)
from plans.models import (
    ActionKind,
    ActionStatus,
    CasePlan,
    GoalStatus,
    PlanAction,
    PlanGoal,
    PlanStatus,
)
from support.models.referrals import ServiceProvider
from support.models.screening import Dimension, SupportType
from support.services import referrals as referral_services

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
    check_planned_day(next_review_on, today, "next_review_on")
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
    require_active(plan)
    description = clean_text(description, "description", _l("Write the goal."))
    if target_on is not None:
        check_planned_day(target_on, today, "target_on", plan.opened_on)
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
    require_active(plan)
    if not goal.is_open:
        raise DomainError(_l("This goal is already settled. Add the action to an open goal."))
    description = clean_text(description, "description", _l("Write what is to be done."))
    check_planned_day(due_on, today, "due_on", plan.opened_on)
    member = plan.member
    referral, responsible_id = None, None
    if kind == ActionKind.REFERRAL:
        if service is None:
            raise DomainError(_l("Choose the service needed."), "service")
        referral = referral_services.refer(
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
    require_active(plan)
    if action.kind == ActionKind.REFERRAL:
        raise DomainError(_l("A referral is followed on its own page."))
    if action.current_status != ActionStatus.OPEN:
        raise DomainError(
            _l(
                "This action is already %(status)s. Nothing was changed.",
                status=action.current_status.label,
            )
        )
    description = clean_text(description, "description", _l("Write what is to be done."))
    if due_on != action.due_on:
        check_planned_day(due_on, today, "due_on", plan.opened_on)
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
    require_active(plan)
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
