"""Disbursements: recording and correcting the money paid out on an approved grant."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import User
from core import submissions
from core.dates import Day, check_day, not_before
from core.db import db
from core.errors import DomainError
from core.i18n import format_vnd
from livelihoods.models import (
    Grant,
    GrantStatus,
    Method,
    Tranche,
    Visit,
)
from livelihoods.services.follow_ups import reschedule_grant_checks, schedule_grant_checks
from livelihoods.services.grants import DEFAULT_CHECK_MONTHS, record_step, require_status


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
    _refuse_after_closing(grant, paid_on)
    require_status(grant, GrantStatus.APPROVED, GrantStatus.DISBURSED)
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
    record_step(grant, actor, "disbursed", None, paid_on)
    db.session.flush()
    submissions.note_created(tranche)  # sent later from a phone: when it was pressed
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
    _refuse_after_closing(grant, paid_on)
    require_status(grant, GrantStatus.DISBURSED)
    _check_tranche(grant, paid_on, amount, today, exclude=tranche)
    tranche.paid_on, tranche.amount, tranche.method = paid_on, amount, method
    tranche.purchased = purchased
    record_step(grant, actor, "corrected", None)
    db.session.flush()
    reschedule_grant_checks(grant)
    return tranche


def _refuse_after_closing(grant: Grant, paid_on: date) -> None:
    """A completed grant takes no payment: the refusal names both days (issue 22)."""
    closed_on = grant.last_day_of("closed")
    if grant.status == GrantStatus.CLOSED and closed_on is not None:
        raise DomainError(
            _l(
                "This grant was completed on %(closed)s: a payment (%(day)s) can no "
                "longer be recorded or changed.",
                closed=Day(closed_on),
                day=Day(paid_on),
            ),
            "paid_on",
        )


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
