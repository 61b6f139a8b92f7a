"""The words of the referral notices, for the inbox and email, in the reader's language.

inbox.services finds RENDERERS (kind -> words) here by this module's name, in its
NOTICE_MODULES table. Neutral words only: the member's code, a date, a status; never the
service, the reason or what anybody wrote.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db
from core.i18n import format_day
from groups.models import Member
from support.models.referrals import Referral, ReferralStatus


def _codes(notifications) -> dict:
    """The member code of each notice's referral."""
    ids = {n.object_id for n in notifications}
    return dict(
        db.session.execute(
            select(Referral.id, Member.code)
            .join(Member, Member.id == Referral.member_id)
            .where(Referral.id.in_(ids))
        ).all()
    )


def _link(n) -> tuple:
    return ("support.show_referral", {"referral_id": n.object_id})


def _render_overdue(notifications):
    """A service arranged and not yet answered by the day it was expected."""
    codes = _codes(notifications)
    expected = dict(
        db.session.execute(
            select(Referral.id, Referral.expected_on).where(
                Referral.id.in_({n.object_id for n in notifications})
            )
        ).all()
    )
    out = {}
    for n in notifications:
        code = codes.get(n.object_id, "")
        subject = _("Follow-up needed: %(code)s", code=code)
        body = _(
            "A service you arranged for %(code)s was expected by %(day)s and has no outcome "
            "yet. Check with the member and record what happened.",
            code=code,
            day=format_day(expected.get(n.object_id)),
        )
        out[n.id] = (subject, body, _link(n))
    return out


def _render_answered(notifications):
    """What the provider recorded and when."""
    codes = _codes(notifications)
    out = {}
    for n in notifications:
        code = codes.get(n.object_id, "")
        status = n.data.get("status")
        label = ReferralStatus(status).label if status else ""
        day = date.fromisoformat(n.data["on"]) if n.data.get("on") else None
        subject = _("The provider answered: %(code)s", code=code)
        body = _(
            "The provider recorded “%(status)s” on %(day)s for %(code)s.",
            status=label,
            day=format_day(day),
            code=code,
        )
        out[n.id] = (subject, body, _link(n))
    return out


def _render_message(notifications):
    """That the provider wrote on the thread (never what)."""
    codes = _codes(notifications)
    out = {}
    for n in notifications:
        code = codes.get(n.object_id, "")
        subject = _("A message from the provider: %(code)s", code=code)
        body = _(
            "The provider wrote on the referral of %(code)s. Open it to read and answer.", code=code
        )
        out[n.id] = (subject, body, _link(n))
    return out


# The kinds are named where the notices are written (support.jobs, support.services).
RENDERERS = {
    "referral_overdue": _render_overdue,
    "referral_answered": _render_answered,
    "referral_message": _render_message,
}
