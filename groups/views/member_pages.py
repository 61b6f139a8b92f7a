"""Member lists and profiles, memberships and consent."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.dates import period_args
from core.db import db
from core.drafts import is_first_view
from core.errors import DomainError
from core.forms import choices, search_text
from core.keyset import keyset_page
from core.parse import PLACE_CODE_MAX, int_arg
from core.places import list_communes
from core.saving import saving
from groups import forms
from groups.models import (
    Consent,
    Group,
    MemberCategory,
)
from groups.services import anonymise as anonymisation
from groups.services import figures
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.views.common import (
    bp,
    form_version,
    load_group,
    load_member,
    provinces_for,
)


@bp.get("/members")
def list_members():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    q = search_text(request.args)
    category = request.args.get("category", "")
    category = MemberCategory(category) if category in MemberCategory._value2member_map_ else None
    status = request.args.get("status", "active")
    status = status if status in ("active", "left", "all") else "active"
    province_code = int_arg("province", maximum=PLACE_CODE_MAX)
    commune_code = int_arg("commune", maximum=PLACE_CODE_MAX)
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
    page = keyset_page(stmt, member_services.MEMBER_ORDER)
    if page.items:  # names are shown
        # A list's province: the one filtered on, else its group's; else none (admins).
        audit.note_read(
            "list",
            object_type="members",
            group_id=group_id,
            province_code=province_code,
            detail=f"from={page.items[0].id}",
        )
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
        village=form.village.data,
        category=MemberCategory(form.category.data),
        notes=form.notes.data,
    )


@bp.route("/groups/<int:group_id>/members/new", methods=["GET", "POST"])
def create_member(group_id: int):
    group = load_group(group_id)
    require(group.can_record(current_user))
    form = forms.NewMemberForm()
    if is_first_view():
        form.joined_on.data = today()
    saved = saving(form)
    same = []
    if form.validate_on_submit():
        same = member_services.likely_same_person(
            group, form.full_name.data, form.birth_year.data
        )
    if form.validate_on_submit() and (not same or form.different_person.data):
        with saved:
            member = member_services.create_member(
                current_user,
                group,
                **profile_values(form),
                joined_on=form.joined_on.data,
                role=forms.GroupRole(form.role.data),
                consents=form.consents.data,
            )
        if saved.ok:
            flash(_("Member %(code)s was added to the group.", code=member.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    template = render_template(
        "groups/member_form.html", form=form, group=group, member=None, same=same
    )
    return template, saved.status


@bp.get("/members/<int:member_id>")
def show_member(member_id: int):
    member = load_member(member_id)
    start, end = period_args(on_page=True)
    current = member.current_membership
    rate = figures.member_rates(current.group_id, start, end).get(member.id) if current else None
    attendance = db.session.execute(meeting_services.list_attendance_of(member.id)).all()
    return render_template(
        "groups/member.html",
        member=member,
        attendance=attendance,
        current=current,
        rate=rate,
        start=start,
        end=end,
        consent_form=forms.ConsentForm(given_on=today()),
    )


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
def edit_member(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    form = forms.MemberForm(obj=member)
    if is_first_view():
        form.version.data = member.version
        form.gender.data, form.category.data = member.gender.value, member.category.value
    saved = saving(form, record=member)
    if form.validate_on_submit():
        with saved:
            member_services.update_member(
                current_user, member, version=form_version(form), **profile_values(form)
            )
        if saved.ok:
            flash(_("Changes to %(code)s were saved.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    template = render_template("groups/member_form.html", form=form, member=member, group=None)
    return template, saved.status


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
    if is_first_view():
        form.on.data = today()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
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
        if saved.ok:
            flash(_("The membership of %(code)s was updated.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    template = render_template(
        "groups/membership.html", form=form, member=member, current=current
    )
    return template, saved.status


@bp.route("/members/<int:member_id>/consents", methods=["GET", "POST"])
def record_consent(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    form = forms.ConsentForm()
    if is_first_view():
        form.given_on.data = today()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            member_services.record_consent(
                current_user,
                member,
                purpose=forms.ConsentPurpose(form.purpose.data),
                provider=None,
                given_on=form.given_on.data,
            )
        if saved.ok:
            flash(_("Consent was recorded."), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("groups/consent_form.html", form=form, member=member), saved.status


@bp.route("/members/<int:member_id>/consents/<int:consent_id>/withdraw", methods=["GET", "POST"])
def withdraw_consent(member_id: int, consent_id: int):
    """Confirm, then withdraw a consent from a given day."""
    member = load_member(member_id)
    require(member.can_edit(current_user))
    consent = db.get_or_404(Consent, consent_id)
    if consent.member_id != member.id:
        abort(404)
    form = forms.WithdrawConsentForm()
    if is_first_view():
        form.on.data = today()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            member_services.withdraw_consent(current_user, consent, on=form.on.data)
        if saved.ok:
            flash(_("Consent was withdrawn. It no longer applies from that day."), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template(
        "groups/withdraw_consent.html",
        form=form,
        member=member,
        consent=consent,
        closing=member_services.relying_on(consent) if consent.active else [],
    ), saved.status


@bp.route("/members/<int:member_id>/anonymise", methods=["GET", "POST"])
def anonymise_member(member_id: int):
    """On the member's request: a page that says what happens, then a confirmed POST."""
    member = load_member(member_id)
    require(member.can_anonymise(current_user))
    form = forms.AnonymiseForm()
    saved = saving(form, record=member)
    if form.validate_on_submit():
        with saved:
            anonymisation.anonymise_member(current_user, member, on=today(), reason="request")
        if saved.ok:
            flash(_("Member %(code)s was anonymised.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("groups/anonymise.html", form=form, member=member), saved.status
