"""Staff accounts of a provider, kept by admins and the coordinators of its province:
listed per provider, made, deactivated and made active again (issue 26)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role, User
from core.auth import require
from core.db import db
from core.saving import saving
from support import provider_forms as forms
from support.models.referrals import ServiceProvider
from support.services import provider_accounts
from support.views.provider_common import bp


def _load_provider(provider_id: int) -> ServiceProvider:
    provider = db.get_or_404(ServiceProvider, provider_id)
    if current_user.role == Role.MEMBER:
        abort(404)
    require(provider.can_edit(current_user))
    return provider


# Accounts for a provider, made by managers ----------------------------------------------


@bp.route("/providers/<int:provider_id>/accounts", methods=["GET", "POST"])
def accounts(provider_id: int):
    """The provider's staff accounts; admins and the coordinators of its province add them."""
    provider = _load_provider(provider_id)
    form = forms.ProviderAccountForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            user = provider_accounts.create_provider_account(
                current_user,
                provider,
                username=form.username.data,
                full_name=form.full_name.data,
                password=form.new_password.data,
            )
        if saved.ok:
            flash(
                _(
                    "The account %(username)s was made. Give its temporary password to the "
                    "person in person; they change it and set up two-factor sign-in when they "
                    "first log in.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("providers.accounts", provider_id=provider.id))
    page = render_template(
        "support/provider_accounts.html",
        provider=provider,
        staff=provider_accounts.list_staff(provider),
        form=form,
    )
    return page, saved.status


@bp.post("/providers/<int:provider_id>/accounts/<int:user_id>/active")
def set_staff_active(provider_id: int, user_id: int):
    """Deactivate one of the provider's staff accounts (it is logged out at once), or make
    it active again. The form says which, so sending it twice changes nothing more."""
    provider = _load_provider(provider_id)
    user = db.get_or_404(User, user_id)
    if provider_accounts.staff_provider_id(user) != provider.id:
        abort(404)
    form = forms.StaffActiveForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed. Use the buttons on this page."), "error")
        return redirect(url_for("providers.accounts", provider_id=provider.id))
    active = form.active.data == "1"
    with saving() as saved:
        provider_accounts.set_staff_active(current_user, provider, user, active=active)
    if saved.ok:
        if active:
            flash(_("%(username)s can log in again.", username=user.username), "success")
        else:
            flash(
                _(
                    "%(username)s was deactivated and logged out everywhere.",
                    username=user.username,
                ),
                "success",
            )
    return redirect(url_for("providers.accounts", provider_id=provider.id))
