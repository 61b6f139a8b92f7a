"""Scheduled jobs of groups: anonymising members after the retention period."""

import logging
from datetime import date

from flask import current_app

from core.db import db
from core.jobs import claim
from groups.services.anonymise import anonymise_member, list_expired_members

logger = logging.getLogger(__name__)


def anonymise_expired(today: date) -> dict[str, int]:
    """Anonymise members who left their last group more than RETENTION_YEARS ago.

    Idempotent twice over: a day is claimed once, and anonymised members are never
    selected again, so a run on a later day only finds members who expired since.
    """
    if not claim("members.anonymise_expired", today.isoformat()):
        logger.info("anonymisation for %s already ran", today)
        return {"skipped": 1}
    years = int(current_app.config["RETENTION_YEARS"])
    members = db.session.scalars(list_expired_members(today, years)).all()
    for member in members:
        anonymise_member(None, member, on=today, reason="retention")
    return {"anonymised": len(members)}
