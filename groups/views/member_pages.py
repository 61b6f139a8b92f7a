"""Member lists and profiles, memberships and consent."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.errors import DomainError
from core.forms import choices, search_text, show_error
from core.places import list_communes
from groups import forms
from groups.models import (
    Consent,
    Group,
    MemberCategory,
)
from groups.services import figures
from groups.services import groups as group_services
from groups.services import members as member_services
from groups.services.errors import StaleEdit
from groups.views.common import (
    bp,
    flash_form_errors,
    form_version,
    int_arg,
    load_group,
    load_member,
    period_args,
    provinces_for,
    stale,
)


@bp.get("/members")
def list_members():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    q = search_text(request.args)
    category = request.args.get("category", "")
    category = MemberCategory(category) if category in MemberCategory._value2member_map_ else None
    status = request.args.get("status", "active")
    status = status if status in ("active", "left", "all") else "active"
    province_code, commune_code = int_arg("province"), int_arg("commune")
    group_id = int_arg("group")
    stmt = member_services.list_members(
        current_user,
        q=q,
        province_code=province_code,
        commune_code=commune_code,
        group_id=group_id,
        category=category,
        status=status,
    )
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    groups = group_services.group_choices(current_user, province_code, commune_code)
    if group_id and all(g.id != group_id for g in groups):
        # A link from a group page: keep that group chosen.
        groups += db.session.execute(
            group_services.visible_groups(current_user)
            .where(Group.id == group_id)
            .with_only_columns(Group.id, Group.code, Group.name)
        ).all()
    return render_template(
        "groups/members.html",
        page=page,
        q=q,
        category=category,
        categories=list(MemberCategory),
        status=status,
        groups=groups,
        group_id=group_id,
        province_code=province_code,
        commune_code=commune_code,
        provinces=provinces_for(current_user) if current_user.role != Role.FACILITATOR else [],
        communes=list_communes(province_code) if province_code else [],
    )


def profile_values(form) -> dict:
    """The member profile fields, shared by the new-member and edit forms."""
    return dict(
        full_name=form.full_name.data,
        gender=forms.Gender(form.gender.data),
        birth_year=form.birth_year.data,
        phone=form.phone.data,
        category=MemberCategory(form.category.data),
        notes=form.notes.data,
    )


@bp.route("/groups/<int:group_id>/members/new", methods=["GET", "POST"])
def create_member(group_id: int):
    group = load_group(group_id)
    require(group.can_record(current_user))
    form = forms.NewMemberForm()
    if request.method == "GET":
        form.joined_on.data = today()
    if form.validate_on_submit():
        try:
            member = member_services.create_member(
                current_user,
                group,
                **profile_values(form),
                joined_on=form.joined_on.data,
                role=forms.GroupRole(form.role.data),
                consents=form.consents.data,
                provider=form.provider.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Member %(code)s was added to the group.", code=member.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/member_form.html", form=form, group=group, member=None)


@bp.get("/members/<int:member_id>")
def show_member(member_id: int):
    member = load_member(member_id)
    audit.record(current_user, "view", member)
    db.session.commit()
    start, end = period_args()
    current = member.current_membership
    rate = figures.member_rates(current.group_id, start, end).get(member.id) if current else None
    return render_template(
        "groups/member.html",
        member=member,
        current=current,
        rate=rate,
        start=start,
        end=end,
        consent_form=forms.ConsentForm(given_on=today()),
        withdraw_form=forms.WithdrawConsentForm(on=today()),
    )


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
def edit_member(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    form = forms.MemberForm(obj=member)
    if request.method == "GET":
        form.version.data = member.version
        form.gender.data, form.category.data = member.gender.value, member.category.value
    if form.validate_on_submit():
        try:
            member_services.update_member(
                current_user, member, version=form_version(form), **profile_values(form)
            )
            db.session.commit()
        except (StaleEdit, StaleDataError):
            stale(form, member)
            return render_template(
                "groups/member_form.html", form=form, member=member, group=None
            ), 409
        else:
            flash(_("Changes to %(code)s were saved.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("groups/member_form.html", form=form, member=member, group=None)


@bp.route("/members/<int:member_id>/membership", methods=["GET", "POST"])
def change_membership(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    current = member.current_membership
    # Move targets: the open groups of the member's province (a country has thousands);
    # a group elsewhere is found by its code.
    province_code = current.group.province_code if current else None
    targets = [
        g
        for g in group_services.group_choices(current_user, province_code)
        if current is None or g.id != current.group_id
    ]
    form = forms.MembershipForm()
    form.group_id.choices = choices((g.id, f"{g.code} · {g.name}") for g in targets)
    if request.method == "GET":
        form.on.data = today()
    if form.validate_on_submit():
        try:
            if form.action.data == "move":
                target = group_services.find_group(
                    current_user, code=form.group_code.data, group_id=form.group_id.data
                )
                if target is None or (current and target.id == current.group_id):
                    raise DomainError(
                        _("Choose a group from the list, or enter the code of another group."),
                        "group_code" if form.group_code.data else "group_id",
                    )
                member_services.move_member(current_user, member, target, on=form.on.data)
            elif form.action.data == "leave":
                member_services.leave_group(
                    current_user, member, on=form.on.data, reason=form.reason.data
                )
            else:
                member_services.change_group_role(
                    current_user, member, forms.GroupRole(form.role.data), on=form.on.data
                )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The membership of %(code)s was updated.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("groups/membership.html", form=form, member=member, current=current)


@bp.post("/members/<int:member_id>/consents")
def record_consent(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    form = forms.ConsentForm()
    if form.validate_on_submit():
        try:
            member_services.record_consent(
                current_user,
                member,
                purpose=forms.ConsentPurpose(form.purpose.data),
                provider=form.provider.data,
                given_on=form.given_on.data,
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Consent was recorded."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("groups.show_member", member_id=member.id))


@bp.post("/members/<int:member_id>/consents/<int:consent_id>/withdraw")
def withdraw_consent(member_id: int, consent_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    consent = db.get_or_404(Consent, consent_id)
    if consent.member_id != member.id:
        abort(404)
    form = forms.WithdrawConsentForm()
    if form.validate_on_submit():
        try:
            member_services.withdraw_consent(current_user, consent, on=form.on.data)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Consent was withdrawn. It no longer applies from that day."), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("groups.show_member", member_id=member.id))
