"""One saved outcome per sent form, however many times it is sent (usability F1, R5).

Every form carries a submission key, drawn when the form is drawn (core.forms.Form). The
write path (core.saving) claims the key inside the transaction that saves the form's
changes; a second sending of the same form (a double tap on a slow link, the back button,
a phone's outbox sending again) finds the key claimed and saves nothing. It is answered
as the first was: sent to the page the first sending led to, with a note that nothing was
saved twice. Two sendings at the same moment meet at the key's primary key: the database
lets one claim it and makes the other wait, then fail.

Keys are kept for KEEP_DAYS, then dropped by the daily job.
"""

import logging
import re
import secrets
import time
from datetime import datetime, timedelta

from flask import abort, flash, g, has_request_context, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, String, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

logger = logging.getLogger(__name__)

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_DAYS = 7
# How long a second sending waits for the first one's answer (it is being written).
WAIT_SECONDS = 3.0

ALREADY_SAVED = _l("This was already saved. Sending it again saved nothing twice.")


class Submission(db.Model):
    __tablename__ = "submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Where the first sending was sent on (its redirect), for a second one to follow.
    location: Mapped[str | None] = mapped_column(String(500))


def new_key() -> str:
    return secrets.token_urlsafe(32)


def sent_key() -> str | None:
    """The key the request carries, if it is one (a missing or odd value protects nothing).

    Read from the request, not from a form object: views that confirm an action (submit,
    approve, deactivate) save through core.saving without a form of their own."""
    if not has_request_context() or request.method != "POST":
        return None
    value = request.form.get("submission")
    return value if isinstance(value, str) and KEY.match(value) else None


def claimed(key: str) -> bool:
    """A sending with this key was saved already."""
    return db.session.get(Submission, key) is not None


def claim(key: str) -> bool:
    """Claim the key in the current transaction; False if a sending already has it."""
    user_id = current_user.id if current_user.is_authenticated else None
    try:
        with db.session.begin_nested():
            db.session.add(Submission(key=key, user_id=user_id))
    except IntegrityError:
        return False
    g.submission_key = key
    return True


def answer_again(key: str):
    """Answer a second sending as the first was answered; never returns."""
    db.session.rollback()
    user_id = current_user.id if current_user.is_authenticated else None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        first = db.session.get(Submission, key)
        if first is None or first.user_id != user_id:
            break  # not this user's key: say nothing of where it led
        if first.location or time.monotonic() > deadline:
            break
        db.session.rollback()  # see the first sending's answer once it is written
        time.sleep(0.1)
    location = first.location if first is not None and first.user_id == user_id else None
    db.session.rollback()
    flash(str(ALREADY_SAVED), "success")
    abort(redirect(location or request.path, 303))


def remember_answer(response):
    """After a saved form, note where it led (after_request)."""
    key = g.pop("submission_key", None)
    if key and response.status_code in (301, 302, 303) and response.location:
        try:
            db.session.execute(
                update(Submission).where(Submission.key == key).values(
                    location=response.location[:500]
                )
            )
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.warning("could not note where a saved form led", exc_info=True)
    return response


def forget_old(today=None) -> dict:
    """Daily: drop keys older than KEEP_DAYS."""
    cutoff = utcnow() - timedelta(days=KEEP_DAYS)
    result = db.session.execute(delete(Submission).where(Submission.created_at < cutoff))
    return {"forgotten": result.rowcount}

