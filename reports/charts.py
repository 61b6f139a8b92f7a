"""Figures for charts and drill-down tables: one grouped statement each.

The charts themselves are SVG drawn by templates/reports/charts.html (macros of our
own, not a library): a chart here is a handful of bars, and a template that writes
them with their numbers, a <title> and a <desc> is shorter than the setup a library
needs, and sends no script or style sheet.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, bindparam, exists, extract, func, select, union_all

from core.db import db
from core.places import Commune, Province, place_order
from groups.meeting_models import Meeting
from groups.models import Group
from reports.facts.models import DirtyKey, GroupMonth
from reports.indicators import prepared
from reports.indicators.groups import GroupSums, group_sums, reads_facts
from reports.indicators.scope import Scope
from reports.periods import Period, add_months
from reports.sql import month_start


@dataclass
class Bar:
    label: str
    value: float | None  # what the bar's length shows (a share between 0 and 1, or a count)
    text: str = ""  # the number written beside it


def attendance_by_month(
    scope: Scope, period: Period, months: int = 6
) -> list[tuple[date, int, int]]:
    """(first day of month, present, marks) for the 6 months ending with the period's last:
    six columns stay readable on a 360 px screen. Sums the meetings' tallies: no read of
    the attendance marks themselves; for whole months, the facts, the months a write
    marked since they were folded in read from their meetings (indicators.meeting_rows)."""
    last = period.end.replace(day=1)
    first = add_months(last, 1 - months)
    facts = reads_facts(Period("custom", first, period.end))
    rows = prepared.run(
        "attendance_by_month",
        scope,
        period,
        lambda s, p: _attendance_select(s, CHART_FIRST, p.end, facts),
        facts,
        values={"chart_first": first},
    ).all()
    if facts:
        got = {(m.year, m.month): (int(p or 0), int(n or 0)) for m, p, n in rows}
    else:
        got = {(int(y), int(m)): (int(p or 0), int(n or 0)) for y, m, p, n in rows}
    out = []
    for i in range(months):
        day = add_months(first, i)
        present, marks = got.get((day.year, day.month), (0, 0))
        out.append((day, present, marks))
    return out


# The first month of the attendance chart: a parameter, as the period's days are
# (reports.indicators.prepared builds the chart's statement once for each shape).
CHART_FIRST = bindparam("chart_first", type_=Date)


def _attendance_select(scope: Scope, first, end, facts: bool):
    """(month, present, marks) from the facts, or (year, month, present, marks) from the
    meetings, of the months from `first` to `end`."""
    if facts:
        month = GroupMonth.month
        folded = select(month, GroupMonth.present, GroupMonth.marks).where(
            month.between(first, end),
            scope.has_group(GroupMonth.group_id),
            ~exists().where(
                DirtyKey.group_id == GroupMonth.group_id, DirtyKey.month == GroupMonth.month
            ),
        )
        marked = (
            select(DirtyKey.month, func.sum(Meeting.present_count), func.sum(Meeting.marked_count))
            .join(
                Meeting,
                and_(
                    Meeting.group_id == DirtyKey.group_id,
                    month_start(Meeting.held_on) == DirtyKey.month,
                ),
            )
            .where(
                DirtyKey.month.between(first, end),
                Meeting.held_on.between(first, end),
                scope.has_group(Meeting.group_id),
            )
            .group_by(DirtyKey.month)
        )
        both = union_all(folded, marked).subquery()
        return select(both.c[0], func.sum(both.c[1]), func.sum(both.c[2])).group_by(both.c[0])
    year, month = extract("year", Meeting.held_on), extract("month", Meeting.held_on)
    return (
        select(year, month, func.sum(Meeting.present_count), func.sum(Meeting.marked_count))
        .where(Meeting.held_on.between(first, end), scope.has_group(Meeting.group_id))
        .group_by(year, month)
    )


@dataclass
class Child:
    """One row of the drill-down: a province, commune or group in scope, and its meeting
    figures (indicators.GroupSums: completeness, attendance, behind...)."""

    key: int
    place: object  # Province, Commune or Group
    sums: GroupSums


def children(scope: Scope, period: Period, today: date) -> list[Child]:
    """The next level down (provinces, communes or groups) with their meeting figures:
    two statements (the figures grouped, then the places' names). Their sum is the
    scope's own group figures (total())."""
    if scope.group_id is not None:
        return []
    if scope.commune_code is not None:
        key, model = Group.id, Group
    elif scope.province_code is not None:
        key, model = Group.commune_code, Commune
    else:
        key, model = Group.province_code, Province
    figures = group_sums(scope, period, today, by=key)
    if not figures:
        return []
    pk = model.id if model is Group else model.code
    places = {
        (p.id if model is Group else p.code): p
        for p in db.session.scalars(select(model).where(pk.in_([k for k, _ in figures])))
    }
    out = [Child(k, places[k], sums) for k, sums in figures]
    if model is Group:
        out.sort(key=lambda c: c.place.code)
    else:
        order = {p.code: i for i, p in enumerate(place_order(places.values()))}
        out.sort(key=lambda c: order[c.key])
    return out


def total(kids: list[Child]) -> dict | None:
    """The group figures of the whole scope from its drill-down rows (None without rows,
    so that they are counted)."""
    if not kids:
        return None
    return sum((c.sums for c in kids), GroupSums()).figures()


def weeks_ahead(today: date, weeks: int = 4) -> list[tuple[date, date]]:
    """(Monday, Sunday) of this week and the next ones."""
    monday = today - timedelta(days=today.weekday())
    return [
        (monday + timedelta(weeks=i), monday + timedelta(weeks=i, days=6)) for i in range(weeks)
    ]
