"""The words of the follow-up notices, for the inbox and email, in the reader's language.

inbox.services finds RENDERERS (kind -> words) and BESIDE (kind -> the member shown beside
a notice on the inbox page) here by this module's name, in its NOTICE_MODULES table.
"""

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from core.db import db
from core.i18n import format_day
from groups.models import Member
from livelihoods.models import FollowUp
from livelihoods.services.follow_ups import FOLLOW_UP_NOTICES, member_card

# Words for the inbox and email, in the reader's language. Member codes only, no names,
# amounts or circumstances.


def _render_follow_ups(notifications):
    ids = {n.object_id for n in notifications}
    rows = {
        f.id: (f, code)
        for f, code in db.session.execute(
            select(FollowUp, Member.code)
            .join(Member, Member.id == FollowUp.member_id)
            .where(FollowUp.id.in_(ids))
        ).all()
    }
    out = {}
    for n in notifications:
        follow_up, code = rows[n.object_id]
        day = format_day(follow_up.due_on)
        subject = {
            "due_soon": _("Visit coming up: %(code)s", code=code),
            "due_today": _("Visit due today: %(code)s", code=code),
            "overdue": _("Visit overdue: %(code)s", code=code),
            "escalated": _("Visit overdue for more than two weeks: %(code)s", code=code),
        }[n.kind]
        body = _(
            "%(kind)s: %(code)s, due on %(day)s.", kind=follow_up.kind.label, code=code, day=day
        )
        out[n.id] = (subject, body, ("livelihoods.record_visit", {"follow_up_id": follow_up.id}))
    return out


def _render_digest(notifications):
    out = {}
    for n in notifications:
        d = n.data
        subject = _("Your week in Tự Lực")
        body = " ".join(
            [
                _("In your provinces:"),
                ngettext("%(num)d visit is overdue.", "%(num)d visits are overdue.", d["overdue"]),
                ngettext(
                    "%(num)d group is behind on meetings.",
                    "%(num)d groups are behind on meetings.",
                    d["behind"],
                ),
                ngettext(
                    "%(num)d grant is waiting for a decision.",
                    "%(num)d grants are waiting for a decision.",
                    d["waiting"],
                ),
            ]
        )
        out[n.id] = (subject, body, ("livelihoods.due", {}))
    return out


def _beside_follow_ups(notifications):
    """The member of each visit reminder, for the inbox page (emails keep codes)."""
    ids = {n.object_id for n in notifications}
    follow_ups = {
        f.id: f
        for f in db.session.scalars(
            select(FollowUp).where(FollowUp.id.in_(ids)).options(*member_card(FollowUp.member))
        )
    }
    return {
        n.id: follow_ups[n.object_id].member for n in notifications if n.object_id in follow_ups
    }


RENDERERS = {kind: _render_follow_ups for kind in FOLLOW_UP_NOTICES} | {"digest": _render_digest}
BESIDE = {kind: _beside_follow_ups for kind in FOLLOW_UP_NOTICES}
