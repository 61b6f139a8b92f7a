"""The words of the referral notices, for the inbox and email, in the reader's language.

inbox.services finds RENDERERS (kind -> words) here by this module's name, in its
NOTICE_MODULES table.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db
from core.i18n import format_day
from groups.models import Member
from support.models.referrals import Referral


def _render_overdue(notifications):
    """Neutral words: a member code, a date, nothing about the service or the reason."""
    ids = {n.object_id for n in notifications}
    rows = dict(
        db.session.execute(
            select(Referral.id, Member.code)
            .join(Member, Member.id == Referral.member_id)
            .where(Referral.id.in_(ids))
        ).all()
    )
    expected = dict(
        db.session.execute(
            select(Referral.id, Referral.expected_on).where(Referral.id.in_(ids))
        ).all()
    )
    out = {}
    for n in notifications:
        code = rows.get(n.object_id, "")
        subject = _("Follow-up needed: %(code)s", code=code)
        body = _(
            "A service you arranged for %(code)s was expected by %(day)s and has no outcome "
            "yet. Check with the member and record what happened.",
            code=code,
            day=format_day(expected.get(n.object_id)),
        )
        out[n.id] = (subject, body, ("support.show_referral", {"referral_id": n.object_id}))
    return out


RENDERERS = {"referral_overdue": _render_overdue}
