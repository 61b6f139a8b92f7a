"""The blueprint and what its views share: loading with permission checks, form errors."""

from flask import Blueprint
from flask_login import current_user

from accounts.models import Role
from core import audit
from core.auth import require
from core.db import db
from core.parse import parse_int
from core.places import list_provinces
from groups.models import (
    Group,
    Meeting,
    Member,
)

bp = Blueprint("groups", __name__)


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
    """The version the form was opened at; a malformed one never matches (a conflict)."""
    version = parse_int(form.version.data or "", maximum=2**31 - 1)
    return -1 if version is None else version


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

