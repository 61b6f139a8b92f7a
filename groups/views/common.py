"""The blueprint and what its views share: loading with permission checks, form errors."""

from flask import Blueprint
from sqlalchemy.orm import joinedload

from accounts.models import Role
from core.auth import load
from core.parse import parse_int
from core.places import list_provinces
from groups.meeting_models import Meeting
from groups.models import Group, Member, Membership

bp = Blueprint("groups", __name__)


def provinces_for(user):
    if user.role == Role.ADMIN:
        return list_provinces()
    return [p for p in list_provinces() if p.code in user.province_codes]


# Loaders: one per resource; 404 if missing, 403 (members 404) out of scope. Each notes
# the read for the audit log, written only if the page is shown (core.audit).


# Read with the record, in its statement: what can_view reads (a group's facilitators;
# a member's memberships, their groups and those groups' facilitators) and a group's
# places, instead of one lazy statement each (3 and 3 fewer statements a page).
GROUP_WITH = (
    joinedload(Group.facilitators),
    joinedload(Group.commune),
    joinedload(Group.province),
)
MEMBER_WITH = (
    joinedload(Member.memberships).joinedload(Membership.group).joinedload(Group.facilitators),
)


def load_group(group_id: int) -> Group:
    return load(Group, group_id, members=True, options=GROUP_WITH)


def form_version(form) -> int:
    """The version the form was opened at; a malformed one never matches (a conflict)."""
    version = parse_int(form.version.data or "", maximum=2**31 - 1)
    return -1 if version is None else version


def load_member(member_id: int) -> Member:
    return load(Member, member_id, members=True, options=MEMBER_WITH)


def load_meeting(meeting_id: int) -> Meeting:
    return load(Meeting, meeting_id, members=True)
