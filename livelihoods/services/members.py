"""A member's own login (code and PIN) and clearing their grants' free text on
anonymisation."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from accounts import throttle
from accounts.models import Role, User
from accounts.pins import pin_problem
from accounts.services import get_user_by_username, revoke_sessions
from core import audit
from core.db import db
from core.errors import DomainError
from core.security import hash_password
from groups.models import Member
from groups.services import anonymise
from livelihoods.models import (
    FollowUp,
    FollowUpStatus,
    Grant,
    GrantEvent,
    Tranche,
    Visit,
)

# Member logins --------------------------------------------------------------------------


def set_member_pin(actor: User, member: Member, pin: str) -> User:
    """Give a member a login (their code and a PIN), or a new PIN; old sessions end.

    A trivial PIN is refused. A new PIN clears the code's failed attempts, so a member
    locked out by guessing can log in again; it never turns on a login an administrator
    turned off.
    """
    problem = pin_problem(pin)
    if problem is not None:
        raise DomainError(problem, field="pin")
    user = db.session.scalar(select(User).where(User.member_id == member.id))
    if user is not None and not user.active:
        raise DomainError(
            _l(
                "An administrator turned off this member's login. Ask an administrator to "
                "turn it on again first."
            )
        )
    if user is None:
        if get_user_by_username(member.code) is not None:
            raise DomainError(_l("This code is already used by another account."))
        # The code, not the name: personal data stays in one place.
        user = User(
            username=member.code.lower(),
            full_name=member.code,
            role=Role.MEMBER,
            member_id=member.id,
            password_hash=hash_password(pin),
        )
        db.session.add(user)
    else:
        # An administrator's deactivation stands: a new PIN does not switch the login on.
        if not user.active:
            raise DomainError(
                _l("This member's login was turned off by an administrator. Ask them first.")
            )
        user.password_hash = hash_password(pin)
        revoke_sessions(user)
    throttle.clear(user.username)
    db.session.flush()
    audit.record(actor, "set_pin", member)
    return user


# Anonymisation --------------------------------------------------------------------------


def clear_member_texts(member: Member) -> None:
    """Clear the free text kept about a member's grants and visits (plans, notes, what
    was bought) and cancel their open visits, so nobody is reminded to call on them;
    amounts, dates, statuses and outcomes stay for the counts."""
    grant_ids = select(Grant.id).where(Grant.member_id == member.id)
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.member_id == member.id, FollowUp.status == FollowUpStatus.SCHEDULED)
        .values(status=FollowUpStatus.CANCELLED),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(Grant)
        .where(Grant.member_id == member.id)
        .values(plan="", version=Grant.version + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(GrantEvent).where(GrantEvent.grant_id.in_(grant_ids)).values(note=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(Tranche).where(Tranche.grant_id.in_(grant_ids)).values(purchased=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(Visit).where(Visit.member_id == member.id).values(notes=None),
        execution_options={"synchronize_session": False},
    )


anonymise.ANONYMISERS.append(clear_member_texts)
