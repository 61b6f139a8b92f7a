"""Who sees screenings and referrals, in SQL: twins of the permission methods."""

from sqlalchemy import ColumnElement, false

from accounts.models import Role, User
from groups.services.scope import member_in_scope


def visible(user: User, member_id) -> ColumnElement[bool]:
    """SQL twin of Screening.can_view / Referral.can_view."""
    if user.role == Role.MEMBER:
        return false()
    return member_in_scope(user, member_id)


def notes_visible(user: User, member_id) -> ColumnElement[bool]:
    """SQL twin of Screening.can_read_answers / Referral.can_read_notes."""
    if user.role not in Role.MANAGERS:
        return false()
    return member_in_scope(user, member_id)
