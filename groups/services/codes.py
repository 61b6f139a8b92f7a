from sqlalchemy import func, select

from core.db import db


def next_code(column, prefix: str, width: int) -> str:
    """The next free code with this prefix: prefix + zero-padded number.

    Codes of one prefix are compared as strings of equal length, so max() is the last.
    A concurrent insert of the same code fails on the unique index and the request
    is retried by the user; on SQLite writers are serialised by BEGIN IMMEDIATE.
    """
    last = db.session.scalar(
        select(func.max(column)).where(
            column.like(prefix + "%"), func.length(column) == len(prefix) + width
        )
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:0{width}d}"
