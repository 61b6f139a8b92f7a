"""The in-app inbox, and email where SMTP is configured.

A notification stores what happened (kind, the object, a small payload), not text: it is
put into words when read, in the reader's language. Its key (e.g. "fu:42:today:7") is
unique, so jobs that run twice or in two processes notify once.

Texts must stay neutral: they may be read on a shared phone or in a family inbox.
"""

import json
import logging
import smtplib
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import ForeignKey, String, Text, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, dialect_insert, inserted, utcnow

logger = logging.getLogger(__name__)


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    payload: Mapped[str | None] = mapped_column(Text)  # JSON, for summaries
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    @property
    def data(self) -> dict:
        return json.loads(self.payload) if self.payload else {}


# kind -> function(notifications) -> {notification id: (subject, body, link)}, where link
# is (endpoint, values) for url_for, so texts can be made outside a request (email).
# Features register theirs. Rendering takes a list so a page of the inbox costs a fixed
# number of queries.
Link = tuple[str, dict] | None
Renderer = Callable[[list[Notification]], dict[int, tuple[str, str, Link]]]
RENDERERS: dict[str, Renderer] = {}


def render(notifications: list[Notification]) -> dict[int, tuple[str, str, Link]]:
    """Subject, body and link of each notification, in the current locale."""
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


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_pending_email(limit: int = 500) -> int:
    """Email notifications not yet emailed to active users with an address.

    Each is claimed (emailed_at set where it was empty, committed) before it is sent,
    so two processes never send the same one; a failed send is not retried.
    """
    if not smtp_configured():
        return 0
    from accounts.models import User  # noqa: PLC0415 - accounts depends on core, not back

    c = current_app.config
    pending = db.session.execute(
        select(Notification, User.email, User.locale)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None), User.active)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    messages = []
    for notification, email, locale in pending:
        with force_locale(locale or c["BABEL_DEFAULT_LOCALE"]):
            subject, body, _link = render([notification])[notification.id]
        messages.append((notification.id, email, subject, body))
    db.session.commit()
    sent = 0
    with smtplib.SMTP(c["SMTP_HOST"], int(c.get("SMTP_PORT", 25)), timeout=30) as smtp:
        if c.get("SMTP_STARTTLS"):
            smtp.starttls()
        if c.get("SMTP_USERNAME"):
            smtp.login(c["SMTP_USERNAME"], c["SMTP_PASSWORD"])
        for notification_id, email, subject, body in messages:
            claimed = db.session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.emailed_at.is_(None))
                .values(emailed_at=utcnow())
            ).rowcount
            db.session.commit()
            if not claimed:
                continue
            message = EmailMessage()
            message["From"] = c.get("MAIL_FROM", "tuluc@localhost")
            message["To"] = email
            message["Subject"] = subject
            message.set_content(body)
            smtp.send_message(message)
            sent += 1
    logger.info("emailed %d notifications", sent)
    return sent
