"""One saved outcome per sent form, however many times it is sent (usability F1, R5).

Every form carries a submission key, drawn when the form is drawn (core.forms.Form). The
write path (core.saving) claims the key inside the transaction that saves the form's
changes; a second sending of the same form (a double tap on a slow link, the back button,
a phone's outbox sending again) finds the key claimed and saves nothing. It is answered
as the first was: sent to the page the first sending led to, with a note that nothing was
saved twice. Two sendings at the same moment meet at the key's primary key: the database
lets one claim it and makes the other wait, then fail.

Keys are kept for KEEP_DAYS, then dropped by the daily job.

A form the phone kept while it had no signal (static/outbox.js) is sent later with the
moment its user pressed save (PRESSED_FIELD, milliseconds since 1970 by the phone's
clock). A record made from it keeps that moment beside the server's (OfflineSave), and
its page says "saved on the phone at …, sent … later". The phone's clock is believed
within bounds only: never later than the server's now, never more than PRESSED_MAX_DAYS
before; a value out of bounds or malformed is ignored, not refused (the record matters
more than its note).
"""

import logging
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import abort, flash, g, has_request_context, redirect, request
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

logger = logging.getLogger(__name__)

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_DAYS = 7
# How long a second sending waits for the first one's answer (it is being written).
WAIT_SECONDS = 3.0

PRESSED_FIELD = "saved_on_phone"
PRESSED = re.compile(r"^[0-9]{1,15}$")
PRESSED_MAX_DAYS = 30
# Sent sooner than this after pressing save: an ordinary save, nothing to note.
NOTED_AFTER = timedelta(minutes=2)

ALREADY_SAVED = _l("This was already saved. Sending it again saved nothing twice.")
NOT_THIS_FORM = _l(
    "This form was sent with a key that belongs to another form. Nothing was saved: "
    "open the form again and enter it."
)
MALFORMED = _l("This form was damaged on the way. Nothing was saved: check it and save again.")


class Submission(db.Model):
    __tablename__ = "submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Where the first sending was sent on (its redirect), for a second one to follow.
    location: Mapped[str | None] = mapped_column(String(500))
    # The form it was sent to: the key answers for that form only.
    path: Mapped[str | None] = mapped_column(String(500))


class OfflineSave(db.Model):
    """A record made from a form kept on a phone: when save was pressed, when it arrived."""

    __tablename__ = "offline_saves"
    __table_args__ = (UniqueConstraint("object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    pressed_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def later(self) -> str:
        """How long after pressing save it arrived, in words ("2 ngày")."""
        return format_timedelta(self.received_at - self.pressed_at, threshold=1)


def new_key() -> str:
    return secrets.token_urlsafe(32)


def malformed_key() -> bool:
    """The request carries a key that is not one this app draws (a forged or cut form)."""
    value = request.form.get("submission") if has_request_context() else None
    return bool(value) and not (isinstance(value, str) and KEY.match(value))


def sent_key() -> str | None:
    """The key the request carries, if it is one (a missing or odd value protects nothing).

    Read from the request, not from a form object: views that confirm an action (submit,
    approve, deactivate) save through core.saving without a form of their own."""
    if not has_request_context() or request.method != "POST":
        return None
    value = request.form.get("submission")
    return value if isinstance(value, str) and KEY.match(value) else None


def pressed_at() -> datetime | None:
    """When the person pressed save on the phone, as the request says, within bounds."""
    if not has_request_context() or request.method != "POST":
        return None
    value = request.form.get(PRESSED_FIELD)
    if not isinstance(value, str) or not PRESSED.match(value):
        return None
    now = utcnow()
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if moment < now - timedelta(days=PRESSED_MAX_DAYS):
        return None
    return min(moment, now)  # a phone's clock running ahead never dates a save later


def note_created(obj) -> None:
    """Keep when save was pressed for a record made from a form sent later (audit.record)."""
    moment = pressed_at()
    object_id = getattr(obj, "id", None)
    if moment is None or object_id is None or utcnow() - moment < NOTED_AFTER:
        return
    db.session.add(
        OfflineSave(object_type=obj.__tablename__, object_id=object_id, pressed_at=moment)
    )


def offline_save(obj) -> OfflineSave | None:
    """The note of a record made from a form kept on a phone, if it was (template global)."""
    return db.session.scalar(
        select(OfflineSave).where(
            OfflineSave.object_type == obj.__tablename__, OfflineSave.object_id == obj.id
        )
    )


def offline_saves(objs) -> dict[int, OfflineSave]:
    """The notes of several records of one kind, by id, in one query (template global)."""
    objs = list(objs)
    if not objs:
        return {}
    rows = db.session.scalars(
        select(OfflineSave).where(
            OfflineSave.object_type == objs[0].__tablename__,
            OfflineSave.object_id.in_([obj.id for obj in objs]),
        )
    )
    return {row.object_id: row for row in rows}


def claimed(key: str) -> bool:
    """A sending with this key was saved already."""
    return db.session.get(Submission, key) is not None


def claim(key: str) -> bool:
    """Claim the key in the current transaction; False if a sending already has it."""
    user_id = current_user.id if current_user.is_authenticated else None
    try:
        with db.session.begin_nested():
            db.session.add(Submission(key=key, user_id=user_id, path=request.path[:500]))
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
        if first is not None and (
            first.user_id != user_id or (first.path and first.path != request.path)
        ):
            # Another person's key, or this person's key for another form (another
            # group's): refused, and nothing said of where it led.
            db.session.rollback()
            abort(409, description=str(NOT_THIS_FORM))
        if first is None:
            break
        if first.location or time.monotonic() > deadline:
            break
        db.session.rollback()  # see the first sending's answer once it is written
        time.sleep(0.1)
    location = first.location if first is not None and first.user_id == user_id else None
    db.session.rollback()
    flash(str(ALREADY_SAVED), "success")
    abort(redirect(location or request.path, 303))


def answer_sent_again():
    """before_request: a form saved before and sent again is answered as then, before the
    view's own checks: a phone resending after a lost answer, once the group was closed or
    the person lost it meanwhile, hears that it was saved, not that it is not allowed."""
    key = sent_key()
    if key is None or not current_user.is_authenticated:
        return  # logins and public forms: core.saving answers them
    if db.session.get(Submission, key) is not None:
        answer_again(key)


def remember_answer(response):
    """After a saved form, note where it led (after_request)."""
    key = g.pop("submission_key", None)
    if key and response.status_code in (301, 302, 303) and response.location:
        try:
            db.session.execute(
                update(Submission)
                .where(Submission.key == key)
                .values(location=response.location[:500])
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
