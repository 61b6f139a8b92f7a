"""The support blueprint and what its pages share: loading with permission checks."""

from flask import (
    Blueprint,
    abort,
    render_template,
)
from flask_login import current_user

from accounts.models import Role
from core.auth import load
from core.clock import today
from groups.models import Member
from support import forms
from support.models.provider_side import DeclineReason
from support.models.referrals import NEXT_STATUS, Referral
from support.models.screening import (
    Screening,
)
from support.provider_forms import MessageForm

bp = Blueprint("support", __name__)


def refuse_members() -> None:
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


def referral_page(referral: Referral, message_form=None) -> str:
    """The referral's page: its facts, the status form, the timeline with the messages."""
    notes = referral.can_read_notes(current_user)
    # Status changes and messages in one timeline, newest first.
    timeline = sorted(
        [("event", e) for e in referral.events] + [("message", m) for m in referral.messages],
        key=lambda entry: (entry[1].at, entry[0] == "message", entry[1].id),
        reverse=True,
    )
    if message_form is None and referral.can_post_message(current_user):
        message_form = MessageForm(formdata=None)
    return render_template(
        "support/referral.html",
        referral=referral,
        notes=notes,
        today=today(),
        status_form=forms.StatusForm(on=today(), version=referral.version)
        if referral.can_update(current_user)
        else None,
        decline_reason=DeclineReason(referral.decline_reason).label
        if referral.decline_reason
        else None,
        next_statuses=[s.value for s in NEXT_STATUS.get(referral.status, ())],
        timeline=timeline,
        messages_readable=referral.can_read_messages(current_user),
        message_form=message_form,
    )
