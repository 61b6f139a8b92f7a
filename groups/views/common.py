"""The blueprint and what its views share: loading with permission checks, form errors."""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.places import list_provinces
from groups.models import (
    Group,
    Meeting,
    Member,
)
from groups.services.errors import STALE_MESSAGES

bp = Blueprint("groups", __name__)


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def stale(form, obj) -> None:
    """Refuse a save based on an old version; keep what was typed, now based on the
    current version, so a second save after checking goes through."""
    db.session.rollback()
    form.form_errors.append(str(STALE_MESSAGES[obj.__tablename__]))
    form.version.data = obj.version


def provinces_for(user):
    if user.role == Role.ADMIN:
        return list_provinces()
    return [p for p in list_provinces() if p.code in user.province_codes]


# Loaders: one per resource; 404 if missing, 403 (members 404) out of scope. Each notes
# the read for the audit log, written only if the page is shown (core.audit).


def load_group(group_id: int) -> Group:
    group = db.get_or_404(Group, group_id)
    require(group.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    audit.note_read("view", group)
    return group


def form_version(form) -> int:
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


def load_member(member_id: int) -> Member:
    member = db.get_or_404(Member, member_id)
    require(member.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    audit.note_read("view", member)
    return member


def load_meeting(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    require(meeting.can_view(current_user), 404 if current_user.role == Role.MEMBER else 403)
    audit.note_read("view", meeting)
    return meeting


def flash_form_errors(form) -> None:
    """For small forms posted from another page: their errors come back as messages."""
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")
