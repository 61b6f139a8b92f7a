"""Dates from people and URLs: one window for every date field, and periods of bounded size.

A date before the programme began (PROGRAMME_START_YEAR) or far in the future is a typing
mistake; accepted, it would schedule visits in year 1 and send reminders for them.
"""

import re
from datetime import date, timedelta

from flask import abort, current_app, g, has_app_context, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField

from core.clock import today
from core.errors import DomainError
from core.i18n import format_day

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
PLAN_DAYS = 366  # how far ahead a planned date may be


def first_day() -> date:
    """The earliest date the programme's records can carry."""
    return date(current_app.config["PROGRAMME_START_YEAR"], 1, 1)


def parse_day(value) -> date | None:
    """A date written year-month-day in ASCII digits, or None."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        return None
    year, month, day = (int(part) for part in value.strip().split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return None


class Day:
    """A date put into words when its message is read, in the reader's language: services
    raise `_l("… %(day)s …", day=Day(paid_on))` and the date shows 05/12/2026 or 5 Dec 2026."""

    __slots__ = ("value",)

    def __init__(self, value: date):
        self.value = value

    def __str__(self) -> str:
        return format_day(self.value) if has_app_context() else self.value.isoformat()


def check_day(day: date, today: date, field: str | None = None, *, ahead_days: int = 0) -> None:
    """Refuse a day before the programme began, or after today (or `ahead_days` after it).

    Services call it, so the import, the CLI and jobs keep the window forms keep."""
    first = first_day()
    if day < first:
        raise DomainError(
            _l(
                "%(day)s is before the programme began (%(first)s).",
                day=Day(day),
                first=Day(first),
            ),
            field,
        )
    if day > today + timedelta(days=ahead_days):
        raise DomainError(
            _l("%(day)s is in the future: today is %(today)s.", day=Day(day), today=Day(today))
            if ahead_days == 0
            else _l(
                "%(day)s is too far ahead: the latest possible day is %(last)s.",
                day=Day(day),
                last=Day(today + timedelta(days=ahead_days)),
            ),
            field,
        )


class _TwoDays(dict):
    """The words of a refusal naming two dates: %(day)s, and the earlier one by any other
    name (%(joined)s, %(paid)s…), so each message keeps the name its translators know."""

    def __init__(self, day: date, earlier: date):
        super().__init__(day=Day(day))
        self.earlier = Day(earlier)

    def __missing__(self, key):
        return self.earlier


def not_before(day: date, earlier: date | None, message: LazyString, field: str | None = None):
    """Refuse `day` before `earlier` (nothing to compare when `earlier` is None).

    `message` is `_l("The date (%(day)s) is before … (%(joined)s).")` without arguments:
    the first placeholder is `day`, any other is `earlier`; both are put into words when
    the message is read."""
    if earlier is not None and day < earlier:
        raise DomainError(LazyString(lambda: str(message) % _TwoDays(day, earlier)), field)


class DayField(DateField):
    """A date between the programme's start and today (or `ahead_days` after today).

    Out of the window it gets exactly one message, which says the limit.
    """

    def __init__(self, label=None, validators=None, *, ahead_days: int = 0, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.ahead_days = ahead_days

    def process_formdata(self, valuelist):
        if not valuelist or not "".join(valuelist).strip():
            # Blank or spaces only is no date at all: InputRequired must see it missing
            # (it reads raw_data), or a required day would reach the service as None.
            self.data, self.raw_data = None, []
            return
        self.data = parse_day(valuelist[0]) if len(valuelist) == 1 else None
        if self.data is None:
            raise ValueError(self.gettext("Not a valid date value."))

    def post_validate(self, form, validation_stopped):
        if validation_stopped or self.errors or self.data is None:
            return
        first, last = first_day(), today() + timedelta(days=self.ahead_days)
        if self.data < first:
            self.errors.append(_("The date cannot be before %(day)s.", day=format_day(first)))
        elif self.data > last:
            self.errors.append(
                _("The date cannot be in the future.")
                if self.ahead_days == 0
                else _("The date cannot be after %(day)s.", day=format_day(last))
            )


def period_args(default_days: int = 90, *, on_page: bool = False) -> tuple[date, date]:
    """The period of ?from=&to= (by default the last 90 days), clamped to a window.

    Malformed dates or a start after the end answer 400 — or, `on_page` (a page that
    shows its period form), give the default period and put the message in
    `g.period_error` for the page to show beside its fields (usability B9): a full-page
    400 left no way back to them. The period is then kept between the programme's start
    and a year ahead, and to at most MAX_PERIOD_DAYS (ending on `to`): a range such as
    0001-01-01..9999-12-31 costs no more than that.
    """
    end = today()
    start = end - timedelta(days=default_days - 1)
    default = (start, end)
    problem = None
    for name in ("from", "to"):
        raw = request.args.get(name, "")
        if raw and parse_day(raw) is None:
            problem = _("Enter dates as year-month-day, for example 2026-11-29.")
    if problem is None:
        start = parse_day(request.args.get("from", "")) or start
        end = parse_day(request.args.get("to", "")) or end
        if start > end:
            problem = _("The start of the period is after its end.")
    if problem is not None:
        if not on_page:
            abort(400, description=problem)
        g.period_error = problem
        start, end = default
    end = max(min(end, today() + timedelta(days=PLAN_DAYS)), first_day())
    start = max(start, first_day(), end - timedelta(days=current_app.config["MAX_PERIOD_DAYS"]))
    return min(start, end), end
