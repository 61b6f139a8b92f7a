"""Locale choice and the Babel-backed formatting used by every template."""

from datetime import date, datetime

from babel.dates import format_skeleton, format_time
from flask import current_app, has_request_context, request, session
from flask_babel import Babel, format_currency, format_decimal, get_locale, to_user_timezone
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    """The user's saved choice, then the session's, then the browser's, then Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # jobs and CLI commands speak the default language
        return languages[0]
    saved = getattr(current_user, "locale", None)
    if saved in languages:
        return saved
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or languages[0]


def format_day(value: date | None) -> str:
    """A calendar date the way people write it: 29/11/2026 in Vietnamese."""
    if value is None:
        return ""
    return format_skeleton("yMd", value, locale=get_locale())


def format_moment(value: datetime | None) -> str:
    """A UTC timestamp shown in Asia/Ho_Chi_Minh time."""
    if value is None:
        return ""
    local, locale = to_user_timezone(value), get_locale()
    clock = format_time(local, "HH:mm", locale=locale)
    return f"{clock} {format_skeleton('yMd', local, locale=locale)}"


def format_vnd(amount: int | None) -> str:
    """An integer VND amount: 1.500.000 ₫ in Vietnamese."""
    if amount is None:
        return ""
    return format_currency(amount, "VND")


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(
        day=format_day, moment=format_moment, vnd=format_vnd, number=format_decimal
    )
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
