"""What the member page (groups) lists of livelihoods: a member's grants and visits. The
views put them in every template's context (livelihoods.views.grant_pages.grant_helpers)."""

from sqlalchemy import select

from core.db import db
from groups.models import Member
from livelihoods.models import Grant
from livelihoods.services import follow_ups


def grants_of(member: Member) -> list[Grant]:
    return list(
        db.session.scalars(
            select(Grant).where(Grant.member_id == member.id).order_by(Grant.created_at.desc())
        )
    )


def visits_of(member: Member) -> list:
    return list(db.session.scalars(follow_ups.list_visits(member_id=member.id, limit=20)))
