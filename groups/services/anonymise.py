"""Anonymising a member: on request, or by the retention job once they left long enough ago."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, select

from accounts.models import User
from accounts.services import revoke_sessions
from core import audit
from core.db import db
from core.errors import DomainError
from groups.models import Member, Membership
from groups.services.members import set_name

# Packages that keep free text about a member (grant plans, visit notes…) add a function
# here that clears it; groups cannot import them (they depend on groups).
ANONYMISERS: list = []


def anonymise_member(actor: User | None, member: Member, *, on: date, reason: str) -> Member:
    """Clear a member's personal fields for good, keeping what the counts need.

    The name becomes the member's code; year of birth, phone, village, notes and reasons for
    leaving are cleared, as is free text other packages keep about them (which also
    cancel what would still contact them); their login is deactivated and logged out,
    and they leave their group that day. Code, gender, category, memberships,
    attendance, consent history, grants with amounts and visits stay; so does the
    audit log, which holds no personal data. `reason` ("request" or "retention") is
    audited.
    """
    if member.anonymised_on is not None:
        raise DomainError(_l("This member was already anonymised."))
    set_name(member, member.code)
    member.birth_year = member.phone = member.village = member.notes = None
    member.anonymised_on = on
    current = member.current_membership
    if current is not None:
        current.left_on = max(on, current.joined_on)
    for membership in member.memberships:
        membership.left_reason = None
    login = db.session.scalar(select(User).where(User.member_id == member.id))
    if login is not None:
        login.active = False
        login.email = login.phone = None
        revoke_sessions(login)
    for clear in ANONYMISERS:
        clear(member)
    db.session.flush()
    audit.record(actor, "anonymise", member, detail=reason, on=on)
    return member


def retention_cutoff(today: date, years: int) -> date:
    """The day N years before today (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def list_expired_members(today: date, years: int) -> Select:
    """Members not yet anonymised, in no group now, whose last group they left more
    than `years` years before today."""
    left_before = retention_cutoff(today, years)
    current = exists().where(Membership.member_id == Member.id, Membership.left_on.is_(None))
    recent = exists().where(Membership.member_id == Member.id, Membership.left_on >= left_before)
    ever = exists().where(Membership.member_id == Member.id)
    return (
        select(Member)
        .where(Member.anonymised_on.is_(None), ever, ~current, ~recent)
        .order_by(Member.id)
    )
