"""The members section: members in a group in the period by category, sex and age band;
joined and left; each member counted once over the period however they moved.

A month, a quarter or a year up to the facts' horizon is read from the facts
(reports.facts.members): the counts of the scope's groups' members in no other group,
plus the distinct members of the few spread over several groups, plus, live, the members
of any group a write has marked since its last fold: one statement, exact whether or not
the scheduler has folded. Any other range: the scope's memberships, as they are."""

from sqlalchemy import and_, exists, func, select, union_all

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
from reports.indicators.scope import Scope
from reports.periods import Period

__all__ = ["AGE_BANDS", "member_figures", "reads_member_facts"]


def reads_member_facts(period: Period) -> bool:
    """The period is one the facts keep (group_indicators.READ_FACTS off: never)."""
    if not (group_indicators.READ_FACTS and is_standard(period)):
        return False
    until = horizon()
    return until is not None and period.end <= until


def _per_member(rows):
    """select(*cell_sums) over `rows` (member_id, active, joined, left, category, gender,
    band; several per member): each member once, counting what any row counts."""
    each = (
        select(
            rows.c.member_id,
            func.max(rows.c.active).label("active"),
            func.max(rows.c.joined).label("joined"),
            func.max(rows.c.left).label("left"),
            rows.c.category,
            rows.c.gender,
            rows.c.band,
        )
        .group_by(rows.c.member_id, rows.c.category, rows.c.gender, rows.c.band)
        .subquery()
    )
    c = each.c
    return select(*cell_sums(c.active, c.joined, c.left, c.category, c.gender, c.band))


def _live_rows(scope: Scope, period: Period, *where):
    """Rows for _per_member of the scope's memberships that count in the period."""
    rows = member_rows(period.start, period.end, scope.has_group(Membership.group_id), *where)
    rows = rows.subquery()
    return select(
        rows.c.member_id,
        rows.c.active,
        rows.c.joined,
        rows.c.left,
        Member.category.label("category"),
        Member.gender.label("gender"),
        age_band(Member.birth_year, period.end.year).label("band"),
    ).join(Member, Member.id == rows.c.member_id)


def _from_facts(scope: Scope, period: Period):
    kept = and_(
        scope.has_group(MemberGroupPeriod.group_id),
        MemberGroupPeriod.start == period.start,
        MemberGroupPeriod.end == period.end,
        ~exists().where(MemberDirty.group_id == MemberGroupPeriod.group_id),
    )
    single = select(*(func.sum(getattr(MemberGroupPeriod, n)) for n in COUNTS)).where(kept)
    spread = select(
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
    marked = _live_rows(scope, period, Membership.group_id.in_(select(MemberDirty.group_id)))
    return union_all(single, _per_member(union_all(spread, marked).subquery()))


def member_figures(scope: Scope, period: Period) -> dict:
    """Members in a group in the period (by category, sex and age band), joined and
    left: one statement."""
    if reads_member_facts(period):
        stmt = _from_facts(scope, period)
    else:
        stmt = _per_member(_live_rows(scope, period).subquery())
    totals = dict.fromkeys(COUNTS, 0)
    for row in db.session.execute(stmt):
        for name, value in zip(COUNTS, row, strict=True):
            totals[name] += int(value or 0)
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
