"""A staff member's own account: password and contact details."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import services
from accounts.forms import (
    ChangePasswordForm,
    ContactForm,
)
from accounts.models import Role
from accounts.views.common import bp
from core.auth import require
from core.errors import DomainError
from core.saving import commit, saving


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Staff change their password; a member's PIN is set by their facilitator only."""
    require(current_user.role != Role.MEMBER)
    form = ChangePasswordForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            if not services.change_own_password(
                current_user, form.current_password.data, form.new_password.data
            ):
                raise DomainError(_("This is not your current password."), "current_password")
        if saved.ok:
            flash(_("Your password was changed. Other devices were logged out."), "success")
            return redirect(url_for("reports.home"))
    return render_template("accounts/change_password.html", form=form), saved.status


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Staff keep their own email (for reminders) and phone (for members to call)."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    form = ContactForm(obj=current_user)
    if form.validate_on_submit():
        services.update_contact(current_user, email=form.email.data, phone=form.phone.data)
        commit("contact details")
        flash(_("Your contact details were saved."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)
