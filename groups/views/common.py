"""The blueprint and what its views share: loading with permission checks, form errors."""

from flask import Blueprint

from accounts.models import Role
from core.auth import load
from core.parse import parse_int
from core.places import list_provinces
from groups.meeting_models import Meeting
from groups.models import Group, Member

bp = Blueprint("groups", __name__)


def provinces_for(user):
    if user.role == Role.ADMIN:
        return list_provinces()
    return [p for p in list_provinces() if p.code in user.province_codes]


# Loaders: one per resource; 404 if missing, 403 (members 404) out of scope. Each notes
# the read for the audit log, written only if the page is shown (core.audit).


def load_group(group_id: int) -> Group:
    return load(Group, group_id, members=True)


def form_version(form) -> int:
    """The version the form was opened at; a malformed one never matches (a conflict)."""
    version = parse_int(form.version.data or "", maximum=2**31 - 1)
    return -1 if version is None else version


def load_member(member_id: int) -> Member:
    return load(Member, member_id, members=True)


def load_meeting(meeting_id: int) -> Meeting:
    return load(Meeting, meeting_id, members=True)
