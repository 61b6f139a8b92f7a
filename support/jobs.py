"""The closed loop of referrals: an open referral past its expected date becomes a follow-up.

`open_referral_checks` runs daily before the follow-up sweep (core/scheduler.py), and by
hand with `flask scheduler run-job support.referral_checks --today YYYY-MM-DD`. It opens one
FollowUp of kind REFERRAL_CHECK per referral (source_key "referral:<id>", unique), due on
the expected date, and tells the person who made the referral once (a unique notification
key). From then on the existing machinery of livelihoods/jobs.py does the rest: the daily
sweep reminds the facilitators of the member's current group, escalation tells the
province's coordinators after two weeks, and the due lists show it. Recording the referral's
outcome closes the follow-up (support.services.change_status). Both INSERTs skip what
exists, so running it twice, or in two processes at once, adds nothing the second time, and
the first run after a pause catches up."""

import logging
from datetime import date

from sqlalchemy import literal, select

from accounts.models import User
from core.db import db, dialect_insert, inserted, sql_now, sql_text
from inbox import services as notify
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from support.models.referrals import OPEN_STATUSES, Referral

logger = logging.getLogger(__name__)

OPEN = OPEN_STATUSES


def open_referral_checks(today: date) -> dict[str, int]:
    """Open a follow-up for each open referral past its expected date and tell whoever
    made it; once per referral."""
    source = select(
        literal(FollowUpKind.REFERRAL_CHECK.value),
        sql_text("referral:", Referral.id),
        Referral.member_id,
        Referral.referred_on,
        Referral.expected_on,
        literal(FollowUpStatus.SCHEDULED.value),
        sql_now(),
    ).where(
        Referral.status.in_(OPEN),
        Referral.expected_on < today,
        # The provider answered itself (support/services/provider_answers.py): nothing to chase.
        Referral.provider_answered_on.is_(None),
    )
    opened = inserted(
        dialect_insert(FollowUp)
        .from_select(
            ["kind", "source_key", "member_id", "source_on", "due_on", "status", "created_at"],
            source,
        )
        .on_conflict_do_nothing(index_elements=["source_key"])
    )
    told = inserted(
        notify.insert_statement().from_select(
            ["user_id", "key", "kind", "object_id", "created_at"],
            select(
                Referral.referred_by_id,
                sql_text("refcheck:", Referral.id, ":", Referral.referred_by_id),
                literal("referral_overdue"),
                Referral.id,
                sql_now(),
            )
            .join(User, User.id == Referral.referred_by_id)
            .join(FollowUp, FollowUp.source_key == sql_text("referral:", Referral.id))
            .where(
                Referral.status.in_(OPEN),
                Referral.provider_answered_on.is_(None),
                FollowUp.status == FollowUpStatus.SCHEDULED,
                User.active,
            ),
        )
    )
    db.session.commit()
    logger.info("referral checks for %s: %s opened, %s told", today, opened, told)
    return {"referral_checks": opened, "told": told}
