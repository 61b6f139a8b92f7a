"""Locale choice and the Babel-backed formatting used by every template."""

from datetime import date, datetime

from babel.dates import format_date, format_time
from flask import current_app, g, has_app_context, has_request_context, session
from flask_babel import (
    Babel,
    format_currency,
    format_decimal,
    get_locale,
    get_translations,
    to_user_timezone,
)
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    """The user's saved choice, then the session's, then Vietnamese.

    The browser's Accept-Language is ignored on purpose: many phones here are set to
    English, and the people using them still read Vietnamese best. English is shown
    only to someone who chose it.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # jobs and CLI commands speak the default language
        return languages[0]
    saved = getattr(current_user, "locale", None)
    if saved in languages:
        return saved
    if session.get("locale") in languages:
        return session["locale"]
    return languages[0]


# Day first in every language, with two-digit days and months in Vietnamese as on paper
# forms (05/12/2026), and the month's name in English so that no one reads it US-style.
# Babel's own vi formats (d/M/y, d/M/yy) are not what people write here.
DATE_PATTERNS = {"vi": "dd/MM/y", "en": "d MMM y"}
WEEKDAY_PATTERNS = {"vi": "EEEE, dd/MM/y", "en": "EEEE d MMM y"}
# A date known only to its month or year (an imported register's "05/2023", "2019").
MONTH_PATTERNS = {"vi": "MM/y", "en": "MMM y"}


def _pattern(patterns: dict[str, str]) -> tuple[str, object]:
    locale = get_locale()
    return patterns.get(locale.language, patterns["vi"]), locale


def format_day(value: date | None, precision: str | None = None) -> str:
    """A calendar date the way people write it: 05/12/2026 in Vietnamese, 5 Dec 2026.
    A timestamp (UTC) gives its day in Viet Nam, not in UTC. With a precision ("year",
    "month": groups.models.DatePrecision), only what is known: ~2019, ~05/2023."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    if precision == "year":
        return f"~{value.year}"
    if precision == "month":
        pattern, locale = _pattern(MONTH_PATTERNS)
        return "~" + format_date(value, pattern, locale=locale)
    pattern, locale = _pattern(DATE_PATTERNS)
    return format_date(value, pattern, locale=locale)


def format_weekday(value: date | None) -> str:
    """A date with its weekday: Thứ Bảy, 05/12/2026; Saturday 5 Dec 2026."""
    if value is None:
        return ""
    pattern, locale = _pattern(WEEKDAY_PATTERNS)
    return format_date(value, pattern, locale=locale)


def format_moment(value: datetime | None) -> str:
    """A UTC timestamp shown in Asia/Ho_Chi_Minh time: 08:30, 29/11/2026."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    pattern, locale = _pattern(DATE_PATTERNS)
    clock = format_time(local, "HH:mm", locale=locale)
    return f"{clock}, {format_date(local.date(), pattern, locale=locale)}"


def format_vnd(amount: int | None) -> str:
    """An integer VND amount: 1.500.000 ₫ in Vietnamese."""
    if amount is None:
        return ""
    return format_currency(amount, "VND")


def pgettext_noop(context: str, text: str) -> str:
    """Marks `text` as a catalog message in `context` (`make extract` finds it) and returns
    it untranslated: for text kept as data and translated where it is shown."""
    return text


def format_fixed(value: float | None, digits: int = 2, sign: bool = False) -> str:
    """A decimal with a fixed number of digits in the user's language: 0,47 in Vietnamese,
    0.47 in English; with sign=True a change reads +0,10 or -0,05. Never printf or str():
    those write a decimal point, which Vietnamese reads as a thousands separator."""
    if value is None:
        return ""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    if sign:
        pattern = f"+{pattern};-{pattern}"
    return format_decimal(value, format=pattern)


def catalog():
    """The request's translations, found once per request and locale.

    Flask-Babel looks them up again for every string a template translates (about ten
    context lookups and the locale's name built anew each time: a third of the time a
    progress page spends rendering). Kept on `g` beside the locale they are for, so a
    locale forced for part of a request (flask_babel.force_locale) is still obeyed."""
    if not has_app_context():
        return get_translations()
    babel_state = g.get("_flask_babel")  # where Flask-Babel keeps the request's locale
    locale = getattr(babel_state, "babel_locale", None)
    kept = g.get("tuluc_catalog")
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g.tuluc_catalog = (get_locale(), translations)
    return translations


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # The same callables as Flask-Babel's, reading catalog(): what each string becomes
    # does not change, only how often the translations are looked up.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(
        day=format_day,
        weekday=format_weekday,
        moment=format_moment,
        vnd=format_vnd,
        number=format_decimal,
        fixed=format_fixed,
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
