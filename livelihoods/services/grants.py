"""Grants from draft to outcome: every state change adds a GrantEvent, so the timeline
shows who, when and why."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from accounts.models import Role, User
from core import audit, clock
from core.dates import check_day, not_before
from core.db import db
from core.errors import DomainError
from core.saving import STALE
from groups.models import Member
from groups.services.scope import member_in_scope
from livelihoods.models import (
    Activity,
    FollowUpStatus,
    Grant,
    GrantEvent,
    GrantStatus,
    Outcome,
)

DEFAULT_CHECK_MONTHS = (1, 3, 6, 12)

STALE["grants"] = _l(
    "Someone else changed this grant at the same moment. "
    "Nothing was saved; open the grant again and check."
)


def add_months(day: date, months: int) -> date:
    """The same day N months later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def record_step(
    grant: Grant,
    actor: User | None,
    action: str,
    note: str | None = None,
    on: date | None = None,
) -> None:
    """A step of the timeline: recorded now, happened `on` (default today in Viet Nam).
    The audit log keeps it too, with the day it happened (drafting is the grant's
    creation, audited as such; a visit is audited on its follow-up)."""
    day = on or clock.today()
    grant.events.append(
        GrantEvent(
            actor_id=getattr(actor, "id", None),
            action=action,
            to_status=grant.status,
            note=note,
            on=day,
        )
    )
    if action not in ("drafted", "visited"):
        dated = action not in ("edited", "corrected")
        audit.record(actor, "update", grant, detail=f"step={action}", on=day if dated else None)


def _decision_day(grant: Grant, on: date | None) -> date:
    """The day a decision was taken: given (default today), not in the future, not
    before the application it decides was submitted."""
    today = clock.today()
    on = on or today
    check_day(on, today, "on")
    submitted = grant.last_day_of("submitted")
    not_before(
        on,
        submitted,
        _l("The decision date (%(day)s) is before the application was submitted (%(submitted)s)."),
        "on",
    )
    return on


def require_status(grant: Grant, *allowed: GrantStatus) -> None:
    if grant.status not in allowed:
        raise DomainError(
            _l(
                "That step is not possible while the grant is at this stage: %(status)s.",
                status=grant.status.label,
            )
        )


def visible_grants(user: User) -> Select:
    """Grants the user may see: their own (members), or those of members they may see."""
    if user.role == Role.MEMBER:
        return select(Grant).where(Grant.member_id == user.member_id)
    return select(Grant).where(member_in_scope(user, Grant.member_id))


# The application -----------------------------------------------------------------------


def draft_grant(
    actor: User,
    member: Member,
    *,
    activity: Activity,
    plan: str,
    amount_requested: int,
    planned_income: int | None = None,
) -> Grant:
    """Draft a grant application with a member of a group."""
    current = member.current_membership
    if current is None:
        raise DomainError(_l("Only a member who is in a group now can apply."))
    if amount_requested <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount_requested")
    grant = Grant(
        member=member,
        activity=activity,
        plan=plan,
        amount_requested=amount_requested,
        planned_income=planned_income,
        status=GrantStatus.DRAFT,
        drafted_by_id=actor.id,
    )
    db.session.add(grant)
    record_step(grant, actor, "drafted")
    db.session.flush()
    audit.record(actor, "create", grant)
    return grant


def update_draft(
    actor: User,
    grant: Grant,
    *,
    activity: Activity,
    plan: str,
    amount_requested: int,
    planned_income: int | None = None,
) -> Grant:
    require_status(grant, GrantStatus.DRAFT, GrantStatus.RETURNED)
    if amount_requested <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount_requested")
    grant.activity, grant.plan, grant.amount_requested = activity, plan, amount_requested
    grant.planned_income = planned_income
    record_step(grant, actor, "edited")
    db.session.flush()
    return grant


def submit_grant(actor: User, grant: Grant, on: date | None = None) -> Grant:
    """Send the application to the province's coordinators for a decision (sent `on`,
    default today: an application handed in on paper is typed in later)."""
    require_status(grant, GrantStatus.DRAFT, GrantStatus.RETURNED)
    today = clock.today()
    on = on or today
    check_day(on, today, "on")
    returned = grant.last_day_of("returned")
    not_before(
        on,
        returned,
        _l("The date (%(day)s) is before the application was sent back (%(returned)s)."),
        "on",
    )
    # Only a member applies: not before they first joined a group of the programme.
    joined = min((m.joined_on for m in grant.member.memberships), default=None)
    not_before(
        on,
        joined,
        _l("The date (%(day)s) is before the member joined the group (%(joined)s)."),
        "on",
    )
    grant.status, grant.submitted_by_id = GrantStatus.SUBMITTED, actor.id
    record_step(grant, actor, "submitted", None, on)
    db.session.flush()
    return grant


def _require_decider(actor: User, grant: Grant) -> None:
    if not grant.can_decide(actor):
        raise DomainError(_l("Someone who drafted or submitted a grant cannot decide on it."))


def approve_grant(
    actor: User, grant: Grant, *, amount: int, note: str | None, on: date | None = None
) -> Grant:
    """Approve, possibly for another amount than requested, on the day it was decided."""
    _require_decider(actor, grant)
    require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not amount or amount <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount")
    grant.status, grant.amount_approved = GrantStatus.APPROVED, amount
    record_step(grant, actor, "approved", note, on)
    db.session.flush()
    return grant


def reject_grant(actor: User, grant: Grant, *, reason: str, on: date | None = None) -> Grant:
    _require_decider(actor, grant)
    require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not reason:
        raise DomainError(_l("Give the reason."), "note")
    grant.status = GrantStatus.REJECTED
    record_step(grant, actor, "rejected", reason, on)
    db.session.flush()
    return grant


def return_grant(actor: User, grant: Grant, *, note: str, on: date | None = None) -> Grant:
    """Send the application back for correction, saying what to correct."""
    _require_decider(actor, grant)
    require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not note:
        raise DomainError(_l("Say what needs correcting."), "note")
    grant.status = GrantStatus.RETURNED
    record_step(grant, actor, "returned", note, on)
    db.session.flush()
    return grant


def close_grant(
    actor: User, grant: Grant, *, outcome: Outcome, note: str | None, on: date | None = None
) -> Grant:
    """Close a paid-out grant with its outcome, on a day not before its last payment;
    open follow-ups are cancelled."""
    require_status(grant, GrantStatus.DISBURSED)
    today = clock.today()
    on = on or today
    check_day(on, today, "on")
    last_paid = max((t.paid_on for t in grant.tranches), default=None)
    not_before(
        on,
        last_paid,
        _l("The closing date (%(day)s) is before the last disbursement (%(paid)s)."),
        "on",
    )
    grant.status, grant.outcome = GrantStatus.CLOSED, outcome
    for follow_up in grant.follow_ups:
        if follow_up.status == FollowUpStatus.SCHEDULED:
            follow_up.status = FollowUpStatus.CANCELLED
    record_step(grant, actor, "closed", note, on)
    db.session.flush()
    return grant
