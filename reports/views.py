from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Group, GroupStatus
from groups.services import figures
from groups.services.groups import is_overdue, next_meeting_on, visible_groups

bp = Blueprint("reports", __name__)


def group_overview(groups):
    """Per open group: (group, next meeting day, overdue?), with two queries in all."""
    ids = [g.id for g in groups]
    last = figures.last_regular_meetings(ids)
    day = today()
    return [
        (g, next_meeting_on(g, last.get(g.id), day), is_overdue(g, last.get(g.id), day))
        for g in groups
    ]


@bp.get("/")
def home():
    """Each role's start page: what this person does next."""
    if current_user.role == Role.ADMIN:
        counts = dict(
            db.session.execute(
                select(User.role, func.count()).where(User.active).group_by(User.role)
            ).all()
        )
        return render_template("reports/home_admin.html", counts=counts, roles=list(Role))
    if current_user.role in (Role.COORDINATOR, Role.FACILITATOR):
        groups = db.session.scalars(
            visible_groups(current_user)
            .where(Group.status != GroupStatus.CLOSED)
            .options(selectinload(Group.commune), selectinload(Group.facilitators))
            .order_by(Group.code)
        ).all()
        overview = group_overview(groups)
        overdue = [g for g, _next, late in overview if late]
        if current_user.role == Role.COORDINATOR:
            return render_template(
                "reports/home_coordinator.html",
                provinces=current_user.provinces,
                overview=overview,
                overdue=overdue,
            )
        absences = figures.repeated_absences([g.id for g in groups])
        by_id = {g.id: g for g in groups}
        return render_template(
            "reports/home_facilitator.html",
            overview=overview,
            overdue=overdue,
            absences=absences,
            groups_by_id=by_id,
        )
    return render_template("reports/home_member.html")
