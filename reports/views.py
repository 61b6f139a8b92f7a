from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from accounts.models import Role, User
from core.db import db

bp = Blueprint("reports", __name__)


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
    if current_user.role == Role.COORDINATOR:
        return render_template("reports/home_coordinator.html", provinces=current_user.provinces)
    if current_user.role == Role.FACILITATOR:
        return render_template("reports/home_facilitator.html")
    return render_template("reports/home_member.html")
