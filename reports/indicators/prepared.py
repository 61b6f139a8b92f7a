"""Figure statements built once for each shape and run with each request's values.

Building a figure's statement took longer than running it (issue 24: most of a
facilitator's /progress went to making SQLAlchemy statements). A statement is built from a
stand-in period whose start and end are bind parameters and from the request's scope,
whose narrowing values are named parameters (Scope.values); it is kept for its shape (the
database's dialect, the scope's shape, the period's kind and what the caller adds), and
each request runs it with its own values. The SQL is the same as a statement built for
the request; SQLAlchemy's compiled cache then finds it too.

Only statements whose every request-dependent value is one of these parameters may be
kept: a value written into a statement from the request (a date worked out in Python, a
list of ids) must be part of `extra`, or not be kept at all.
"""

from dataclasses import dataclass
from threading import Lock

from sqlalchemy import Date, bindparam

from core.db import db
from reports.indicators.scope import Scope
from reports.periods import Period

LIMIT = 512  # statements kept; the oldest goes first
_KEPT: dict = {}
_KEEPING = Lock()  # the server's threads share the statements


@dataclass(frozen=True)
class StandIn(Period):
    """A period whose start and end are parameters; what is known of their days."""

    whole: bool = False

    @property
    def whole_months(self) -> bool:
        return self.whole


def stand_in(period: Period) -> Period:
    """The period, its start and end as the parameters period_start and period_end."""
    return StandIn(
        period.kind,
        bindparam("period_start", type_=Date),
        bindparam("period_end", type_=Date),
        period.whole_months,
    )


def run(name: str, scope: Scope, period: Period, build, *extra, values=None):
    """The result of the statement build(scope, stand-in period) with this scope's and
    period's values, and `values` of the parameters build named itself; the statement is
    built once for each shape."""
    shape = (scope.shape, period.kind, period.whole_months)
    key = (name, db.session.get_bind().dialect.name, shape, *extra)
    stmt = _KEPT.get(key)
    if stmt is None:
        stmt = build(scope, stand_in(period))
        with _KEEPING:
            if len(_KEPT) >= LIMIT:
                _KEPT.pop(next(iter(_KEPT)))
            _KEPT[key] = stmt
    values = {
        **scope.values(),
        "period_start": period.start,
        "period_end": period.end,
        **(values or {}),
    }
    return db.session.execute(stmt, values)


def forget() -> None:
    """Build every statement anew (the tests compare kept statements with new ones)."""
    with _KEEPING:
        _KEPT.clear()
