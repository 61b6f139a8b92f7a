"""The audit viewer: who did what to which record, for admins and coordinators.

Admins see every event. A coordinator sees the events about records in their provinces:
those written while the subject was in one of them (`province_code`, stored with the
event), and every event about a member or group that is in one of them now (a member's
home group: their current one, or their last once they left, the rule of
Member.can_view), so the history of a person follows them to their new group. Events
with no province (accounts, logins) are for admins only. Nothing here changes or deletes an event.
"""

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import Select, or_, select
from wtforms import SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from accounts.models import Role, User
from core.audit import AuditEvent
from core.auth import require
from core.clock import VIETNAM
from core.dates import DayField
from core.db import db
from core.forms import Form, at_most, choices
from core.parse import WholeNumberField
from core.places import list_provinces
from groups.models import Member
from groups.services.scope import group_in_provinces, member_in_scope
from reports.audit_details import describe

bp = Blueprint("audit", __name__)
# The audit viewer's details in the reader's words (reports.audit_details), for templates.
bp.add_app_template_global(describe, "describe_audit_detail")

ACTIONS = {
    "view": _l("Viewed"),
    "list": _l("Viewed a list of names"),
    "export": _l("Exported"),
    "create": _l("Created"),
    "update": _l("Changed"),
    "anonymise": _l("Anonymised"),
    "leave": _l("Left a group"),
    "move": _l("Moved to another group"),
    "change_role": _l("Role in group changed"),
    "consent": _l("Consent recorded"),
    "withdraw_consent": _l("Consent withdrawn"),
    "set_pin": _l("Member PIN set"),
    "missed": _l("Visit marked as missed"),
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "two_factor_locked": _l("Sign-in codes locked after too many wrong ones"),
    "logout": _l("Logged out"),
    "change_password": _l("Changed own password"),
    "reset_password": _l("Temporary password set"),
    "activate": _l("Account activated"),
    "deactivate": _l("Account deactivated"),
    "prepare_release": _l("Release of the donor report prepared"),
    "approve_release": _l("Release of the donor report approved"),
    "message": _l("Message on a referral"),
    "cancel_export": _l("Cancelled an export"),
}
RECORD_TYPES = {
    "members": _l("Member"),
    "groups": _l("Group"),
    "meetings": _l("Meeting"),
    "grants": _l("Grant"),
    "follow_ups": _l("Follow-up visit"),
    "memberships": _l("Membership"),
    "consents": _l("Consent"),
    "users": _l("User account"),
    "screenings": _l("Screening"),
    "referrals": _l("Referral"),
    "service_providers": _l("Service provider"),
    "case_plans": _l("Support plan"),
    "plan_goals": _l("Goal of a support plan"),
    "plan_actions": _l("Action of a support plan"),
    "import_batches": _l("Imported file"),
    # Exports (reports/export_views.py): what kind of table went out.
    "register": _l("Attendance register"),
    "attendance": _l("Attendance table"),
    "payments": _l("Payments table"),
    "visits": _l("Follow-up visits table"),
}
MAX_ID = 2**31 - 1


class AuditFilterForm(Form):
    """The viewer's filters, read from the query string."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Person (username)"),
        validators=[
            Optional(),
            at_most(40),
        ],
    )
    member = StringField(
        _l("Member code"),
        validators=[
            Optional(),
            at_most(20),
        ],
        description=_l("For example HUE-2026-0042."),
    )
    record_type = SelectField(_l("Kind of record"), validators=[Optional()])
    record_id = WholeNumberField(
        _l("Record number"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_ID, message=_l("Enter a record number such as 42.")),
        ],
    )
    action = SelectField(_l("Action"), validators=[Optional()])
    # The one date field (core.dates): between the programme's start and today, so
    # year 1 or 9999 is a message on the field, never a date the database cannot hold.
    start = DayField(lazy_pgettext("date range", "From"), validators=[Optional()])
    end = DayField(lazy_pgettext("date range", "To"), validators=[Optional()])
    # ASCII digits within an id's range (core.parse): a longer number is a form error,
    # never an OverflowError in NumberRange.
    before = WholeNumberField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    after = WholeNumberField(validators=[Optional(), NumberRange(min=0, max=MAX_ID)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_type.choices = choices([("", _l("Any record")), *RECORD_TYPES.items()])
        self.action.choices = choices([("", _l("Any action")), *ACTIONS.items()])

    def validate_end(self, field):
        if field.data and self.start.data and self.start.data > field.data:
            raise ValidationError(_l("The start of the period is after its end."))

    def validate_record_id(self, field):
        if field.data and not self.record_type.data:
            raise ValidationError(_l("Choose the kind of record too."))


def visible_events(user: User) -> Select:
    """Events the user may read: all for admins; coordinators see their provinces'."""
    stmt = (
        select(AuditEvent, User, Member.code)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Member, Member.id == AuditEvent.member_id)
    )
    if user.role == Role.ADMIN:
        return stmt
    if user.role != Role.COORDINATOR:
        return stmt.where(False)
    codes = user.province_codes or {-1}
    # Each event on the page is checked on its own (the member's kept home group, the
    # rule of member_in_scope; the group's province): a list of every member of the
    # provinces, built first, grew with the country.
    member_here = member_in_scope(user, AuditEvent.member_id)
    group_here = group_in_provinces(AuditEvent.group_id, codes)
    return stmt.where(or_(AuditEvent.province_code.in_(codes), member_here, group_here))


def _utc_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VIETNAM)


def list_events(user: User, form: AuditFilterForm) -> Select:
    """The visible events matching the form's filters (not yet paged)."""
    stmt = visible_events(user)
    if form.actor.data:
        stmt = stmt.where(User.username == form.actor.data.strip().lower())
    if form.member.data:
        stmt = stmt.where(Member.code == form.member.data.strip().upper())
    if form.record_type.data:
        stmt = stmt.where(AuditEvent.object_type == form.record_type.data)
    if form.record_id.data:
        stmt = stmt.where(AuditEvent.object_id == form.record_id.data)
    if form.action.data:
        stmt = stmt.where(AuditEvent.action == form.action.data)
    if form.start.data:
        stmt = stmt.where(AuditEvent.at >= _utc_start(form.start.data))
    if form.end.data:
        stmt = stmt.where(AuditEvent.at < _utc_start(form.end.data + timedelta(days=1)))
    return stmt


def page_of_events(stmt: Select, *, before: int | None, after: int | None, size: int):
    """One page by keyset on the id, newest first: (rows, has newer, has older)."""
    if after is not None:
        rows = db.session.execute(
            stmt.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(size + 1)
        ).all()
        return list(reversed(rows[:size])), len(rows) > size, True
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    rows = db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(size + 1)).all()
    return rows[:size], before is not None, len(rows) > size


def page_url(**keyset) -> str:
    args = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return url_for("audit.list_events_page", **args, **keyset)


@bp.get("/audit")
def list_events_page():
    """The audit log, filtered and paged: two queries (the page, province names)."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("reports/audit.html", form=form, rows=None), 400
    rows, newer, older = page_of_events(
        list_events(current_user, form),
        before=form.before.data,
        after=form.after.data,
        size=current_app.config["PER_PAGE"],
    )
    return render_template(
        "reports/audit.html",
        form=form,
        rows=rows,
        newer_url=page_url(after=rows[0][0].id) if rows and newer else None,
        older_url=page_url(before=rows[-1][0].id) if rows and older else None,
        provinces={p.code: p.name for p in list_provinces()},
        actions=ACTIONS,
        record_types=RECORD_TYPES,
    )
