"""The words of the plan notices (tasks and reviews due), for the inbox and email, in the
reader's language: member codes and dates only.

inbox.services finds RENDERERS (kind -> words) here by this module's name, in its
NOTICE_MODULES table.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db
from core.i18n import format_day
from groups.models import Member
from plans.models import CasePlan, PlanAction, PlanGoal

TASK_NOTICES = ("task_due_soon", "task_due_today", "task_overdue", "task_escalated")
REVIEW_NOTICES = ("review_due_soon", "review_due_today", "review_overdue", "review_escalated")


def _render_tasks(notifications):
    ids = {n.object_id for n in notifications}
    rows = {
        action_id: (due_on, plan_id, code)
        for action_id, due_on, plan_id, code in db.session.execute(
            select(PlanAction.id, PlanAction.due_on, CasePlan.id, Member.code)
            .join(PlanGoal, PlanGoal.id == PlanAction.goal_id)
            .join(CasePlan, CasePlan.id == PlanGoal.plan_id)
            .join(Member, Member.id == CasePlan.member_id)
            .where(PlanAction.id.in_(ids))
        ).all()
    }
    out = {}
    for n in notifications:
        if n.object_id not in rows:
            out[n.id] = (_("A support plan needs attention"), "", None)
            continue
        due_on, plan_id, code = rows[n.object_id]
        subject = {
            "task_due_soon": _("Plan action coming up: %(code)s", code=code),
            "task_due_today": _("Plan action due today: %(code)s", code=code),
            "task_overdue": _("Plan action overdue: %(code)s", code=code),
            "task_escalated": _("Plan action overdue for more than two weeks: %(code)s", code=code),
        }[n.kind]
        body = _(
            "An action of the support plan of %(code)s is due on %(day)s.",
            code=code,
            day=format_day(due_on),
        )
        out[n.id] = (subject, body, ("plans.show_plan", {"plan_id": plan_id}))
    return out


def _render_reviews(notifications):
    ids = {n.object_id for n in notifications}
    rows = {
        plan_id: (review_on, code)
        for plan_id, review_on, code in db.session.execute(
            select(CasePlan.id, CasePlan.next_review_on, Member.code)
            .join(Member, Member.id == CasePlan.member_id)
            .where(CasePlan.id.in_(ids))
        ).all()
    }
    out = {}
    for n in notifications:
        if n.object_id not in rows:
            out[n.id] = (_("A support plan needs attention"), "", None)
            continue
        review_on, code = rows[n.object_id]
        subject = {
            "review_due_soon": _("Plan review coming up: %(code)s", code=code),
            "review_due_today": _("Plan review due today: %(code)s", code=code),
            "review_overdue": _("Plan review overdue: %(code)s", code=code),
            "review_escalated": _(
                "Plan review overdue for more than two weeks: %(code)s", code=code
            ),
        }[n.kind]
        body = _(
            "The support plan of %(code)s is due for review on %(day)s.",
            code=code,
            day=format_day(review_on),
        )
        out[n.id] = (subject, body, ("plans.show_plan", {"plan_id": n.object_id}))
    return out


RENDERERS = {kind: _render_tasks for kind in TASK_NOTICES} | {
    kind: _render_reviews for kind in REVIEW_NOTICES
}
