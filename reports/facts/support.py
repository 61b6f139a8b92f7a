"""What the screening and referral figures count, each rule written once: the rows of
`fact_referral_months` and `fact_screening_months` for any selection, as one SELECT each.
The fold inserts them for the keys it claimed; the indicators read them for the keys
still marked, and for periods that are not whole months read them for the period's days
(reports.indicators.support), so the facts and the live figures are the same SQL.

A referral or screening counts in its member's home group now (the group they are in,
or were last in), the rule that decides who sees them (groups/services/scope.py); a
member with none is not counted. A referral counts in the month of its referral day, by
its status NOW (a referral made in March and served in May is a March referral served).

`where(group, month, day)` says which rows, as in reports.facts.grants: `group` is the
member's home group, `month` the first day of the row's month, `day` its date column."""

from collections.abc import Callable

from sqlalchemy import String, and_, case, func, select, type_coerce

from groups.models import Member
from reports.sql import day_number, month_start
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import Dimension, Screening, ScreeningStatus

Where = Callable[..., list]

# A referral the provider took on: it said it will give the service, or gave it.
TAKEN_ON = (ReferralStatus.ACCEPTED, ReferralStatus.SERVICE_RECEIVED)
# Served: its status now is "service received"; timed when it also has the day it was
# closed, the end of its days from referral to service.
SERVED = ReferralStatus.SERVICE_RECEIVED
TIMED = and_(Referral.status == SERVED, Referral.closed_on.is_not(None))
# Closed because the member withdrew their consent: counted apart from declined ones.
WITHDRAWN = ReferralStatus.CONSENT_WITHDRAWN
# Screenings counted: complete ones, by the day of the screening.
COUNTED = Screening.status == ScreeningStatus.COMPLETE

HOME = Member.home_group_id
REFERRAL_COLUMNS = ("service", "provider_kind", "status", "timed", "days", "n")
SCORES = {
    Dimension.ECONOMIC: Screening.economic,
    Dimension.SOCIAL: Screening.social,
    Dimension.PSYCHOSOCIAL: Screening.psychosocial,
}
FIRST = tuple(f"first_{d.value}" for d in Dimension)
LAST = tuple(f"last_{d.value}" for d in Dimension)
SCREENING_COLUMNS = ("member_id", "n", *FIRST, *LAST)


def referral_month_select(where: Where):
    """group_id, month and REFERRAL_COLUMNS: the referrals `where` selects, counted by
    service, kind of provider, status now and (for those timed) days to service."""
    month = month_start(Referral.referred_on)
    days = day_number(Referral.closed_on) - day_number(Referral.referred_on)
    rows = (
        select(
            HOME.label("group_id"),
            month.label("month"),
            type_coerce(Referral.service, String).label("service"),
            type_coerce(ServiceProvider.kind, String).label("provider_kind"),
            type_coerce(Referral.status, String).label("status"),
            TIMED.label("timed"),
            case((TIMED, days), else_=0).label("days"),
        )
        .select_from(Referral)
        .join(Member, Member.id == Referral.member_id)
        .join(ServiceProvider, ServiceProvider.id == Referral.provider_id)
        .where(HOME.is_not(None), *where(HOME, month, Referral.referred_on))
        .subquery()
    )
    # Grouped over the subquery's columns: PostgreSQL would not match a GROUP BY
    # expression with bound values to the same expression in the SELECT list.
    keys = [rows.c[c] for c in ("group_id", "month", *REFERRAL_COLUMNS[:-1])]
    return select(*keys, func.count().label("n")).group_by(*keys)


def screening_month_select(where: Where):
    """group_id, month and SCREENING_COLUMNS: per member and month, the complete
    screenings `where` selects, and the scores of the first and latest (by day, then id)."""
    month = month_start(Screening.screened_on)
    part = (Screening.member_id, month)
    rows = (
        select(
            HOME.label("group_id"),
            month.label("month"),
            Screening.member_id.label("member_id"),
            *(column.label(d.value) for d, column in SCORES.items()),
            func.row_number()
            .over(partition_by=part, order_by=(Screening.screened_on, Screening.id))
            .label("up"),
            func.row_number()
            .over(partition_by=part, order_by=(Screening.screened_on.desc(), Screening.id.desc()))
            .label("down"),
        )
        .select_from(Screening)
        .join(Member, Member.id == Screening.member_id)
        .where(COUNTED, HOME.is_not(None), *where(HOME, month, Screening.screened_on))
        .subquery()
    )
    return select(
        rows.c.group_id,
        rows.c.month,
        rows.c.member_id,
        func.count().label("n"),
        *(
            func.max(case((rows.c.up == 1, rows.c[d.value]))).label(f)
            for d, f in zip(Dimension, FIRST, strict=True)
        ),
        *(
            func.max(case((rows.c.down == 1, rows.c[d.value]))).label(f)
            for d, f in zip(Dimension, LAST, strict=True)
        ),
    ).group_by(rows.c.group_id, rows.c.month, rows.c.member_id)
