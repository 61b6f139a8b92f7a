"""Group lists, the group page, creating and editing groups."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import Role
from core.auth import require
from core.clock import today
from core.dates import period_args
from core.db import db
from core.drafts import is_first_view
from core.forms import search_text
from core.keyset import keyset_page
from core.parse import PLACE_CODE_MAX, int_arg, parse_int
from core.places import list_communes
from core.saving import saving
from groups import forms
from groups.models import (
    Group,
    GroupStatus,
    Membership,
)
from groups.services import figures, schedule
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.views.common import (
    bp,
    form_version,
    load_group,
    provinces_for,
)


@bp.get("/groups")
def list_groups():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    q = search_text(request.args)
    status = request.args.get("status", "")
    status = GroupStatus(status) if status in GroupStatus._value2member_map_ else None
    province_code = int_arg("province", maximum=PLACE_CODE_MAX)
    commune_code = int_arg("commune", maximum=PLACE_CODE_MAX)
    overdue = request.args.get("overdue") == "1"
    not_set_up = request.args.get("setup") == "0"
    stmt = group_services.list_groups(
        current_user,
        q=q,
        province_code=province_code,
        commune_code=commune_code,
        status=status,
        overdue_on=today() if overdue else None,
        not_set_up=not_set_up,
    )
    stmt = stmt.options(selectinload(Group.commune), selectinload(Group.province))
    # In code order by its unique index; any page costs what the first does.
    page = keyset_page(stmt, (Group.code, Group.id))
    ids = [g.id for g in page.items]
    last = figures.last_regular_meetings(ids)
    day = today()
    overview = {
        g.id: (
            schedule.next_meeting_on(g, last.get(g.id), day),
            schedule.is_overdue(g, last.get(g.id), day),
        )
        for g in page.items
    }
    return render_template(
        "groups/list.html",
        page=page,
        q=q,
        status=status,
        statuses=list(GroupStatus),
        province_code=province_code,
        provinces=provinces_for(current_user) if current_user.role != Role.FACILITATOR else [],
        communes=list_communes(province_code) if province_code else [],
        commune_code=commune_code,
        overview=overview,
        last=last,
        overdue=overdue,
        not_set_up=not_set_up,
    )


def group_form(group=None, formdata=None):
    province_code = None
    if not is_first_view():
        province_code = parse_int(request.form.get("province_code", ""), maximum=PLACE_CODE_MAX)
    elif group is not None:
        province_code = group.province_code
    provinces = provinces_for(current_user)
    if province_code is None and provinces:
        province_code = provinces[0].code
    selected = [u.id for u in group.facilitators] if group is not None else []
    if request.method == "POST":
        chosen = request.form.getlist("facilitator_ids")
        selected += [int(v) for v in chosen if v.isascii() and v.isdigit() and len(v) < 10]
    form = forms.GroupForm(
        obj=group,
        provinces=provinces,
        communes=list_communes(province_code) if province_code else [],
        facilitators=group_services.list_facilitator_choices(province_code, selected),
    )
    if group is not None and not group.is_set_up:
        form.allow_no_schedule()
    if is_first_view() and group is not None:
        form.facilitator_ids.data = [u.id for u in group.facilitators]
        form.status.data = group.status.value
        form.cadence.data = group.cadence.value if group.cadence else ""
    return form


def group_values(form) -> dict:
    return dict(
        name=form.name.data,
        province_code=form.province_code.data,
        commune_code=form.commune_code.data,
        village=form.village.data,
        founded_on=form.founded_on.data,
        status=GroupStatus(form.status.data),
        closed_on=form.closed_on.data,
        cadence=forms.Cadence(form.cadence.data) if form.cadence.data else None,
        meeting_weekday=form.meeting_weekday.data,
        partner=form.partner.data,
        facilitator_ids=form.facilitator_ids.data,
    )


@bp.route("/groups/new", methods=["GET", "POST"])
def create_group():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    form = group_form()
    # 'Show communes' re-renders the form for the chosen province, without saving.
    saved = saving(form)
    if not form.refresh.data and form.validate_on_submit():
        with saved:
            group = group_services.create_group(current_user, **group_values(form))
        if saved.ok:
            flash(_("Group %(code)s was created.", code=group.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/form.html", form=form, group=None), saved.status


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: int):
    group = load_group(group_id)
    require(group.can_manage(current_user))
    form = group_form(group)
    if is_first_view():
        form.version.data = group.version
    # 'Show communes' re-renders the form for the chosen province, without saving.
    saved = saving(form, record=group)
    if not form.refresh.data and form.validate_on_submit():
        with saved:
            group_services.update_group(
                current_user, group, version=form_version(form), **group_values(form)
            )
        if saved.ok:
            flash(_("Changes to group %(code)s were saved.", code=group.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/form.html", form=form, group=group), saved.status


@bp.get("/groups/<int:group_id>")
def show_group(group_id: int):
    group = load_group(group_id)
    start, end = period_args(on_page=True)
    day = today()
    members = meeting_services.members_on(group.id, day)
    roles = dict(
        db.session.execute(
            select(Membership.member_id, Membership.role).where(
                Membership.group_id == group.id, Membership.left_on.is_(None)
            )
        ).all()
    )
    rates = figures.member_rates(group.id, start, end)
    group_rate = figures.group_rates([group.id], start, end).get(group.id)
    held = figures.meetings_held([group.id], start, end).get(group.id, 0)
    expected = figures.meetings_expected(group, start, end, day)
    last = figures.last_regular_meetings([group.id]).get(group.id)
    meetings = db.session.scalars(meeting_services.list_meetings(group.id, limit=10)).all()
    absences = figures.repeated_absences([group.id])
    return render_template(
        "groups/show.html",
        group=group,
        members=members,
        roles=roles,
        rates=rates,
        group_rate=group_rate,
        held=held,
        expected=expected,
        start=start,
        end=end,
        meetings=meetings,
        absences=absences,
        next_meeting=schedule.next_meeting_on(group, last, day),
        overdue=schedule.is_overdue(group, last, day),
        last=last,
    )
