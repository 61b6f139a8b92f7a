"""Plan records for tests: a plan in progress with a goal, a task and a visit."""

from datetime import timedelta

from accounts.models import User
from core.clock import today
from core.db import db
from groups.models import Member
from plans import services
from plans.models import ActionKind
from support.models.screening import Dimension


def make_plan(facilitator_id: int, member_id: int) -> dict[str, int]:
    """In an app context: the member's plan, opened today by the facilitator, review in
    30 days; a goal; a task for the facilitator due in 2 days; a visit due in 5 days."""
    facilitator = db.session.get(User, facilitator_id)
    member = db.session.get(Member, member_id)
    day = today()
    plan = services.open_plan(
        facilitator,
        member,
        opened_on=day,
        next_review_on=day + timedelta(days=30),
        notes=None,
        today=day,
    )
    goal = services.add_goal(
        facilitator,
        plan,
        dimension=Dimension.ECONOMIC,
        description="Có thu nhập đều từ nuôi lợn",
        target_on=None,
        today=day,
    )
    task = services.add_action(
        facilitator,
        goal,
        kind=ActionKind.TASK,
        description="Làm lại căn cước",
        due_on=day + timedelta(days=2),
        today=day,
        responsible=facilitator,
    )
    visit = services.add_action(
        facilitator,
        goal,
        kind=ActionKind.VISIT,
        description="Thăm chuồng lợn",
        due_on=day + timedelta(days=5),
        today=day,
        responsible=facilitator,
    )
    db.session.commit()
    return {"plan": plan.id, "plan_goal": goal.id, "plan_action": task.id, "plan_visit": visit.id}
