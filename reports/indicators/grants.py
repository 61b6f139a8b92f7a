"""The grants section: applications, decisions, payments, still to pay out, median days
to a decision and to the first payment."""

from datetime import date, timedelta

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from livelihoods.models import (
    Grant,
    GrantEvent,
    GrantStatus,
    Tranche,
)
from reports.indicators import prepared
from reports.indicators.grant_facts import grant_flows, reads_facts
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.sql import checked_only, count_of, day_number, median_of, utc_start

# Made once, as in reports.indicators.scope.
_EARLIER = aliased(GrantEvent, name="earlier")
_DECISION = aliased(GrantEvent, name="decision")


def _events(action: str, period: Period, scope: Scope):
    """Grants that went through `action` on a day of the period: the day it happened
    (GrantEvent.on, issue 22), not the moment it was typed in."""
    return select(GrantEvent.grant_id).where(
        GrantEvent.action == action,
        GrantEvent.on.between(period.start, period.end),
        scope.has_grant(GrantEvent.grant_id),
    )


def grant_figures(scope: Scope, period: Period) -> dict:
    """Applications submitted, approved, not approved; payments; still to pay out;
    median days to a decision and to the first payment: one statement, built once for
    each shape of scope and period (reports.indicators.prepared)."""
    facts = reads_facts(period)
    row = prepared.run("grant_figures", scope, period, grant_select, facts).one()
    if facts:
        row = (*row[:7], row[11], row[7], row[8], row[12], row[9], row[10])
    return {
        "requested": int(row[0]),
        "requested_vnd": int(row[1] or 0),
        "approved": int(row[2]),
        "approved_vnd": int(row[3] or 0),
        "rejected": int(row[4] or 0),
        "disbursed": int(row[5]),
        "disbursed_vnd": int(row[6]),
        "remaining_vnd": int(row[7] or 0),
        "days_to_decision": _round(row[8]),
        "days_to_payment": _round(row[9]),
        # How many grants or values each amount and median is over (disclosure control).
        "bases": {
            "requested_vnd": int(row[0]),
            "approved_vnd": int(row[2]),
            "disbursed_vnd": int(row[5]),
            "remaining_vnd": int(row[10] or 0),
            "days_to_decision": int(row[11] or 0),
            "days_to_payment": int(row[12] or 0),
        },
    }


def grant_select(scope: Scope, period: Period):
    """The grant figures' statement (grant_figures): from the facts for a month, quarter
    or year (in grant_flows' order of columns), else from the grants as they are."""
    in_scope = scope.has_member(Grant.member_id)
    earlier = _EARLIER
    first_submitted = _events("submitted", period, scope).where(
        ~exists()
        .where(
            earlier.grant_id == GrantEvent.grant_id,
            earlier.action == "submitted",
            earlier.id < GrantEvent.id,
        )
        .correlate_except(earlier)
    )

    def count_and_sum(ids, amount):
        return (
            select(func.count(), func.coalesce(func.sum(amount), 0))
            .where(Grant.id.in_(ids))
            .subquery()
        )

    requested = count_and_sum(first_submitted, Grant.amount_requested)
    approved = count_and_sum(_events("approved", period, scope), Grant.amount_approved)
    rejected = (
        select(func.count(func.distinct(GrantEvent.grant_id)))
        .where(GrantEvent.grant_id.in_(_events("rejected", period, scope)))
        .scalar_subquery()
    )
    paid = (
        select(
            func.count(func.distinct(Tranche.grant_id)), func.coalesce(func.sum(Tranche.amount), 0)
        )
        .join(Grant, Grant.id == Tranche.grant_id)
        .where(Tranche.paid_on.between(period.start, period.end), in_scope)
        .subquery()
    )

    # Still to pay out at the end of the period: what the grants approved and not closed
    # by then had not been paid by then. It is what they lack now (the kept
    # grants.paid_vnd, read through the index on what each lacks, ix_grants_lacking) plus
    # what was paid to them after the period, so no grant's whole history is summed. A
    # grant closed after the period was still open at its end.
    def by_then(action: str):
        return exists().where(
            GrantEvent.grant_id == Grant.id,
            GrantEvent.action == action,
            GrantEvent.on <= period.end,
        )

    # A test on the few rows found, not a start: through ix_grants_status SQLite read
    # every paid-out grant of the country.
    status = checked_only(Grant.status)
    open_approved = and_(
        in_scope,
        or_(
            status.in_((GrantStatus.APPROVED, GrantStatus.DISBURSED)),
            and_(status == GrantStatus.CLOSED, ~by_then("closed")),
        ),
        by_then("approved"),
    )
    lacking = Grant.amount_approved - Grant.paid_vnd
    lacking_now = (
        select(func.coalesce(func.sum(lacking), 0))
        .where(or_(lacking > 0, lacking < 0), open_approved)
        .scalar_subquery()
    )
    paid_after = (
        select(func.coalesce(func.sum(Tranche.amount), 0))
        .join(Grant, Grant.id == Tranche.grant_id)
        .where(Tranche.paid_on > period.end, open_approved)
        .scalar_subquery()
    )
    remaining = lacking_now + paid_after
    # The grants that sum is over: open at the period's end with something still to pay.
    remaining_n = (
        select(func.count())
        .select_from(Grant)
        .where(
            open_approved,
            or_(
                lacking > 0,
                lacking < 0,
                exists().where(Tranche.grant_id == Grant.id, Tranche.paid_on > period.end),
            ),
        )
        .scalar_subquery()
    )
    decision = _DECISION
    submitted_before = (
        select(func.max(day_number(GrantEvent.on)))
        .where(
            GrantEvent.grant_id == decision.grant_id,
            GrantEvent.action == "submitted",
            GrantEvent.id < decision.id,
        )
        .scalar_subquery()
    )
    decision_days = select(day_number(decision.on) - submitted_before).where(
        decision.action.in_(("approved", "rejected")),
        decision.on.between(period.start, period.end),
        scope.has_grant(decision.grant_id),
    )
    to_decision = median_of(decision_days)
    # The grants first paid in the period: their first payment day is kept on the grant
    # (grants.first_tranche_on, by triggers on `tranches`, migration 0025), a range of its
    # index, instead of every payment of every grant paid in the period grouped.
    approval = (
        select(func.min(day_number(GrantEvent.on)))
        .where(GrantEvent.grant_id == Grant.id, GrantEvent.action == "approved")
        .scalar_subquery()
    )
    payment_days = select(day_number(Grant.first_tranche_on) - approval).where(
        Grant.first_tranche_on.between(period.start, period.end),
        scope.has_member(Grant.member_id),
    )
    to_payment = median_of(payment_days)
    if reads_facts(period):
        return grant_flows(scope, period, remaining, remaining_n)
    return (
        select(
            requested.c[0],
            requested.c[1],
            approved.c[0],
            approved.c[1],
            rejected,
            paid.c[0],
            paid.c[1],
            remaining,
            to_decision,
            to_payment,
            remaining_n,
            count_of(decision_days),
            count_of(payment_days),
        )
        .select_from(requested)
        .join(approved, literal(True))
        .join(paid, literal(True))
    )


def _next_day(day: date):
    return utc_start(day + timedelta(days=1))


def _round(value):
    return None if value is None else round(float(value), 1)
