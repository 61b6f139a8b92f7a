"""Reminders of case plans, in the follow-up engine's way (livelihoods/jobs.py).

`send_reminders` runs daily after the follow-up sweep (core/scheduler.py), and by hand
with `flask scheduler run-job plans.reminders --today YYYY-MM-DD`:
- a task due within three days, due today or overdue: its person responsible, once per
  task, due date and stage;
- a review due within three days, today or overdue: the facilitators of the member's
  current group, once per plan, review date, stage and person;
- a task or review overdue by more than two weeks: the coordinators of the province of
  the member's current (or last) group, once per item and date.
Visits of a plan are FollowUps, reminded and escalated by the sweep itself. The job
claims its day and every INSERT skips keys that exist, so running it twice, or in two
processes at once, tells nobody twice; the first run after a pause catches up.
"""

import logging
from datetime import date, timedelta

from sqlalchemy import case, literal, or_, select

from accounts.models import Role, User, user_provinces
from core.db import db, inserted, sql_now, sql_text
from core.jobs import claim
from groups.models import Group, group_facilitators
from groups.services.scope import current_groups, home_memberships
from inbox import services as notify
from livelihoods.jobs import DUE_SOON_DAYS, ESCALATE_AFTER_DAYS
from plans.models import ActionKind, ActionStatus, CasePlan, PlanAction, PlanGoal, PlanStatus

logger = logging.getLogger(__name__)

COLUMNS = ["user_id", "key", "kind", "object_id", "created_at"]


def _stage(column, today: date, prefix: str):
    return case(
        (column < today, literal(f"{prefix}_overdue")),
        (column == today, literal(f"{prefix}_due_today")),
        else_=literal(f"{prefix}_due_soon"),
    )


def _tell(source) -> int:
    return inserted(notify.insert_statement().from_select(COLUMNS, source))


def _still_sees(user, member_id):
    """SQL: the responsible person may still see the member (a member who moved, or a
    facilitator taken off the group: the reminder goes nowhere it would be refused)."""
    current = current_groups()
    home = home_memberships()
    facilitates = (
        select(literal(1))
        .select_from(current)
        .join(group_facilitators, group_facilitators.c.group_id == current.c.group_id)
        .where(current.c.member_id == member_id, group_facilitators.c.user_id == user.id)
        .exists()
    )
    covers = (
        select(literal(1))
        .select_from(home)
        .join(Group, Group.id == home.c.group_id)
        .join(user_provinces, user_provinces.c.province_code == Group.province_code)
        .where(home.c.member_id == member_id, user_provinces.c.user_id == user.id)
        .exists()
    )
    return or_(
        user.role == Role.ADMIN,
        (user.role == Role.FACILITATOR) & facilitates,
        (user.role == Role.COORDINATOR) & covers,
    )


def send_reminders(today: date) -> dict[str, int]:
    """Remind the people responsible of tasks, the facilitators of reviews, and escalate
    what is overdue by more than two weeks to the province's coordinators."""
    if not claim("plans.reminders", today.isoformat()):
        logger.info("plan reminders for %s already ran", today)
        return {"skipped": 1}
    soon = today + timedelta(days=DUE_SOON_DAYS)
    late = today - timedelta(days=ESCALATE_AFTER_DAYS)
    active_plan = CasePlan.status == PlanStatus.ACTIVE
    open_task = (PlanAction.kind == ActionKind.TASK) & (PlanAction.status == ActionStatus.OPEN)

    stage = _stage(PlanAction.due_on, today, "task")
    tasks = _tell(
        select(
            PlanAction.responsible_id,
            sql_text(
                "pa:",
                PlanAction.id,
                ":",
                PlanAction.due_on,
                ":",
                stage,
                ":",
                PlanAction.responsible_id,
            ),
            stage,
            PlanAction.id,
            sql_now(),
        )
        .join(PlanGoal, PlanGoal.id == PlanAction.goal_id)
        .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
        .join(User, User.id == PlanAction.responsible_id)
        .where(
            open_task,
            active_plan,
            PlanAction.due_on <= soon,
            User.active,
            _still_sees(User, CasePlan.member_id),
        )
    )

    current = current_groups()
    stage = _stage(CasePlan.next_review_on, today, "review")
    reviews = _tell(
        select(
            group_facilitators.c.user_id,
            sql_text(
                "pr:",
                CasePlan.id,
                ":",
                CasePlan.next_review_on,
                ":",
                stage,
                ":",
                group_facilitators.c.user_id,
            ),
            stage,
            CasePlan.id,
            sql_now(),
        )
        .join(current, current.c.member_id == CasePlan.member_id)
        .join(group_facilitators, group_facilitators.c.group_id == current.c.group_id)
        .join(User, User.id == group_facilitators.c.user_id)
        .where(active_plan, CasePlan.next_review_on <= soon, User.active)
    )

    home = home_memberships()

    def coordinators(select_from, member_id):
        return (
            select_from.join(home, home.c.member_id == member_id)
            .join(Group, Group.id == home.c.group_id)
            .join(user_provinces, user_provinces.c.province_code == Group.province_code)
            .join(User, User.id == user_provinces.c.user_id)
            .where(User.active, User.role == Role.COORDINATOR)
        )

    escalated = _tell(
        coordinators(
            select(
                user_provinces.c.user_id,
                sql_text(
                    "pre:", CasePlan.id, ":", CasePlan.next_review_on, ":", user_provinces.c.user_id
                ),
                literal("review_escalated"),
                CasePlan.id,
                sql_now(),
            ),
            CasePlan.member_id,
        ).where(active_plan, CasePlan.next_review_on < late)
    )
    escalated += _tell(
        coordinators(
            select(
                user_provinces.c.user_id,
                sql_text(
                    "pae:", PlanAction.id, ":", PlanAction.due_on, ":", user_provinces.c.user_id
                ),
                literal("task_escalated"),
                PlanAction.id,
                sql_now(),
            )
            .join(PlanGoal, PlanGoal.id == PlanAction.goal_id)
            .join(CasePlan, CasePlan.id == PlanGoal.plan_id),
            CasePlan.member_id,
        ).where(open_task, active_plan, PlanAction.due_on < late)
    )
    db.session.commit()
    logger.info(
        "plan reminders for %s: %s tasks, %s reviews, %s escalated",
        today,
        tasks,
        reviews,
        escalated,
    )
    return {"tasks": tasks, "reviews": reviews, "escalated": escalated}


# Words for the inbox and email, in the reader's language: a member code and a date,
# never the goal, the action's words or the member's circumstances.
