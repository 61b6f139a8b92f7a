from sqlalchemy import func, select

from core.db import db


def next_code(column, prefix: str, width: int) -> str:
    """The next free code with this prefix: prefix + number, zero-padded to width.

    The last code is the longest, then the greatest: numbers outgrow the width
    (HUE-2026-9999 is followed by HUE-2026-10000). Codes of one prefix are handed out
    one transaction at a time: on SQLite BEGIN IMMEDIATE serialises writers; on
    PostgreSQL a transaction-scoped advisory lock on the prefix makes eight people
    adding members in one province at once wait their turn (each a few milliseconds)
    instead of colliding on the unique index.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(prefix, 0))))
    last = db.session.scalar(
        select(column)
        .where(column.startswith(prefix, autoescape=True))
        .order_by(func.length(column).desc(), column.desc())
        .limit(1)
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:0{width}d}"
