"""Recording, showing and correcting meetings with attendance."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import offline
from core.auth import require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.parse import parse_int
from core.saving import saving
from groups import forms
from groups.meeting_models import Attendance, AttendanceStatus
from groups.models import Group, GroupStatus, Member, group_facilitators
from groups.services import meetings as meeting_services
from groups.views.common import (
    bp,
    form_version,
    load_group,
    load_meeting,
)


def read_marks(form) -> dict[int, AttendanceStatus]:
    """Attendance from att-<member id> radio groups; malformed entries are form errors."""
    marks, bad = {}, False
    for key, value in request.form.items(multi=False):
        if not key.startswith(forms.ATTENDANCE_PREFIX):
            continue
        member_id = parse_int(key[len(forms.ATTENDANCE_PREFIX) :], minimum=1)
        if member_id is None or value not in AttendanceStatus._value2member_map_:
            bad = True
            continue
        marks[member_id] = AttendanceStatus(value)
    if bad:
        form.form_errors.append(_("Some attendance marks could not be read. Nothing was saved."))
    return marks


def meeting_page(form, group, meeting, members, marks, status=200):
    # A meeting still to come is planned without attendance: who came is marked on the
    # day or after (meeting_services._check_attendance).
    day = form.held_on.data or (meeting.held_on if meeting else today())
    planned = day > today()
    there = None
    if status == 409:  # the day is taken (or the meeting changed): link to the one there
        there = meeting_services.meeting_there(
            group, form.held_on.data, form.kind.data, meeting.id if meeting else None
        )
    return render_template(
        "groups/meeting_form.html",
        form=form,
        group=group,
        meeting=meeting,
        members=[] if planned else members,
        marks=marks,
        planned=planned,
        statuses=forms.ATTENDANCE_CHOICES,
        there=there,
    ), status


@bp.route("/groups/<int:group_id>/meetings/new", methods=["GET", "POST"])
def record_meeting(group_id: int):
    group = load_group(group_id)
    require(group.can_record(current_user))
    form = forms.MeetingForm()
    if is_first_view():
        form.held_on.data = today()
    day = form.held_on.data or today()
    marks, saved = {}, saving(form)
    if form.validate_on_submit():
        marks = read_marks(form)
        if not form.form_errors:
            with saved:
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
            if saved.ok:
                flash(
                    _(
                        "The meeting was saved: %(present)d of %(total)d present.",
                        present=sum(s == AttendanceStatus.PRESENT for s in marks.values()),
                        total=len(marks),
                    ),
                    "success",
                )
                return redirect(url_for("groups.show_meeting", meeting_id=meeting.id))
    elif not is_first_view():
        marks = read_marks(form)
    members = meeting_services.members_on(group.id, day)
    return meeting_page(form, group, None, members, marks, saved.status)


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
    if is_first_view():
        form.version.data = meeting.version
        form.kind.data = meeting.kind.value
        marks = meeting_services.attendance_marks(meeting)
    else:
        marks = read_marks(form)
    saved = saving(form, record=meeting)
    if form.validate_on_submit() and not form.form_errors:
        with saved:
            meeting_services.update_meeting(
                current_user,
                meeting,
                version=form_version(form),
                held_on=form.held_on.data,
                kind=forms.MeetingKind(form.kind.data),
                topics=form.topics.data,
                decisions=form.decisions.data,
                marks=marks,
                today=today(),
            )
        if saved.ok:
            flash(_("The meeting was corrected."), "success")
            return redirect(url_for("groups.show_meeting", meeting_id=meeting.id))
    members = _members_for(group, form, meeting)
    return meeting_page(form, group, meeting, members, marks, saved.status)


def _members_for(group, form, meeting):
    day = form.held_on.data or meeting.held_on
    return meeting_services.members_on(group.id, day)


@offline.keeps_forms
def meeting_forms(user) -> list[str]:
    """The meeting form of each open group the user facilitates (issue 25, layer 2)."""
    groups = db.session.scalars(
        select(Group)
        .join(group_facilitators, group_facilitators.c.group_id == Group.id)
        .where(group_facilitators.c.user_id == user.id, Group.status != GroupStatus.CLOSED)
        .order_by(Group.id)
    )
    return [url_for("groups.record_meeting", group_id=group.id) for group in groups]
