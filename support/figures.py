"""Figures of screening and referrals for reports (read-only; reports/ imports this).

Both functions take the provinces to count (codes; None for every province) and a period
of dates, inclusive. A member counts in the province of their current group (their last
one once they left), the rule that decides who sees them (groups/services/scope.py), so
figures move with the member as access does. They return plain dicts and lists of member-
free numbers; suppressing small counts for donors is the caller's business.
"""

from collections import defaultdict
from datetime import date
from statistics import median

from sqlalchemy import select

from core.db import db
from groups.models import Group
from groups.services.scope import home_memberships
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import Dimension, Screening, ScreeningStatus


def referral_counts(province_codes, start: date, end: date) -> dict:
    """Referrals made in the period, and how many of them ended with the service received.

    Returns {"made": n, "accepted": n, "completed": n, "consent_withdrawn": n,
    "median_days": d | None, "by_service": {service: {...}}, "by_provider_kind": {kind:
    {...}}, "by_province": {code: {...}}}, each inner dict holding the same keys (the
    service is the need the referral answers; the kind, the provider's).
    `accepted` counts referrals made in the period that the provider took on: accepted
    now, or served; `completed` those whose status is service received;
    `median_days` is the median of days from referral to service among those (None if
    none). One query.
    """
    home = home_memberships()
    stmt = (
        select(
            Referral.service,
            Group.province_code,
            Referral.status,
            Referral.referred_on,
            Referral.closed_on,
            ServiceProvider.kind,
        )  # fmt: skip
        .join(ServiceProvider, ServiceProvider.id == Referral.provider_id)
        .join(home, home.c.member_id == Referral.member_id)
        .join(Group, Group.id == home.c.group_id)
        .where(Referral.referred_on >= start, Referral.referred_on <= end)
    )
    if province_codes is not None:
        stmt = stmt.where(Group.province_code.in_(list(province_codes) or [-1]))
    total: list = []
    by_service: dict = defaultdict(list)
    by_province: dict = defaultdict(list)
    by_kind: dict = defaultdict(list)
    for service, province, status, referred_on, closed_on, kind in db.session.execute(stmt):
        row = (status, referred_on, closed_on)
        total.append(row)
        by_service[service.value].append(row)
        by_province[province].append(row)
        by_kind[kind.value].append(row)
    return {
        **_summary(total),
        "by_service": {k: _summary(v) for k, v in sorted(by_service.items())},
        "by_provider_kind": {k: _summary(v) for k, v in sorted(by_kind.items())},
        "by_province": {k: _summary(v) for k, v in sorted(by_province.items())},
    }


# A referral the provider took on: it said it will give the service, or gave it.
TAKEN_ON = (ReferralStatus.ACCEPTED, ReferralStatus.SERVICE_RECEIVED)


def _summary(rows) -> dict:
    days = [
        (closed_on - referred_on).days
        for status, referred_on, closed_on in rows
        if status == ReferralStatus.SERVICE_RECEIVED and closed_on is not None
    ]
    return {
        "made": len(rows),
        "accepted": sum(1 for status, _r, _c in rows if status in TAKEN_ON),
        "completed": len(days),
        "median_days": median(days) if days else None,
        # Closed because the member withdrew their consent: apart from declined ones.
        "consent_withdrawn": sum(
            1 for status, _r, _c in rows if status == ReferralStatus.CONSENT_WITHDRAWN
        ),
    }


def screening_change(province_codes, start: date, end: date) -> dict:
    """Complete screenings dated in the period, and the average change per dimension
    between each member's first and latest screening (of those in the period).

    Returns {"screenings": n, "members": n, "members_rescreened": n, "change":
    {dimension: average | None}}. A member screened once adds no change; a dimension
    counts only members scored on it both times. Averages rounded to 3 decimals.
    """
    home = home_memberships()
    stmt = (
        select(
            Screening.member_id,
            Screening.screened_on,
            Screening.id,
            Screening.economic,
            Screening.social,
            Screening.psychosocial,
        )  # fmt: skip
        .join(home, home.c.member_id == Screening.member_id)
        .join(Group, Group.id == home.c.group_id)
        .where(
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.screened_on >= start,
            Screening.screened_on <= end,
        )
        .order_by(Screening.member_id, Screening.screened_on, Screening.id)
    )
    if province_codes is not None:
        stmt = stmt.where(Group.province_code.in_(list(province_codes) or [-1]))
    by_member: dict[int, list] = defaultdict(list)
    count = 0
    for member_id, _on, _id, *scores in db.session.execute(stmt):
        by_member[member_id].append(dict(zip(Dimension, scores, strict=True)))
        count += 1
    changes: dict[Dimension, list[float]] = {d: [] for d in Dimension}
    rescreened = 0
    for rows in by_member.values():
        if len(rows) < 2:
            continue
        rescreened += 1
        first, latest = rows[0], rows[-1]
        for d in Dimension:
            if first[d] is not None and latest[d] is not None:
                changes[d].append(latest[d] - first[d])
    return {
        "screenings": count,
        "members": len(by_member),
        "members_rescreened": rescreened,
        "change": {d.value: (round(sum(v) / len(v), 3) if v else None) for d, v in changes.items()},
    }
