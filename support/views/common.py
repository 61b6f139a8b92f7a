"""The support blueprint and what its pages share: loading with permission checks."""

from flask import (
    Blueprint,
    abort,
)
from flask_login import current_user

from accounts.models import Role
from core.auth import load
from groups.models import Member
from support.models.referrals import Referral
from support.models.screening import (
    Screening,
)

bp = Blueprint("support", __name__)


def _refuse_members() -> None:
    if current_user.role == Role.MEMBER:
        abort(404)


# The pages note their reads themselves, with what they show (answers, notes, letter).
def load_screening(screening_id: int) -> Screening:
    """A screening whose existence the user may see; members get 404."""
    return load(Screening, screening_id, note=False)


def load_referral(referral_id: int) -> Referral:
    return load(Referral, referral_id, note=False)


def load_staff_member(member_id: int) -> Member:
    return load(
        Member,
        member_id,
        allowed=lambda m: m.can_view(current_user) and current_user.role in Role.STAFF,
    )
