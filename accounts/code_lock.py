"""A cap on wrong second-factor codes per user, from all addresses together (S3).

Only someone who knows the password reaches the code step, so a cap there cannot be
used by strangers to lock anyone out. The per-address throttles (accounts.throttle)
still apply; this cap is what stops a guesser who has many addresses (an IPv6 /48 is
65,536 of them). When a user has had `cap` wrong authenticator codes in the last day
(since their current secret was confirmed), codes from the app are not checked until
the oldest of them is a day old; a recovery code (64 random bits) still works, and an
administrator can turn two-factor off. The moment the cap is reached the user is told
in their inbox (and by email where it is set up) and the audit log says so.

The count is kept in the audit log (append-only): its `login_failed` events with detail
`two_factor` are the codes from the app that were checked and wrong. A wrong entry while
the step is locked is audited as `recovery_code` (only that was checked), so it does
not extend the lock.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from accounts.models import User
from core import audit
from core.audit import AuditEvent
from core.db import db
from core.i18n import format_moment
from inbox import services as notify

DAY = timedelta(days=1)
CHECKED = "two_factor"  # a code from the app, checked and wrong
UNCHECKED = "recovery_code"  # while locked: only the recovery codes were tried
KIND = "two_factor_locked"


def _recent_wrong_codes(user: User, now: datetime, cap: int) -> list[datetime]:
    since = now - DAY
    if user.totp_confirmed_at is not None:
        since = max(since, user.totp_confirmed_at)
    return list(
        db.session.scalars(
            select(AuditEvent.at)
            .where(
                AuditEvent.object_type == "users",
                AuditEvent.object_id == user.id,
                AuditEvent.action == "login_failed",
                AuditEvent.detail == CHECKED,
                AuditEvent.at >= since,
            )
            .order_by(AuditEvent.at.desc())
            .limit(cap)
        )
    )


def locked_until(user: User, now: datetime, cap: int) -> datetime | None:
    """Until when codes from the app are refused for this user, or None."""
    recent = _recent_wrong_codes(user, now, cap)
    if len(recent) < cap:
        return None
    return min(recent) + DAY


def record_wrong_code(
    user: User, now: datetime, *, cap: int, checked: bool, ip: str | None
) -> datetime | None:
    """Audit a wrong entry at the code step; when it reaches the cap, audit the lock and
    tell the user. Returns until when the step is locked, or None."""
    event = audit.record(
        None, "login_failed", user, detail=CHECKED if checked else UNCHECKED, ip=ip
    )
    event.at = now
    db.session.flush()
    recent = _recent_wrong_codes(user, now, cap + 1)
    if len(recent) < cap:
        return None
    until = min(recent[:cap]) + DAY
    if checked and len(recent) == cap:  # this code reached the cap
        audit.record(None, KIND, user, detail=f"wrong_codes={cap}", ip=ip)
        notify.notify(
            user.id,
            f"{KIND}:{user.id}:{now:%Y%m%d%H%M%S}",
            KIND,
            object_id=user.id,
            data={"until": until.isoformat(), "count": cap},
        )
    return until


def _render(notifications):
    out = {}
    for n in notifications:
        until = datetime.fromisoformat(n.data.get("until")) if n.data.get("until") else None
        subject = _("Sign-in codes locked on your account")
        body = _(
            "Someone entered your password and then %(count)d wrong codes from the "
            "authenticator app. Codes from the app are refused until %(time)s; your "
            "recovery codes still work. If it was not you, change your password now.",
            count=n.data.get("count", 0),
            time=format_moment(until),
        )
        out[n.id] = (subject, body, ("accounts.change_password", {}))
    return out


RENDERERS = {KIND: _render}  # found by inbox.services.NOTICE_MODULES
