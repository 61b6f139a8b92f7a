"""The members section's facts: what "members in a group in the period", "joined" and
"left" are (written once here, for the live figures and the facts alike), and how the
facts are made, marked and folded.

The definitions (reports/definitions.py): a member is counted once over a period however
they moved, in every scope. A count of distinct members does not add up over groups, so
the grain is split in two, both per standard period (a month, a quarter or a year: the
periods reports.periods makes, each kept whole, never summed from months):

- `fact_member_groups`, per group and period: the members whose only group in the period
  is that one, as counts (in a group, joined, left, and the breakdowns by category, sex
  and age band). They are in no other group, so any scope's groups add up to them
  exactly: a national page sums some 3,000 rows, not 45,000 members' memberships.
- `fact_member_spread`, per member, group and period: the few in two or more groups in
  the period (who moved). A scope counts them once (distinct member) over the rows of
  its groups, so a member who moved between two groups of one province counts once in
  the province and once in each group.

A member's row is made from all of their memberships, in every group. A write to a
membership, or to a member's category, sex or year of birth, marks every group the member
is or was in (`fact_member_dirty`, triggers of migration 0042), in the writer's
transaction; the members of a marked group are read live, so the figures are exact
whether or not it has been folded in. For a group not marked, the facts are what its
members' rows say now: a change to any of them would have marked it.

Periods are kept from each member's first membership up to `until` (FactState
"member_periods"), the end of the year after the fold's: open memberships run on, so some
horizon is needed. The first fold of a year past it marks every group and moves it on.
A period after it, and any custom range that is not exactly a month, a quarter or a year,
is read live (a custom range of days or of several months has its own distinct members,
which no sum of kept periods gives; it reads the scope's memberships, as before the facts).
"""

from datetime import date, timedelta

from sqlalchemy import and_, case, delete, exists, func, insert, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from core.clock import today
from core.db import db, dialect_insert, utcnow
from groups.models import Gender, Member, MemberCategory, Membership
from reports.facts.member_models import MemberDirty, MemberGroupPeriod, MemberSpread
from reports.facts.models import FactState
from reports.periods import Period

NAME = "member_periods"
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 49), (50, 200))
KINDS = ("month", "quarter", "year")
# The count columns of fact_member_groups, in order (cell_sums makes them).
COUNTS = (
    "active",
    "joined",
    "left",
    *(f"cat_{c.value}" for c in MemberCategory),
    *(f"sex_{g.value}" for g in Gender),
    *(f"age_{i}" for i in range(len(AGE_BANDS))),
    "age_unknown",
)
CHUNK = 100  # periods per statement (SQLite allows 500 SELECTs in a UNION)

# Made once, as in reports.indicators.scope.
_EARLIER = aliased(Membership, name="earlier")
_AFTER = aliased(Membership, name="joined_after")


def age_band(birth_year, year):
    """SQL: the index in AGE_BANDS of the age reached in `year`, None when not known."""
    age = year - birth_year
    return case(
        *[(age.between(low, high), i) for i, (low, high) in enumerate(AGE_BANDS)],
        else_=None,
    )


def _flag(condition):
    return case((condition, 1), else_=0)


def member_rows(start, end, *where):
    """select(member_id, group_id, active, joined, left) of every membership that
    counts in the period from `start` to `end` (values, or the columns of a list of
    periods), one row each, with 1/0 for what it counts as:

    - active: in the group on a day of the period (joined by its end, not left before it
      began);
    - joined: the member's first membership (none earlier), begun in the period;
    - left: ended in the period and not followed by another the same day or before (a
      move is not leaving)."""
    m = Membership
    first = ~exists().where(
        _EARLIER.member_id == m.member_id, _EARLIER.joined_on < m.joined_on
    ).correlate_except(_EARLIER)
    last = ~exists().where(
        _AFTER.member_id == m.member_id,
        _AFTER.id != m.id,
        _AFTER.joined_on <= m.left_on,
        or_(_AFTER.left_on.is_(None), _AFTER.left_on > m.left_on),
    ).correlate_except(_AFTER)
    active = and_(m.joined_on <= end, or_(m.left_on.is_(None), m.left_on > start))
    joined_in, left_in = m.joined_on.between(start, end), m.left_on.between(start, end)
    return select(
        m.member_id.label("member_id"),
        m.group_id.label("group_id"),
        _flag(active).label("active"),
        _flag(and_(joined_in, first)).label("joined"),
        _flag(and_(left_in, last)).label("left"),
    ).where(or_(active, joined_in, left_in), *where)


def cell_sums(active, joined, left, category, gender, band) -> list:
    """The COUNTS as sums over rows of one member each (or counts of members, in
    fact_member_groups): the breakdowns are of members in a group in the period."""
    sums = [func.sum(active), func.sum(joined), func.sum(left)]
    sums += [func.sum(_flag(and_(active == 1, category == c))) for c in MemberCategory]
    sums += [func.sum(_flag(and_(active == 1, gender == g))) for g in Gender]
    sums += [func.sum(_flag(and_(active == 1, band == i))) for i in range(len(AGE_BANDS))]
    sums.append(func.sum(_flag(and_(active == 1, band.is_(None)))))
    return [s.label(name) for s, name in zip(sums, COUNTS, strict=True)]


def is_standard(period: Period) -> bool:
    """The period is exactly a month, a quarter or a year (whatever it is called)."""
    return any(
        (p.start, p.end) == (period.start, period.end)
        for p in (Period.containing(kind, period.start) for kind in KINDS)
    )


def standard_periods(first: date, until: date) -> list[tuple[date, date]]:
    """(start, end) of every month, quarter and year from the one holding `first` to the
    one ending on `until`."""
    out, day = set(), first.replace(day=1)
    while day <= until:
        for kind in KINDS:
            p = Period.containing(kind, day)
            if p.end <= until:
                out.add((p.start, p.end))
        day = Period.containing("month", day).end + timedelta(days=1)
    return sorted(out)


def horizon() -> date | None:
    """The last day the kept periods reach (None: never folded, everything live)."""
    row = db.session.get(FactState, NAME)
    return row.until if row else None


def _set_state(**values) -> None:
    stmt = dialect_insert(FactState).values(name=NAME, **values)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


def mark_all() -> int:
    """Mark every group with memberships or member facts, in the current transaction."""
    groups = union_all(
        select(Membership.group_id),
        select(MemberGroupPeriod.group_id),
        select(MemberSpread.group_id),
    ).subquery()
    db.session.execute(
        dialect_insert(MemberDirty)
        .from_select(
            ["group_id", "touches"],
            select(groups.c[0], literal(1)).where(groups.c[0].is_not(None)).distinct(),
        )
        .on_conflict_do_nothing()
    )
    return db.session.scalar(select(func.count()).select_from(MemberDirty))


def waiting() -> int:
    """How many groups wait to be folded into the member facts."""
    return db.session.scalar(select(func.count()).select_from(MemberDirty))


def fold(limit: int | None = None) -> tuple[int, int]:
    """Fold marked groups (at most `limit`) into the member facts, in the current
    transaction (reports.facts.refresh.fold holds the lock and the caller commits).
    Returns (groups folded, groups still waiting)."""
    started = utcnow()
    wanted, until = date(today().year + 1, 12, 31), horizon()
    if until is None or until < wanted:  # a new year: every group, further on
        mark_all()
        _set_state(until=wanted)
        until = wanted
    marked = waiting()
    stmt = (
        select(MemberDirty.group_id)
        .order_by(MemberDirty.group_id)
        .with_for_update(skip_locked=True)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    groups = list(db.session.scalars(stmt))
    if groups:
        # Claimed before the memberships are read (as in reports.facts.refresh.fold).
        db.session.execute(delete(MemberDirty).where(MemberDirty.group_id.in_(groups)))
        for model in (MemberGroupPeriod, MemberSpread):
            db.session.execute(delete(model).where(model.group_id.in_(groups)))
        _make(groups, until)
    if len(groups) >= marked:
        _set_state(as_of=started)
    return len(groups), marked - len(groups)


def _make(groups: list[int], until: date) -> None:
    """Insert the facts of `groups` for every period from their members' first
    membership to `until`."""
    members = select(Membership.member_id).where(Membership.group_id.in_(groups))
    first = db.session.scalar(
        select(func.min(Membership.joined_on)).where(Membership.member_id.in_(members))
    )
    if first is None:
        return
    periods = standard_periods(first, until)
    for i in range(0, len(periods), CHUNK):
        table = union_all(
            *(
                select(
                    literal(s).label("start"),
                    literal(e).label("end"),
                    literal(e.year).label("year"),
                )
                for s, e in periods[i : i + CHUNK]
            )
        ).subquery("periods")
        rows = (
            member_rows(table.c.start, table.c.end, Membership.member_id.in_(members))
            .add_columns(table.c.start, table.c.end, table.c.year)
            .subquery()
        )
        key = (rows.c.start, rows.c.end, rows.c.year, rows.c.member_id)
        each = (  # one row per member, period and group, if it counts for anything
            select(
                *key,
                rows.c.group_id,
                func.max(rows.c.active).label("active"),
                func.max(rows.c.joined).label("joined"),
                func.max(rows.c.left).label("left"),
            )
            .group_by(*key, rows.c.group_id)
            .having(func.max(rows.c.active + rows.c.joined + rows.c.left) > 0)
            .subquery()
        )
        spread = select(
            each,
            func.count()
            .over(partition_by=[each.c.start, each.c.end, each.c.member_id])
            .label("groups"),
        ).subquery()
        band = age_band(Member.birth_year, spread.c.year)
        mine = spread.c.group_id.in_(groups)
        db.session.execute(
            insert(MemberGroupPeriod).from_select(
                ["group_id", "start", "end", *COUNTS],
                select(
                    spread.c.group_id,
                    spread.c.start,
                    spread.c.end,
                    *cell_sums(
                        spread.c.active,
                        spread.c.joined,
                        spread.c.left,
                        Member.category,
                        Member.gender,
                        band,
                    ),
                )
                .join(Member, Member.id == spread.c.member_id)
                .where(mine, spread.c.groups == 1)
                .group_by(spread.c.group_id, spread.c.start, spread.c.end),
            )
        )
        db.session.execute(
            insert(MemberSpread).from_select(
                ["start", "end", "member_id", "group_id", "active", "joined", "left"]
                + ["category", "gender", "band"],
                select(
                    spread.c.start,
                    spread.c.end,
                    spread.c.member_id,
                    spread.c.group_id,
                    spread.c.active,
                    spread.c.joined,
                    spread.c.left,
                    Member.category,
                    Member.gender,
                    band,
                )
                .join(Member, Member.id == spread.c.member_id)
                .where(mine, spread.c.groups > 1),
            )
        )
