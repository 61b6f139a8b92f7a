"""The in-app inbox: adding a notification, putting it into words, counting the unread.

A notification stores what happened, not text (inbox.models): each feature says how its
kinds are put into words (RENDERERS) and what the inbox page shows beside them (BESIDE) in
a notices module named in NOTICE_MODULES, found by name when first needed, as
core/scheduler.py finds jobs: nothing imports a feature's jobs for their side effects.
Texts must stay neutral: they may be read on a shared phone or in a family inbox.
"""

import json
from collections.abc import Callable
from importlib import import_module

from sqlalchemy import func, select

from core.db import db, dialect_insert, inserted, utcnow
from inbox.models import Notification

# kind -> function(notifications) -> {notification id: (subject, body, link)}, where link
# is (endpoint, values) for url_for, so texts can be made outside a request (email).
# Features register theirs. Rendering takes a list so a page of the inbox costs a fixed
# number of queries.
Link = tuple[str, dict] | None
Renderer = Callable[[list[Notification]], dict[int, tuple[str, str, Link]]]
RENDERERS: dict[str, Renderer] = {}  # filled from NOTICE_MODULES; support/providers.py adds its own

# The modules that put notices into words: each holds RENDERERS and may hold BESIDE, by kind.
NOTICE_MODULES = ("livelihoods.notices", "support.notices", "plans.notices", "accounts.code_lock")
_loaded: list[str] = []


def _load_notices() -> None:
    """Read NOTICE_MODULES once (importing a module twice costs nothing; filling twice does)."""
    if _loaded == list(NOTICE_MODULES):
        return
    for name in NOTICE_MODULES:
        module = import_module(name)
        RENDERERS.update(module.RENDERERS)
        BESIDE.update(getattr(module, "BESIDE", {}))
    _loaded[:] = NOTICE_MODULES


def render(notifications: list[Notification]) -> dict[int, tuple[str, str, Link]]:
    """Subject, body and link of each notification, in the current locale."""
    _load_notices()
    by_kind: dict[str, list[Notification]] = {}
    for n in notifications:
        by_kind.setdefault(n.kind, []).append(n)
    texts = {}
    for kind, items in by_kind.items():
        texts.update(RENDERERS[kind](items))
    return texts


def insert_statement():
    """INSERT … ON CONFLICT (key) DO NOTHING, for SQLite and PostgreSQL alike."""
    return dialect_insert(Notification).on_conflict_do_nothing(index_elements=["key"])


def notify(
    user_id: int, key: str, kind: str, *, object_id: int | None = None, data: dict | None = None
) -> bool:
    """Add one notification unless its key exists; True if it was added."""
    stmt = insert_statement().values(
        user_id=user_id,
        key=key[:120],
        kind=kind,
        object_id=object_id,
        payload=json.dumps(data) if data else None,
        created_at=utcnow(),
    )
    return inserted(stmt) == 1


def count_unread(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


# kind -> function(notifications) -> {notification id: member}: who a notice is about,
# shown beside it on the inbox page only (emails keep codes). Filled from NOTICE_MODULES;
# a page calls each function once, so it costs a fixed number of queries.
Beside = Callable[[list[Notification]], dict[int, object]]
BESIDE: dict[str, Beside] = {}


def beside(notifications: list[Notification]) -> dict[int, object]:
    """The member shown beside each notification that has one (one call per function)."""
    _load_notices()
    by_function: dict[Beside, list[Notification]] = {}
    for n in notifications:
        if n.kind in BESIDE:
            by_function.setdefault(BESIDE[n.kind], []).append(n)
    found = {}
    for function, items in by_function.items():
        found.update(function(items))
    return found
