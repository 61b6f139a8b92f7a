"""The members section: members in a group in the period by category, sex and age band;
joined and left; each member counted once over the period however they moved.

A month, a quarter or a year up to the facts' horizon is read from the facts
(reports.facts.members): the counts of the scope's groups' members in no other group,
plus the distinct members of the few spread over several groups, plus, live, the members
of any group a write has marked since its last fold: two statements, exact whether or
not the scheduler has folded. Any other range (a custom one that is not exactly a month,
quarter or year, or after the facts' horizon): the scope's memberships, as they are, one
statement, slower at national size (SQLite, scale 0.3: about 0.2-0.3 s against 0.03-0.07
s from the facts)."""

from datetime import date
from functools import lru_cache

from sqlalchemy import exists, func, select, union_all

from core.db import db
from groups.models import Gender, Member, MemberCategory, Membership
from reports.facts.member_models import MemberDirty, MemberGroupPeriod, MemberSpread
from reports.facts.members import (
    AGE_BANDS,
    COUNTS,
    age_band,
    cell_sums,
    horizon,
    is_standard,
    member_rows,
)
from reports.indicators import groups as group_indicators
from reports.indicators import prepared
from reports.indicators.scope import Scope
from reports.periods import Period

__all__ = ["AGE_BANDS", "member_figures", "reads_member_facts"]


def reads_member_facts(period: Period) -> bool:
    """The period is one the facts keep (group_indicators.READ_FACTS off: never)."""
    if not (group_indicators.READ_FACTS and is_standard(period)):
        return False
    until = horizon()
    return until is not None and period.end <= until


@lru_cache(maxsize=64)
def _period_rows(start: date, end: date):
    """member_rows of the period, before any scope: kept, for building the statement
    cost more than running it (an SQL expression is never changed once made; `.where`
    makes a new one)."""
    return member_rows(start, end)


@lru_cache(maxsize=16)
def _band(year: int):
    return age_band(Member.birth_year, year)


# What the kept counts of a scope's groups add up to, and how many groups are marked.
_SUMS = tuple(func.sum(getattr(MemberGroupPeriod, n)) for n in COUNTS)
_MARKED = select(func.count()).select_from(MemberDirty).scalar_subquery()


def _live_rows(scope: Scope, period: Period, *where):
    """(member_id, active, joined, left, category, gender, band) of the scope's
    memberships that count in the period, one row each (several per member)."""
    rows = _period_rows(period.start, period.end).where(
        scope.has_group(Membership.group_id), *where
    )
    rows = rows.subquery()
    return select(
        rows.c.member_id,
        rows.c.active,
        rows.c.joined,
        rows.c.left,
        Member.category.label("category"),
        Member.gender.label("gender"),
        _band(period.end.year).label("band"),
    ).join(Member, Member.id == rows.c.member_id)


def _live(scope: Scope, period: Period):
    """select(*cell_sums) of the scope's memberships in the period: each member once,
    counting what any of their memberships in scope counts."""
    rows = _period_rows(period.start, period.end).where(scope.has_group(Membership.group_id))
    rows = rows.subquery()
    each = (
        select(
            rows.c.member_id,
            func.max(rows.c.active).label("active"),
            func.max(rows.c.joined).label("joined"),
            func.max(rows.c.left).label("left"),
        )
        .group_by(rows.c.member_id)
        .subquery()
    )
    c = each.c
    band = _band(period.end.year)
    return select(
        *cell_sums(c.active, c.joined, c.left, Member.category, Member.gender, band)
    ).join(Member, Member.id == c.member_id)


def _kept_sums(scope: Scope, period: Period):
    """The kept counts of the scope's groups not marked, and how many groups are marked."""
    return select(*_SUMS, _MARKED).where(
        scope.has_group(MemberGroupPeriod.group_id),
        MemberGroupPeriod.start == period.start,
        MemberGroupPeriod.end == period.end,
        ~exists().where(MemberDirty.group_id == MemberGroupPeriod.group_id),
    )


def _kept_spread(scope: Scope, period: Period):
    """The kept members in several of the scope's groups not marked, a row each."""
    return select(
        MemberSpread.member_id,
        MemberSpread.active,
        MemberSpread.joined,
        MemberSpread.left,
        MemberSpread.category,
        MemberSpread.gender,
        MemberSpread.band,
    ).where(
        scope.has_group(MemberSpread.group_id),
        MemberSpread.start == period.start,
        MemberSpread.end == period.end,
        ~exists().where(MemberDirty.group_id == MemberSpread.group_id),
    )


def _from_facts(scope: Scope, period: Period) -> dict:
    """The COUNTS of the scope in a kept period: two statements, the kept counts of its
    groups not marked, and the few members to count once (spread over several groups,
    or in a marked group, read live), added up here."""
    *sums, marked_groups = prepared.run("member_sums", scope, period, _kept_sums).one()
    totals = dict(zip(COUNTS, (int(v or 0) for v in sums), strict=True))
    if marked_groups:  # most of the time none: the scheduler folds every minute
        marked = _live_rows(scope, period, Membership.group_id.in_(select(MemberDirty.group_id)))
        rows = db.session.execute(union_all(_kept_spread(scope, period), marked))
    else:
        rows = prepared.run("member_spread", scope, period, _kept_spread)
    each: dict[int, list] = {}
    for member_id, active, joined, left, category, gender, band in rows:
        seen = each.setdefault(member_id, [0, 0, 0, category, gender, band])
        for i, flag in enumerate((active, joined, left)):
            seen[i] = max(seen[i], flag)
    for active, joined, left, category, gender, band in each.values():
        totals["active"] += active
        totals["joined"] += joined
        totals["left"] += left
        if active:
            totals[f"cat_{MemberCategory(category).value}"] += 1
            totals[f"sex_{Gender(gender).value}"] += 1
            totals["age_unknown" if band is None else f"age_{band}"] += 1
    return totals


def member_figures(scope: Scope, period: Period) -> dict:
    """Members in a group in the period (by category, sex and age band), joined and
    left: one statement live, two from the facts."""
    if reads_member_facts(period):
        totals = _from_facts(scope, period)
    else:
        # Kept per period: its rows and age bands are worked out from its days.
        row = prepared.run(
            "member_live", scope, period, lambda s, _p: _live(s, period), period
        ).one()
        totals = dict(zip(COUNTS, (int(v or 0) for v in row), strict=True))
    by_age: dict[int | None, int] = {i: totals[f"age_{i}"] for i in range(len(AGE_BANDS))}
    by_age[None] = totals["age_unknown"]
    return {
        "active_members": totals["active"],
        "joined": totals["joined"],
        "left": totals["left"],
        "by_category": {c: totals[f"cat_{c.value}"] for c in MemberCategory},
        "by_gender": {g: totals[f"sex_{g.value}"] for g in Gender},
        "by_age": by_age,
    }
