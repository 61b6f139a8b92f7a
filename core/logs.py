"""Logging that keeps personal data out of the logs.

- Exceptions are logged as their type and stack frames, never their message: messages
  carry values (a database error's row, `int()` of a typed name, a driver's DETAIL).
- SQLAlchemy's statement logging writes result rows whatever `hide_parameters` says, so
  it stays off even when TULUC_LOG_LEVEL is DEBUG.
- Werkzeug's request log (`flask demo`, `flask run`) drops query strings: searches put
  names there. gunicorn's access log format is in README (Deploying for real).
"""

import logging
import re
import traceback

from sqlalchemy.exc import DBAPIError

_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def strip_query(text: str) -> str:
    """'GET /members?q=Lan HTTP/1.1' -> 'GET /members HTTP/1.1'."""
    return _QUERY.sub(r"\1", text)


class StripQueryStrings(logging.Filter):
    """Remove query strings from request lines in a logger's records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query(a) if isinstance(a, str) else a for a in record.args)
        return True


def describe(error: BaseException) -> str:
    """An exception as types, SQLSTATE, constraint and stack frames: no message, no values."""
    lines = []
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        name = f"{type(error).__module__}.{type(error).__qualname__}"
        if isinstance(error, DBAPIError) and error.orig is not None:
            orig = error.orig
            diag = getattr(orig, "diag", None)
            name += (
                f" ({type(orig).__qualname__}, sqlstate={getattr(orig, 'sqlstate', None)},"
                f" constraint={getattr(diag, 'constraint_name', None)})"
            )
        lines.append(name)
        lines.extend(
            line.rstrip() for line in traceback.format_tb(error.__traceback__) if line.strip()
        )
        error = error.__cause__ or error.__context__
        if error is not None:
            lines.append("caused by:")
    return "\n".join(lines)


def log_error(logger: logging.Logger, message: str, *args, error: BaseException) -> None:
    """Log an error with what `describe` keeps; use instead of logger.exception."""
    logger.error(message + "\n%s", *args, describe(error))


def configure_logging(level) -> None:
    logging.basicConfig(level=level)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, StripQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(StripQueryStrings())
