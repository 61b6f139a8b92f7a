"""Grants from draft to outcome, their tranches, follow-up visits and member logins.

Every state change adds a GrantEvent: the timeline shows who, when and why.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select, update
from sqlalchemy.orm import selectinload

from accounts import throttle
from accounts.models import Role, User
from accounts.pins import pin_problem
from accounts.services import get_user_by_username, revoke_sessions
from core import audit, clock
from core.dates import Day, check_day, not_before
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.i18n import format_vnd
from core.saving import STALE, on_duplicate
from core.security import hash_password
from groups.models import Group, Member, Membership
from groups.services import members as member_services
from groups.services.scope import member_in_scope
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantEvent,
    GrantStatus,
    Method,
    Outcome,
    Tranche,
    Visit,
)

DEFAULT_CHECK_MONTHS = (1, 3, 6, 12)

VISIT_TAKEN = _l(
    "Someone else recorded this visit first. Yours was not saved; what you wrote is still "
    "below. Open the grant or the member to see the visit that was recorded."
)
STALE["grants"] = _l(
    "Someone else changed this grant at the same moment. "
    "Nothing was saved; open the grant again and check."
)
STALE["follow_ups"] = VISIT_TAKEN
on_duplicate("uq_visits_follow_up_id", VISIT_TAKEN)


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


def _event(
    grant: Grant,
    actor: User | None,
    action: str,
    note: str | None = None,
    on: date | None = None,
) -> None:
    """A step of the timeline: recorded now, happened `on` (default today in Viet Nam)."""
    grant.events.append(
        GrantEvent(
            actor_id=getattr(actor, "id", None),
            action=action,
            to_status=grant.status,
            note=note,
            on=on or clock.today(),
        )
    )


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


def _require_status(grant: Grant, *allowed: GrantStatus) -> None:
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
    _event(grant, actor, "drafted")
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
    _require_status(grant, GrantStatus.DRAFT, GrantStatus.RETURNED)
    if amount_requested <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount_requested")
    grant.activity, grant.plan, grant.amount_requested = activity, plan, amount_requested
    grant.planned_income = planned_income
    _event(grant, actor, "edited")
    db.session.flush()
    return grant


def submit_grant(actor: User, grant: Grant, on: date | None = None) -> Grant:
    """Send the application to the province's coordinators for a decision (sent `on`,
    default today: an application handed in on paper is typed in later)."""
    _require_status(grant, GrantStatus.DRAFT, GrantStatus.RETURNED)
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
    grant.status, grant.submitted_by_id = GrantStatus.SUBMITTED, actor.id
    _event(grant, actor, "submitted", None, on)
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
    _require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not amount or amount <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount")
    grant.status, grant.amount_approved = GrantStatus.APPROVED, amount
    _event(grant, actor, "approved", note, on)
    db.session.flush()
    return grant


def reject_grant(actor: User, grant: Grant, *, reason: str, on: date | None = None) -> Grant:
    _require_decider(actor, grant)
    _require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not reason:
        raise DomainError(_l("Give the reason."), "note")
    grant.status = GrantStatus.REJECTED
    _event(grant, actor, "rejected", reason, on)
    db.session.flush()
    return grant


def return_grant(actor: User, grant: Grant, *, note: str, on: date | None = None) -> Grant:
    """Send the application back for correction, saying what to correct."""
    _require_decider(actor, grant)
    _require_status(grant, GrantStatus.SUBMITTED)
    on = _decision_day(grant, on)
    if not note:
        raise DomainError(_l("Say what needs correcting."), "note")
    grant.status = GrantStatus.RETURNED
    _event(grant, actor, "returned", note, on)
    db.session.flush()
    return grant


def close_grant(
    actor: User, grant: Grant, *, outcome: Outcome, note: str | None, on: date | None = None
) -> Grant:
    """Close a paid-out grant with its outcome, on a day not before its last payment;
    open follow-ups are cancelled."""
    _require_status(grant, GrantStatus.DISBURSED)
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
    _event(grant, actor, "closed", note, on)
    db.session.flush()
    return grant


# Money ----------------------------------------------------------------------------------


def record_tranche(
    actor: User,
    grant: Grant,
    *,
    paid_on: date,
    amount: int,
    method: Method,
    purchased: str | None,
    today: date,
    check_months=DEFAULT_CHECK_MONTHS,
) -> Tranche:
    """Record a disbursement; the first one schedules the follow-up visits."""
    _require_status(grant, GrantStatus.APPROVED, GrantStatus.DISBURSED)
    _check_tranche(grant, paid_on, amount, today, exclude=None)
    tranche = Tranche(
        grant=grant,
        paid_on=paid_on,
        amount=amount,
        method=method,
        purchased=purchased,
        recorded_by_id=actor.id,
    )
    db.session.add(tranche)
    grant.status = GrantStatus.DISBURSED
    _event(grant, actor, "disbursed", None, paid_on)
    db.session.flush()
    schedule_grant_checks(grant, check_months)
    reschedule_grant_checks(grant)  # a tranche dated before the first moves the visits
    return tranche


def correct_tranche(
    actor: User,
    tranche: Tranche,
    *,
    paid_on: date,
    amount: int,
    method: Method,
    purchased: str | None,
    today: date,
) -> Tranche:
    """Correct a disbursement; open visits move with the first disbursement date."""
    grant = tranche.grant
    _require_status(grant, GrantStatus.DISBURSED)
    _check_tranche(grant, paid_on, amount, today, exclude=tranche)
    tranche.paid_on, tranche.amount, tranche.method = paid_on, amount, method
    tranche.purchased = purchased
    _event(grant, actor, "corrected", None)
    db.session.flush()
    reschedule_grant_checks(grant)
    return tranche


def _check_tranche(grant: Grant, paid_on: date, amount: int, today: date, exclude) -> None:
    if amount <= 0:
        raise DomainError(_l("Enter an amount above zero."), "amount")
    check_day(paid_on, today, "paid_on")
    approved_on = grant.last_day_of("approved")
    not_before(
        paid_on,
        approved_on,
        _l("The disbursement date (%(day)s) is before the grant was approved (%(approved)s)."),
        "paid_on",
    )
    others = [t.paid_on for t in grant.tranches if t is not exclude]
    first = min([*others, paid_on])
    visited = [v.visited_on for v in _grant_visits(grant)]
    if visited and first > min(visited):
        raise DomainError(
            _l(
                "The first disbursement would be on %(day)s, after a visit already recorded "
                "on %(visited)s.",
                day=Day(first),
                visited=Day(min(visited)),
            ),
            "paid_on",
        )
    paid_elsewhere = sum(t.amount for t in grant.tranches if t is not exclude)
    if paid_elsewhere + amount > (grant.amount_approved or 0):
        raise DomainError(
            _l(
                "This is more than what remains of the approved amount (%(remaining)s).",
                remaining=format_vnd((grant.amount_approved or 0) - paid_elsewhere),
            ),
            "amount",
        )


def _grant_visits(grant: Grant) -> list[Visit]:
    if grant.id is None:
        return []
    return list(db.session.scalars(select(Visit).where(Visit.grant_id == grant.id)))


# Follow-ups -----------------------------------------------------------------------------


def schedule_grant_checks(grant: Grant, months=DEFAULT_CHECK_MONTHS) -> None:
    """Create the livelihood checks (1, 3, 6, 12 months after the first payment) once."""
    first = grant.first_paid_on
    existing = {f.months_after for f in grant.follow_ups if f.kind == FollowUpKind.GRANT_CHECK}
    for n in months:
        if n in existing:
            continue
        grant.follow_ups.append(
            FollowUp(
                kind=FollowUpKind.GRANT_CHECK,
                source_key=f"grant:{grant.id}:{n}",
                member_id=grant.member_id,
                months_after=n,
                source_on=first,
                due_on=add_months(first, n),
                status=FollowUpStatus.SCHEDULED,
            )
        )
    db.session.flush()


def reschedule_grant_checks(grant: Grant) -> None:
    """Move open checks when the first disbursement date changed; done ones stay."""
    first = grant.first_paid_on
    for f in grant.follow_ups:
        if f.kind == FollowUpKind.GRANT_CHECK and f.status == FollowUpStatus.SCHEDULED:
            f.source_on, f.due_on = first, add_months(first, f.months_after)
    db.session.flush()


def record_visit(
    actor: User,
    follow_up: FollowUp,
    *,
    visited_on: date,
    business_status: Outcome | None,
    monthly_income: int | None,
    notes: str | None,
    today: date,
) -> Visit:
    """Record the visit; it closes the follow-up, which stops its reminders.

    The follow-up row is locked first (PostgreSQL), so of two people recording it at
    once the second sees it done; its version and the unique visit per follow-up stop
    whatever gets past that.
    """
    db.session.refresh(follow_up, with_for_update=True)
    if follow_up.status == FollowUpStatus.DONE:
        raise Conflict(VISIT_TAKEN)
    if follow_up.status != FollowUpStatus.SCHEDULED:
        raise DomainError(_l("This visit is already recorded or closed."))
    check_day(visited_on, today, "visited_on")
    if follow_up.grant is None:
        not_before(
            visited_on,
            follow_up.source_on,
            _l("The visit date (%(day)s) is before what it follows up (%(source)s)."),
            "visited_on",
        )
    else:
        not_before(
            visited_on,
            follow_up.grant.first_paid_on,
            _l("The visit date (%(day)s) is before the first disbursement (%(paid)s)."),
            "visited_on",
        )
        if business_status is None:
            raise DomainError(_l("Choose how the business is doing."), "business_status")
    if monthly_income is not None and monthly_income < 0:
        raise DomainError(_l("Enter an amount of zero or more."), "monthly_income")
    # By id, not follow_up=…: the relationship would load a visit someone else just
    # recorded and detach it (follow_up_id = NULL) instead of failing.
    visit = Visit(
        follow_up_id=follow_up.id,
        member_id=follow_up.member_id,
        grant_id=follow_up.grant_id,
        visited_on=visited_on,
        visitor_id=actor.id,
        business_status=business_status,
        monthly_income=monthly_income,
        notes=notes,
    )
    db.session.add(visit)
    follow_up.status = FollowUpStatus.DONE
    if follow_up.grant is not None:
        _event(follow_up.grant, actor, "visited", None, visited_on)
    db.session.flush()
    return visit


def mark_missed(
    actor: User, follow_up: FollowUp, *, reason: str, today: date, on: date | None = None
) -> FollowUp:
    """The visit could not happen (on a day, default today), for a reason; it leaves the
    due lists. The same person may undo it the day they marked it (undo_missed)."""
    db.session.refresh(follow_up, with_for_update=True)
    if follow_up.status != FollowUpStatus.SCHEDULED:
        raise DomainError(_l("This visit is already recorded or closed."))
    if not (reason or "").strip():
        raise DomainError(_l("Say why the visit could not happen."), "reason")
    on = on or today
    check_day(on, today, "on")
    not_before(
        on,
        follow_up.source_on,
        _l("The date (%(day)s) is before what the visit follows up (%(source)s)."),
        "on",
    )
    follow_up.status = FollowUpStatus.MISSED
    follow_up.missed_reason, follow_up.missed_on = reason.strip(), on
    follow_up.missed_at, follow_up.missed_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "missed", follow_up)
    return follow_up


def undo_missed(actor: User, follow_up: FollowUp, *, today: date) -> FollowUp:
    """Put a visit marked as missed back on the due lists (same person, same day)."""
    if not follow_up.can_undo_missed(actor, today):
        raise DomainError(
            _l("Only the person who marked this visit as missed can undo it, on the same day.")
        )
    follow_up.status = FollowUpStatus.SCHEDULED
    follow_up.missed_reason = follow_up.missed_on = follow_up.missed_by_id = None
    follow_up.missed_at = None
    db.session.flush()
    audit.record(actor, "missed_undone", follow_up)
    return follow_up


def list_visits(*, member_id: int | None = None, grant_id: int | None = None, limit: int = 20):
    """A member's (or a grant's) visits, newest first, with who made them."""
    stmt = select(Visit).options(selectinload(Visit.visitor), selectinload(Visit.follow_up))
    if member_id is not None:
        stmt = stmt.where(Visit.member_id == member_id)
    if grant_id is not None:
        stmt = stmt.where(Visit.grant_id == grant_id)
    return stmt.order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)


# Notification kinds about one follow-up (livelihoods.jobs renders them).
FOLLOW_UP_NOTICES = ("due_soon", "due_today", "overdue", "escalated")


def member_card(relationship) -> list:
    """Loader options for showing who a member is in a list (macros/people.html: who):
    consents for the phone, and what Member.can_view reads, in a fixed number of queries."""
    member = selectinload(relationship)
    return [
        member.selectinload(Member.consents),
        member.selectinload(Member.memberships)
        .selectinload(Membership.group)
        .selectinload(Group.facilitators),
    ]


def visible_follow_ups(user: User) -> Select:
    """Follow-ups of members the user may see, with who the member is (member_card)."""
    stmt = select(FollowUp).options(*member_card(FollowUp.member))
    if user.role == Role.MEMBER:
        return stmt.where(false())
    return stmt.where(member_in_scope(user, FollowUp.member_id))


def list_due(user: User, *, until: date, overdue_only_before: date | None = None) -> Select:
    """Open follow-ups due on or before `until` (overdue ones included), earliest first."""
    stmt = visible_follow_ups(user).where(
        FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.due_on <= until
    )
    if overdue_only_before is not None:
        stmt = stmt.where(FollowUp.due_on < overdue_only_before)
    return stmt.order_by(FollowUp.due_on, FollowUp.id)


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


member_services.ANONYMISERS.append(clear_member_texts)
