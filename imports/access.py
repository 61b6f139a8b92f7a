"""Who may bring registers in, and which kinds of register each role may bring."""

from accounts.models import Role
from imports.columns import Kind


def kinds_for(user) -> list[Kind]:
    """Facilitators add members and attendance to their groups; managers also groups."""
    if user.role == Role.FACILITATOR:
        return [Kind.MEMBERS, Kind.ATTENDANCE]
    return list(Kind)


def may_import(user) -> bool:
    """Staff who may bring registers in: admins, coordinators, facilitators."""
    return getattr(user, "role", None) in Role.STAFF
