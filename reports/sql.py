"""SQL pieces the indicators share, written once for SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ARRAY, Date, Integer, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from core.clock import VIETNAM
from core.db import db

EPOCH = date(1970, 1, 1)


class day_number(FunctionElement):
    """Whole days since 1970-01-01 of a date or a timestamp (its UTC day), as an integer."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number)
def _day_number_postgresql(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"(CAST({inner} AS DATE) - DATE '1970-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(julianday({inner}) - 2440587.5 AS INTEGER)"


class local_day_number(FunctionElement):
    """Whole days since 1970-01-01 of a UTC timestamp's day in Viet Nam (UTC+7, no
    summer time), to compare with day_number() of a date people entered."""

    type = Integer()
    inherit_cache = True
    name = "local_day_number"


@compiles(local_day_number)
def _local_day_number_postgresql(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"(CAST(({inner}) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS DATE) - DATE '1970-01-01')"


@compiles(local_day_number, "sqlite")
def _local_day_number_sqlite(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(julianday({inner}, '+7 hours') - 2440587.5 AS INTEGER)"


class month_start(FunctionElement):
    """The first day of a date's month, as a date."""

    type = Date()
    inherit_cache = True
    name = "month_start"


@compiles(month_start)
def _month_start_postgresql(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', {inner}) AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return f"date({inner}, 'start of month')"


class checked_only(FunctionElement):
    """The column as it is, to filter on but not to start from: SQLite gets `+column`, which
    keeps its planner from reading the table through that column's index (PostgreSQL
    plans by its statistics and gets the column as it is).

    A scope test, `member_id IN (every member of a region or the country)`, is a long
    list: started from, it reads all their follow-ups or grants, when the period's rows,
    found by date, were all that was needed; checked on those rows, it costs a lookup each."""

    inherit_cache = True
    name = "checked_only"

    @property
    def type(self):
        return self.clauses.clauses[0].type


@compiles(checked_only)
def _checked_only(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(checked_only, "sqlite")
def _checked_only_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def days(day: date) -> int:
    """The day number of a Python date, to compare with day_number() in SQL."""
    return (day - EPOCH).days


def utc_start(day: date) -> datetime:
    """The UTC moment a day begins in Viet Nam (timestamps are stored in UTC)."""
    local = datetime.combine(day, time.min, tzinfo=VIETNAM)
    return local.astimezone(UTC)


def moment_in(column, start: date, end: date):
    """A UTC timestamp column falls on a day from start to end (inclusive), in Viet Nam."""
    return and_(column >= utc_start(start), column < utc_start(end + timedelta(days=1)))


def median_of(values):
    """The median of a one-column select (NULLs left out), as a scalar subquery.

    Window functions do it on both databases: the middle row, or the mean of the two."""
    inner = values.subquery()
    value = inner.c[0]
    ranked = (
        select(
            value.label("v"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
        )
        .where(value.is_not(None))
        .subquery()
    )
    return (
        select(func.avg(ranked.c.v))
        .where(or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2))
        .scalar_subquery()
    )


def count_of(values):
    """How many values (NULLs left out) a one-column select gives, as a scalar subquery:
    what a median is computed over, for the donor report's threshold (reports.suppression)."""
    inner = values.subquery()
    return select(func.count(inner.c[0])).scalar_subquery()


def ratio(part, whole):
    """part / whole as a float, or None when whole is 0 (shown as a dash)."""
    return part / whole if whole else None


def smaller(a, b):
    return case((a < b, a), else_=b)


class year_start(FunctionElement):
    """The first day of a date's year, as a date."""

    type = Date()
    inherit_cache = True
    name = "year_start"


@compiles(year_start)
def _year_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('year', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(year_start, "sqlite")
def _year_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of year')"


class quarter_start(FunctionElement):
    """The first day of a date's quarter, as a date."""

    type = Date()
    inherit_cache = True
    name = "quarter_start"


@compiles(quarter_start)
def _quarter_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('quarter', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(quarter_start, "sqlite")
def _quarter_start_sqlite(element, compiler, **kw):
    inner = compiler.process(element.clauses, **kw)
    return (
        f"date({inner}, 'start of month', "
        f"'-' || ((CAST(strftime('%m', {inner}) AS INTEGER) - 1) % 3) || ' months')"
    )


def in_keys(group, month, keys: list[tuple]):
    """SQL: (group, month) is one of `keys`, a list of (group id, first day of a month).

    On PostgreSQL, two arrays unnested side by side, not `(a, b) IN ((…), (…), …)`: it
    tests each row against a list of thousands of pairs one by one (a fold's DELETE of
    2,000 keys took 3–4 s), and hashes a set; and two parameters, where a VALUES list of
    4,000 took SQLAlchemy longer to write out than the statement took to run."""
    if db.session.get_bind().dialect.name != "postgresql":
        return tuple_(group, month).in_(keys)
    groups = literal([g for g, _m in keys], ARRAY(Integer))
    months = literal([m for _g, m in keys], ARRAY(Date))
    return tuple_(group, month).in_(select(func.unnest(groups), func.unnest(months)))
