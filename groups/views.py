from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.forms import choices
from core.places import list_communes, list_provinces
from groups import forms
from groups.models import (
    Attendance,
    AttendanceStatus,
    Consent,
    Group,
    GroupStatus,
    Meeting,
    Member,
    MemberCategory,
    Membership,
)
from groups.services import figures
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services.errors import GroupsError, StaleEdit

bp = Blueprint("groups", __name__)


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def show_error(form, error: GroupsError) -> None:
    """Put a domain error next to its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def stale(form, message, obj) -> None:
    """Refuse a save based on an old version; keep what was typed, now based on the
    current version, so a second save after checking goes through."""
    db.session.rollback()
    form.form_errors.append(str(message))
    form.version.data = obj.version


# Groups --------------------------------------------------------------------------------


def provinces_for(user):
    if user.role == Role.ADMIN:
        return list_provinces()
    return [p for p in list_provinces() if p.code in user.province_codes]


@bp.get("/groups")
def list_groups():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    q = request.args.get("q", "").strip()[:60]
    status = request.args.get("status", "")
    status = GroupStatus(status) if status in GroupStatus._value2member_map_ else None
    province_code, commune_code = int_arg("province"), int_arg("commune")
    stmt = group_services.list_groups(
        current_user, q=q, province_code=province_code, commune_code=commune_code, status=status
    )
    stmt = stmt.options(selectinload(Group.commune), selectinload(Group.province))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [g.id for g in page.items]
    last = figures.last_regular_meetings(ids)
    day = today()
    overview = {
        g.id: (
            group_services.next_meeting_on(g, last.get(g.id), day),
            group_services.is_overdue(g, last.get(g.id), day),
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
    )


def group_form(group=None, formdata=None):
    province_code = None
    if request.method == "POST":
        raw = request.form.get("province_code", "")
        province_code = int(raw) if raw.isdigit() and len(raw) < 6 else None
    elif group is not None:
        province_code = group.province_code
    provinces = provinces_for(current_user)
    if province_code is None and provinces:
        province_code = provinces[0].code
    form = forms.GroupForm(
        obj=group,
        provinces=provinces,
        communes=list_communes(province_code) if province_code else [],
        facilitators=group_services.list_facilitator_choices(),
    )
    if request.method == "GET" and group is not None:
        form.facilitator_ids.data = [u.id for u in group.facilitators]
        form.status.data = group.status.value
        form.cadence.data = group.cadence.value
    return form


def group_values(form) -> dict:
    return dict(
        name=form.name.data,
        province_code=form.province_code.data,
        commune_code=form.commune_code.data,
        village=form.village.data,
        founded_on=form.founded_on.data,
        status=GroupStatus(form.status.data),
        cadence=forms.Cadence(form.cadence.data),
        meeting_weekday=form.meeting_weekday.data,
        partner=form.partner.data,
        facilitator_ids=form.facilitator_ids.data,
    )


@bp.route("/groups/new", methods=["GET", "POST"])
def create_group():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    form = group_form()
    # 'Show communes' re-renders the form for the chosen province, without saving.
    if not form.refresh.data and form.validate_on_submit():
        try:
            group = group_services.create_group(current_user, **group_values(form))
        except GroupsError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Group %(code)s was created.", code=group.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/form.html", form=form, group=None)


def load_group(group_id: int) -> Group:
    group = db.get_or_404(Group, group_id)
    require(group.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    return group


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: int):
    group = load_group(group_id)
    require(group.can_manage(current_user))
    form = group_form(group)
    if request.method == "GET":
        form.version.data = group.version
    # 'Show communes' re-renders the form for the chosen province, without saving.
    if not form.refresh.data and form.validate_on_submit():
        try:
            group_services.update_group(
                current_user, group, version=_version(form), **group_values(form)
            )
            db.session.commit()
        except StaleEdit as error:
            stale(form, error.message, group)
        except StaleDataError:
            stale(
                form,
                _(
                    "Someone else changed this group at the same moment. "
                    "Your changes were not saved; check and save again."
                ),
                group,
            )
        except GroupsError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("Changes to group %(code)s were saved.", code=group.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/form.html", form=form, group=group)


def _version(form) -> int:
    raw = form.version.data or ""
    return int(raw) if str(raw).isdigit() else -1


def period_args():
    """The period for figures: ?from=&to= (dates), by default the last 90 days."""
    end = today()
    start = end - timedelta(days=89)
    try:
        if request.args.get("from"):
            start = date.fromisoformat(request.args["from"])
        if request.args.get("to"):
            end = date.fromisoformat(request.args["to"])
    except ValueError:
        abort(400, description=_("Enter dates as year-month-day, for example 2026-11-29."))
    if start > end:
        abort(400, description=_("The start of the period is after its end."))
    return start, end


@bp.get("/groups/<int:group_id>")
def show_group(group_id: int):
    group = load_group(group_id)
    start, end = period_args()
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
    expected = figures.meetings_expected(group, start, end)
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
        next_meeting=group_services.next_meeting_on(group, last, day),
        overdue=group_services.is_overdue(group, last, day),
        last=last,
    )


# Members -------------------------------------------------------------------------------


@bp.get("/members")
def list_members():
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    q = request.args.get("q", "").strip()[:60]
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
    groups = db.session.scalars(
        group_services.visible_groups(current_user).order_by(Group.code)
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
                full_name=form.full_name.data,
                gender=forms.Gender(form.gender.data),
                birth_year=form.birth_year.data,
                phone=form.phone.data,
                category=MemberCategory(form.category.data),
                notes=form.notes.data,
                joined_on=form.joined_on.data,
                role=forms.GroupRole(form.role.data),
                consents=form.consents.data,
                provider=form.provider.data,
            )
        except GroupsError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Member %(code)s was added to the group.", code=member.code), "success")
            return redirect(url_for("groups.show_group", group_id=group.id))
    return render_template("groups/member_form.html", form=form, group=group, member=None)


def load_member(member_id: int) -> Member:
    member = db.get_or_404(Member, member_id)
    require(member.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    return member


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
                current_user,
                member,
                version=_version(form),
                full_name=form.full_name.data,
                gender=forms.Gender(form.gender.data),
                birth_year=form.birth_year.data,
                phone=form.phone.data,
                category=MemberCategory(form.category.data),
                notes=form.notes.data,
            )
            db.session.commit()
        except StaleEdit as error:
            stale(form, error.message, member)
        except StaleDataError:
            stale(
                form,
                _(
                    "Someone else changed this member at the same moment. "
                    "Your changes were not saved; check and save again."
                ),
                member,
            )
        else:
            flash(_("Changes to %(code)s were saved.", code=member.code), "success")
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("groups/member_form.html", form=form, member=member, group=None)


@bp.route("/members/<int:member_id>/membership", methods=["GET", "POST"])
def change_membership(member_id: int):
    member = load_member(member_id)
    require(member.can_edit(current_user))
    current = member.current_membership
    targets = [
        g
        for g in db.session.scalars(
            group_services.visible_groups(current_user)
            .where(Group.status != GroupStatus.CLOSED)
            .order_by(Group.code)
        )
        if current is None or g.id != current.group_id
    ]
    form = forms.MembershipForm()
    form.group_id.choices = choices((g.id, f"{g.code} · {g.name}") for g in targets)
    if request.method == "GET":
        form.on.data = today()
    if form.validate_on_submit():
        try:
            if form.action.data == "move":
                target = next((g for g in targets if g.id == form.group_id.data), None)
                if target is None:
                    raise GroupsError(_("Choose a group from the list."), "group_id")
                member_services.move_member(current_user, member, target, on=form.on.data)
            elif form.action.data == "leave":
                member_services.leave_group(
                    current_user, member, on=form.on.data, reason=form.reason.data
                )
            else:
                member_services.change_group_role(
                    current_user, member, forms.GroupRole(form.role.data), on=form.on.data
                )
        except GroupsError as error:
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
        except GroupsError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Consent was recorded."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
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
        except GroupsError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Consent was withdrawn. It no longer applies from that day."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("groups.show_member", member_id=member.id))


# Meetings ------------------------------------------------------------------------------


def read_marks(form) -> dict[int, AttendanceStatus]:
    """Attendance from att-<member id> radio groups; malformed entries are form errors."""
    marks, bad = {}, False
    for key, value in request.form.items(multi=False):
        if not key.startswith(forms.ATTENDANCE_PREFIX):
            continue
        raw_id = key[len(forms.ATTENDANCE_PREFIX) :]
        known = value in AttendanceStatus._value2member_map_
        if not (raw_id.isdigit() and len(raw_id) <= 9 and known):
            bad = True
            continue
        marks[int(raw_id)] = AttendanceStatus(value)
    if bad:
        form.form_errors.append(_("Some attendance marks could not be read. Nothing was saved."))
    return marks


def meeting_page(form, group, meeting, members, marks, status=200):
    return render_template(
        "groups/meeting_form.html",
        form=form,
        group=group,
        meeting=meeting,
        members=members,
        marks=marks,
        statuses=forms.ATTENDANCE_CHOICES,
    ), status


@bp.route("/groups/<int:group_id>/meetings/new", methods=["GET", "POST"])
def record_meeting(group_id: int):
    group = load_group(group_id)
    require(group.can_record(current_user))
    form = forms.MeetingForm()
    if request.method == "GET":
        form.held_on.data = today()
    day = form.held_on.data or today()
    marks = {}
    if form.validate_on_submit():
        marks = read_marks(form)
        if not form.form_errors:
            try:
                meeting = meeting_services.record_meeting(
                    current_user,
                    group,
                    held_on=form.held_on.data,
                    kind=forms.MeetingKind(form.kind.data),
                    topics=form.topics.data,
                    decisions=form.decisions.data,
                    marks=marks,
                    today=today(),
                )
            except GroupsError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(
                    _(
                        "The meeting was saved: %(present)d of %(total)d present.",
                        present=sum(s == AttendanceStatus.PRESENT for s in marks.values()),
                        total=len(marks),
                    ),
                    "success",
                )
                return redirect(url_for("groups.show_meeting", meeting_id=meeting.id))
    elif request.method == "POST":
        marks = read_marks(form)
    members = meeting_services.members_on(group.id, day)
    return meeting_page(form, group, None, members, marks)


def load_meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    require(meeting.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    return meeting


@bp.get("/meetings/<int:meeting_id>")
def show_meeting(meeting_id: int):
    meeting = load_meeting(meeting_id)
    rows = db.session.execute(
        select(Member, Attendance.status)
        .join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Member.sort_key, Member.id)
    ).all()
    return render_template("groups/meeting.html", meeting=meeting, rows=rows)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id: int):
    meeting = load_meeting(meeting_id)
    group = meeting.group
    require(meeting.can_edit(current_user))
    form = forms.MeetingForm(obj=meeting)
    if request.method == "GET":
        form.version.data = meeting.version
        form.kind.data = meeting.kind.value
        marks = meeting_services.attendance_marks(meeting)
    else:
        marks = read_marks(form)
    if form.validate_on_submit() and not form.form_errors:
        try:
            meeting_services.update_meeting(
                current_user,
                meeting,
                version=_version(form),
                held_on=form.held_on.data,
                kind=forms.MeetingKind(form.kind.data),
                topics=form.topics.data,
                decisions=form.decisions.data,
                marks=marks,
                today=today(),
            )
            db.session.commit()
        except StaleEdit as error:
            stale(form, error.message, meeting)
            return meeting_page(
                form, group, meeting, _members_for(group, form, meeting), marks, 409
            )
        except StaleDataError:
            stale(
                form,
                _(
                    "Someone else saved this meeting at the same moment. Your changes "
                    "were not saved. The form below still has them: save again."
                ),
                meeting,
            )
            return meeting_page(
                form, group, meeting, _members_for(group, form, meeting), marks, 409
            )
        except GroupsError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(_("The meeting was corrected."), "success")
            return redirect(url_for("groups.show_meeting", meeting_id=meeting.id))
    return meeting_page(form, group, meeting, _members_for(group, form, meeting), marks)


def _members_for(group, form, meeting):
    day = form.held_on.data or meeting.held_on
    return meeting_services.members_on(group.id, day)
