"""The provider directory: the list, adding and editing a provider."""

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core.auth import require
from core.db import db
from core.drafts import is_first_view
from core.parse import parse_int
from core.places import list_provinces
from core.saving import saving
from core.urls import paginate
from groups.models import Group
from groups.services.groups import visible_groups
from groups.views.common import provinces_for
from support import forms
from support.models.referrals import ServiceProvider
from support.services import directory as directory_services
from support.views.common import (
    bp,
    refuse_members,
)

# Provider directory ------------------------------------------------------------------


@bp.get("/providers")
def list_providers():
    """The directory, a page at a time: the user's own provinces unless they choose one
    or "all" (a coordinator's, or those of a facilitator's groups; an admin's default is
    every province). Nothing is cut: the whole country's directory pages like any list."""
    refuse_members()
    require(current_user.role in Role.STAFF)
    choice = request.args.get("province", "")
    mine = _home_provinces(current_user)
    province = parse_int(choice)
    stmt = select(ServiceProvider).order_by(
        ServiceProvider.province_code,
        ServiceProvider.kind,
        ServiceProvider.name,
        ServiceProvider.id,
    )
    if province:
        stmt = stmt.where(ServiceProvider.province_code == province)
    elif choice != "all" and mine is not None:
        stmt = stmt.where(ServiceProvider.province_code.in_(mine or [-1]))
    return render_template(
        "support/providers.html",
        page=paginate(stmt),
        provinces=list_provinces(),
        province=province,
        everywhere=choice == "all" or mine is None,
        has_home=mine is not None,
        can_add=current_user.role in Role.MANAGERS,
    )


def _home_provinces(user) -> set[int] | None:
    """The provinces a user works in: a coordinator's, those of a facilitator's groups;
    None for an admin (the whole country)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COORDINATOR:
        return user.province_codes
    return set(
        db.session.scalars(visible_groups(user).with_only_columns(Group.province_code).distinct())
    )


def _provider_form(provider: ServiceProvider | None):
    form = forms.ProviderForm(obj=provider)
    form.province_code.choices = [(str(p.code), p.short_name) for p in provinces_for(current_user)]
    if is_first_view() and provider is not None:
        form.kind.data = provider.kind.value
        form.province_code.data = str(provider.province_code)
    saved = saving(form, record=provider)
    if form.validate_on_submit():
        with saved:
            provider = directory_services.save_provider(
                current_user,
                provider,
                name=form.name.data,
                kind=form.kind.data,
                province_code=parse_int(form.province_code.data or "") or -1,
                address=form.address.data,
                phone=form.phone.data,
                email=form.email.data,
                contact_person=form.contact_person.data,
                opening_days=form.opening_days.data,
                active=form.active.data,
            )
        if saved.ok:
            flash(_("The provider was saved."), "success")
            return redirect(url_for("support.list_providers", province=provider.province_code))
    page = render_template("support/provider_form.html", form=form, provider=provider)
    return page, saved.status


@bp.route("/providers/new", methods=["GET", "POST"])
def create_provider():
    refuse_members()
    require(current_user.role in Role.MANAGERS)
    return _provider_form(None)


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
def edit_provider(provider_id: int):
    provider = db.get_or_404(ServiceProvider, provider_id)
    refuse_members()
    require(provider.can_edit(current_user))
    return _provider_form(provider)
