from sqlalchemy import func, select

from core.db import db


def next_code(column, prefix: str, width: int) -> str:
    """The next free code with this prefix: prefix + number, zero-padded to width.

    The last code is the longest, then the greatest: numbers outgrow the width
    (HUE-2026-9999 is followed by HUE-2026-10000). On SQLite writers are serialised by
    BEGIN IMMEDIATE; on PostgreSQL a concurrent twin fails on the unique index.
    """
    last = db.session.scalar(
        select(column)
        .where(column.startswith(prefix, autoescape=True))
        .order_by(func.length(column).desc(), column.desc())
        .limit(1)
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:0{width}d}"
