"""Email of notifications to the address on each user's account, where SMTP is configured
(run by the scheduler process). It lives with the accounts, which hold the addresses and
languages: the inbox sits below every feature and imports none of them."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from accounts.models import User
from core.db import db, utcnow
from inbox.models import Notification
from inbox.services import render

logger = logging.getLogger(__name__)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_pending_email(limit: int = 500) -> int:
    """Email notifications not yet emailed to active users with an address.

    Each is claimed (emailed_at set where it was empty, committed) before it is sent,
    so two processes never send the same one; a failed send is not retried.
    """
    if not smtp_configured():
        return 0

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
