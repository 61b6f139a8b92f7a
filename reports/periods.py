"""Reporting periods: a month, a quarter, a year or a custom range, and the one before.

A period is read from the query string (`?period=month&on=2026-03-01`, or
`?period=custom&start=…&end=…`), so the picker is a plain GET form that works without
JavaScript and every page of figures has a URL that can be shared or bookmarked.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

KINDS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "year": _l("Year"),
    "custom": _l("From – to"),
}
# A custom range longer than this is refused: figures over decades say nothing and cost much.
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    """The period asked for cannot be read; the message is for the user."""


def _month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @classmethod
    def containing(cls, kind: str, day: date) -> "Period":
        """The month, quarter or year that contains `day`."""
        if kind == "month":
            start = _month_start(day)
            return cls(kind, start, add_months(start, 1) - timedelta(days=1))
        if kind == "quarter":
            start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, start, add_months(start, 3) - timedelta(days=1))
        if kind == "year":
            return cls(kind, date(day.year, 1, 1), date(day.year, 12, 31))
        raise PeriodError(_l("Choose a month, a quarter, a year or a range of days."))

    @classmethod
    def custom(cls, start: date, end: date) -> "Period":
        if end < start:
            raise PeriodError(_l("The end of the period comes before its start."))
        if (end - start).days >= MAX_DAYS:
            raise PeriodError(_l("Choose a period of at most three years."))
        return cls("custom", start, end)

    @property
    def whole_months(self) -> bool:
        """From the first day of a month to the last day of a month."""
        return self.start.day == 1 and (self.end + timedelta(days=1)).day == 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before: the previous month, quarter or
        year (whatever its number of days), or as many days for a custom range."""
        if self.kind == "custom":
            end = self.start - timedelta(days=1)
            return Period("custom", end - timedelta(days=self.days - 1), end)
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> "Period":
        if self.kind == "custom":
            start = self.end + timedelta(days=1)
            return Period("custom", start, start + timedelta(days=self.days - 1))
        return Period.containing(self.kind, self.end + timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches."""
        out, month = [], _month_start(self.start)
        while month <= self.end:
            out.append(month)
            month = add_months(month, 1)
        return out

    @property
    def label(self) -> str:
        if self.kind == "month":
            return format_date(self.start, "MM/yyyy")
        if self.kind == "quarter":
            return _(
                "Quarter %(num)s/%(year)s",
                num=(self.start.month - 1) // 3 + 1,
                year=self.start.year,
            )
        if self.kind == "year":
            return str(self.start.year)
        return _("%(start)s – %(end)s", start=format_date(self.start), end=format_date(self.end))

    def query(self) -> dict[str, str]:
        """The query string that gives this period back (see from_args)."""
        if self.kind == "custom":
            return {
                "period": "custom",
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            }
        return {"period": self.kind, "on": self.start.isoformat()}


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(_l("Enter dates as on a calendar, for example 2026-03-31.")) from None
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise PeriodError(_l("Choose a date between 2000 and 2100."))
    return day


def from_args(args, today: date) -> Period:
    """The period a GET form asks for; this month when nothing is asked."""
    kind = args.get("period") or "month"
    if kind == "custom":
        start, end = _day(args.get("start")), _day(args.get("end"))
        if start is None or end is None:
            raise PeriodError(_l("Enter the first and the last day of the period."))
        return Period.custom(start, end)
    if kind not in KINDS:
        raise PeriodError(_l("Choose a month, a quarter, a year or a range of days."))
    return Period.containing(kind, _day(args.get("on")) or today)
