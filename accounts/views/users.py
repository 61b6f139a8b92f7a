"""Administration of users: list, create, edit, deactivate, reset a password or
two-factor sign-in."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from accounts import services, two_factor
from accounts.forms import (
    ConfirmForm,
    NewUserForm,
    ResetPasswordForm,
    UserForm,
)
from accounts.models import Role, User
from accounts.views.common import bp
from core.auth import require
from core.db import db
from core.drafts import is_first_view
from core.forms import choices, search_text
from core.places import list_provinces
from core.saving import commit, saving
from core.urls import paginate

# Administration of users ---------------------------------------------------------------


def province_choices():
    return [(p.code, p.short_name) for p in list_provinces()]


def require_admin() -> None:
    require(current_user.can_manage_users())


@bp.get("/admin/users")
def list_users():
    require_admin()
    q = search_text(request.args, limit=40)
    role = request.args.get("role", "")
    stmt = select(User).options(selectinload(User.provinces)).order_by(User.sort_key, User.id)
    if q:
        stmt = stmt.where(
            or_(
                User.username.contains(q.lower(), autoescape=True),
                User.full_name.icontains(q, autoescape=True),
            )
        )
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = paginate(stmt)
    return render_template("accounts/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/admin/users/new", methods=["GET", "POST"])
def create_user():
    require_admin()
    form = NewUserForm(province_choices=province_choices())
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            user = services.create_user(
                current_user,
                username=form.username.data,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                password=form.new_password.data,
                province_codes=form.provinces.data,
                must_change_password=True,
            )
        if saved.ok:
            flash(
                _(
                    "Account %(username)s was created. Give them the temporary password; "
                    "they will choose their own at first login.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=None), saved.status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, province_choices=province_choices())
    if user.role == Role.MEMBER:
        form.role.choices = choices([(Role.MEMBER.value, Role.MEMBER.label)])
    if is_first_view():
        form.role.data = user.role.value
        form.provinces.data = sorted(user.province_codes)
    saved = saving(form, record=user)
    if form.validate_on_submit():
        with saved:
            services.update_user(
                current_user,
                user,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                province_codes=form.provinces.data,
                email=form.email.data,
                phone=form.phone.data,
            )
        if saved.ok:
            flash(_("Changes to %(username)s were saved.", username=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    page = render_template("accounts/user_form.html", form=form, user=user, confirm=ConfirmForm())
    return page, saved.status


@bp.route("/admin/users/<int:user_id>/active", methods=["GET", "POST"])
def toggle_active(user_id: int):
    """Confirm, then deactivate (or activate again) an account."""
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("accounts/confirm_active.html", form=form, user=user)
    if form.validate_on_submit():
        with saving() as saved:
            services.set_active(current_user, user, not user.active)
        if saved.ok:
            if user.active:
                flash(_("%(username)s can log in again.", username=user.username), "success")
            else:
                flash(
                    _(
                        "%(username)s was deactivated and logged out everywhere.",
                        username=user.username,
                    ),
                    "success",
                )
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/two-factor")
def reset_two_factor(user_id: int):
    """Turn off someone's two-factor sign-in (a lost phone) and log them out everywhere."""
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit() and user.has_two_factor:
        two_factor.disable(current_user, user)
        services.revoke_sessions(user)
        commit("two-factor sign-in reset by an administrator")
        flash(
            _(
                "Two-factor sign-in of %(username)s was turned off and they were logged out.",
                username=user.username,
            ),
            "success",
        )
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    saved = saving(form, record=user)
    if form.validate_on_submit():
        with saved:
            services.reset_password(current_user, user, form.new_password.data)
    if saved.ok:
        flash(
            _(
                "A temporary password was set for %(username)s. They were logged out and "
                "will choose a new password at next login.",
                username=user.username,
            ),
            "success",
        )
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/reset_password.html", form=form, user=user), saved.status
