"""The members section: members in a group in the period by category, sex and age band;
joined and left."""

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import aliased

from core.db import db
from groups.models import (
    Gender,
    Member,
    MemberCategory,
    Membership,
)
from reports.indicators.scope import Scope
from reports.periods import Period

AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 49), (50, 200))

# Made once, as in reports.indicators.scope.
_FIRST, _OTHER = aliased(Membership, name="first_joined"), aliased(Membership, name="other")
_LAST, _AFTER = aliased(Membership, name="last_left"), aliased(Membership, name="joined_after")


def _age_band(birth_year, year: int):
    age = year - birth_year
    return case(
        *[(age.between(low, high), i) for i, (low, high) in enumerate(AGE_BANDS)],
        else_=None,
    )


def member_figures(scope: Scope, period: Period) -> dict:
    """Members in a group in the period (by category, sex and age band), joined and
    left: two statements."""
    in_period = select(Membership.member_id).where(
        scope.has_group(Membership.group_id),
        Membership.joined_on <= period.end,
        or_(Membership.left_on.is_(None), Membership.left_on > period.start),
    )
    band = _age_band(Member.birth_year, period.end.year)
    breakdown = db.session.execute(
        select(Member.category, Member.gender, band, func.count())
        .where(Member.id.in_(in_period))
        .group_by(Member.category, Member.gender, band)
    ).all()
    by_category = dict.fromkeys(MemberCategory, 0)
    by_gender = dict.fromkeys(Gender, 0)
    by_age: dict[int | None, int] = dict.fromkeys([*range(len(AGE_BANDS)), None], 0)
    for category, gender, age, n in breakdown:
        by_category[category] += n
        by_gender[gender] += n
        by_age[age] += n

    first, other = _FIRST, _OTHER
    joined = (
        select(func.count(func.distinct(first.member_id)))
        .where(
            scope.has_group(first.group_id),
            first.joined_on.between(period.start, period.end),
            ~exists()
            .where(other.member_id == first.member_id, other.joined_on < first.joined_on)
            .correlate_except(other),
        )
        .scalar_subquery()
    )
    last, after = _LAST, _AFTER
    left = (
        select(func.count(func.distinct(last.member_id)))
        .where(
            scope.has_group(last.group_id),
            last.left_on.between(period.start, period.end),
            ~exists()
            .where(
                after.member_id == last.member_id,
                after.id != last.id,
                after.joined_on <= last.left_on,
                or_(after.left_on.is_(None), after.left_on > last.left_on),
            )
            .correlate_except(after),
        )
        .scalar_subquery()
    )
    joined_n, left_n = db.session.execute(select(joined, left)).one()
    return {
        "active_members": sum(by_category.values()),
        "joined": int(joined_n or 0),
        "left": int(left_n or 0),
        "by_category": by_category,
        "by_gender": by_gender,
        "by_age": by_age,
    }
