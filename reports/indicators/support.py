"""The screening and referral figures of the progress page (SUPPORT in
reports.definitions), for a set of provinces (codes; None for every province) and a
period of dates, inclusive. Whole months are read from the facts of each (home group,
month), except the keys a write marked since they were folded in, which
reports.facts.support makes from the records as they are now; other periods are made by
the same SQL from the records of the period's days. Exact either way. The results are
plain dicts of member-free numbers; suppressing small counts is the caller's business.
"""

from collections import defaultdict
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Float, Integer, case, exists, func, literal, select, union_all

from core.db import db
from groups.models import Group
from reports.facts.models import DirtyKey, ReferralMonth, ScreeningMonth
from reports.facts.support import (
    FIRST,
    LAST,
    REFERRAL_COLUMNS,
    SCREENING_COLUMNS,
    SERVED,
    TAKEN_ON,
    WITHDRAWN,
    referral_month_select,
    screening_month_select,
)
from reports.indicators import groups as group_indicators
from support.models.screening import Dimension

TAKEN = {s.value for s in TAKEN_ON}


def reads_facts(start: date, end: date) -> bool:
    """Whole months: what the facts are kept by."""
    return group_indicators.READ_FACTS and start.day == 1 and (end + timedelta(days=1)).day == 1


def _in_provinces(codes, group) -> list:
    if codes is None:
        return []
    return [group.in_(select(Group.id).where(Group.province_code.in_(list(codes) or [-1])))]


def _marked(group, month):
    return exists().where(DirtyKey.group_id == group, DirtyKey.month == month)


def _rows(model, build, columns, codes, start: date, end: date, facts: bool, marked: bool):
    """The fact rows of the period in the provinces: folded ones and, if any key of the
    period is marked, those of the marked keys made now; or, for a period not of whole
    months, made from its days."""
    if not facts:
        return build(
            lambda group, month, day: [day.between(start, end), *_in_provinces(codes, group)]
        )
    folded = select(model.group_id, model.month, *(model.__table__.c[c] for c in columns)).where(
        model.month.between(start, end),
        *_in_provinces(codes, model.group_id),
        ~_marked(model.group_id, model.month),
    )
    if not marked:
        return folded

    def of_marked(group, month, day):
        return [day.between(start, end), *_in_provinces(codes, group), _marked(group, month)]

    return union_all(folded, build(of_marked))


def referral_counts(province_codes, start: date, end: date) -> dict:
    """Referrals made in the period, and how they stand now.

    Returns {"made": n, "accepted": n, "completed": n, "consent_withdrawn": n,
    "median_days": d | None, "by_service": {service: {...}}, "by_provider_kind": {kind:
    {...}}, "by_province": {code: {...}}}, each inner dict holding the same keys (the
    service is the need the referral answers; the kind, the provider's; the province,
    that of the member's home group). One statement (and whether a key is marked)."""
    stmt = _referral_statement(*_how(province_codes, start, end))
    total: list = []
    by_service: dict = defaultdict(list)
    by_province: dict = defaultdict(list)
    by_kind: dict = defaultdict(list)
    for province, service, kind, status, timed, days, n in db.session.execute(stmt):
        row = (status, bool(timed), int(days), int(n))
        total.append(row)
        by_service[service].append(row)
        by_province[province].append(row)
        by_kind[kind].append(row)
    return {
        **_summary(total),
        "by_service": {k: _summary(v) for k, v in sorted(by_service.items())},
        "by_provider_kind": {k: _summary(v) for k, v in sorted(by_kind.items())},
        "by_province": {k: _summary(v) for k, v in sorted(by_province.items())},
    }


def _how(province_codes, start: date, end: date) -> tuple:
    """The key of a statement: (provinces, start, end, from the facts, any key marked).
    Whether a key of the period is marked is asked first, on its own: a statement with
    a part for the marked keys reads the period's records even when there are none
    (SQLite tests the condition row by row). A write committed after the question is
    counted from the facts as they were before it, as if it came after the page."""
    codes = None if province_codes is None else tuple(sorted(province_codes))
    facts = reads_facts(start, end)
    marked = facts and bool(
        db.session.scalar(select(exists().where(DirtyKey.month.between(start, end))))
    )
    return codes, start, end, facts, marked


# The statements are kept for each (provinces, period, from the facts) they were made for:
# building their subqueries' columns took longer than running them (an SQL expression is
# never changed once made, so one serves every request, as in groups.expected_meetings).
@lru_cache(maxsize=64)
def _referral_statement(codes: tuple | None, start: date, end: date, facts: bool, marked: bool):
    rows = _rows(
        ReferralMonth, referral_month_select, REFERRAL_COLUMNS, codes, start, end, facts, marked
    ).subquery()
    keys = [rows.c[c] for c in REFERRAL_COLUMNS[:-1]]
    return (
        select(Group.province_code, *keys, func.sum(rows.c.n))
        .join(Group, Group.id == rows.c.group_id)
        .group_by(Group.province_code, *keys)
    )


@lru_cache(maxsize=64)
def _screening_statement(codes: tuple | None, start: date, end: date, facts: bool, marked: bool):
    """A first row (no member) of the screenings, members and members screened more than
    once, then the first and latest scores of each of those members, by member."""
    months = _rows(
        ScreeningMonth, screening_month_select, SCREENING_COLUMNS, codes, start, end, facts, marked
    ).cte("screening_months")
    member = months.c.member_id
    ranked = select(
        *months.c,
        func.row_number().over(partition_by=member, order_by=months.c.month).label("up"),
        func.row_number().over(partition_by=member, order_by=months.c.month.desc()).label("down"),
    ).subquery()
    per_member = (
        select(
            ranked.c.member_id,
            func.sum(ranked.c.n).label("n"),
            *(func.max(case((ranked.c.up == 1, ranked.c[f]))).label(f) for f in FIRST),
            *(func.max(case((ranked.c.down == 1, ranked.c[f]))).label(f) for f in LAST),
        )
        .group_by(ranked.c.member_id)
        .cte("screened_members")
    )
    totals = select(
        literal(None, Integer).label("member_id"),
        func.coalesce(func.sum(per_member.c.n), 0).label("n"),
        func.count().label(FIRST[0]),
        func.count().filter(per_member.c.n >= 2).label(FIRST[1]),
        *(literal(None, Float).label(f) for f in (*FIRST[2:], *LAST)),
    )
    rescreened = select(per_member).where(per_member.c.n >= 2)
    both = union_all(totals, rescreened).subquery()
    # The totals first (NULLS FIRST on both databases), then by member.
    return select(both).order_by(both.c.member_id.is_not(None), both.c.member_id)


def weighted_median(pairs: list[tuple[int, int]]):
    """The median of values given as (value, how many), as statistics.median gives it
    of the values themselves (the mean of the two middle ones for an even number)."""
    total = sum(n for _v, n in pairs)
    if not total:
        return None
    values = sorted(pairs)

    def at(index: int) -> int:
        for value, n in values:
            if index < n:
                return value
            index -= n
        raise IndexError(index)

    if total % 2:
        return at(total // 2)
    return (at(total // 2 - 1) + at(total // 2)) / 2


def _summary(rows) -> dict:
    served = [(days, n) for status, timed, days, n in rows if status == SERVED.value and timed]
    return {
        "made": sum(n for *_r, n in rows),
        "accepted": sum(n for status, _t, _d, n in rows if status in TAKEN),
        "completed": sum(n for _d, n in served),
        "median_days": weighted_median(served),
        "consent_withdrawn": sum(n for status, _t, _d, n in rows if status == WITHDRAWN.value),
    }


def screening_change(province_codes, start: date, end: date) -> dict:
    """Complete screenings dated in the period, and the average change per dimension
    between each member's first and latest screening (of those in the period).

    Returns {"screenings": n, "members": n, "members_rescreened": n, "change":
    {dimension: average | None}}. A member screened once adds no change; a dimension
    counts only members scored on it both times. Averages rounded to 3 decimals. One
    statement (and whether a key is marked)."""
    totals, *rows = db.session.execute(_screening_statement(*_how(province_codes, start, end)))
    screenings, members, rescreened = totals[1], totals[2], totals[3]
    changes: dict[Dimension, list[float]] = {d: [] for d in Dimension}
    for row in (r._mapping for r in rows):
        for d, first, last in zip(Dimension, FIRST, LAST, strict=True):
            if row[first] is not None and row[last] is not None:
                changes[d].append(row[last] - row[first])
    return {
        "screenings": int(screenings),
        "members": int(members),
        "members_rescreened": int(rescreened or 0),
        "change": {d.value: (round(sum(v) / len(v), 3) if v else None) for d, v in changes.items()},
    }
