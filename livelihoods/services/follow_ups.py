"""Follow-up visits: the livelihood checks a first disbursement schedules, visits
recorded or missed, and the lists of what is due."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core import audit
from core.dates import check_day, not_before
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.saving import STALE, on_duplicate
from groups.models import Group, Member, Membership
from groups.services.scope import listed_member_in_scope, member_in_scope
from livelihoods.models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    Outcome,
    Visit,
)
from livelihoods.services.grants import DEFAULT_CHECK_MONTHS, add_months, record_step

VISIT_TAKEN = _l(
    "Someone else recorded this visit first. Yours was not saved; what you wrote is still "
    "below. Open the grant or the member to see the visit that was recorded."
)
STALE["follow_ups"] = VISIT_TAKEN
on_duplicate("uq_visits_follow_up_id", VISIT_TAKEN)


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
        record_step(follow_up.grant, actor, "visited", None, visited_on)
    db.session.flush()
    audit.record(actor, "update", follow_up, detail="step=visited", on=visited_on)
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
    audit.record(actor, "missed", follow_up, on=on)
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
    consents for the phone, and what Member.can_view reads, in a fixed number of queries.
    (Joining the groups and their facilitators to the memberships saves two statements
    but costs more: a list's memberships repeat the same few groups, measured 15.9 ->
    18.1 ms CPU for the grants list.)"""
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
    stmt = (
        select(FollowUp)
        .options(*member_card(FollowUp.member))
        .where(
            listed_member_in_scope(user, FollowUp.member_id),
            FollowUp.status == FollowUpStatus.SCHEDULED,
            FollowUp.due_on <= until,
        )
    )
    if overdue_only_before is not None:
        stmt = stmt.where(FollowUp.due_on < overdue_only_before)
    return stmt.order_by(FollowUp.due_on, FollowUp.id)
