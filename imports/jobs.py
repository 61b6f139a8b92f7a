"""Scheduled jobs of imports: raw rows with personal data do not stay."""

import logging
from datetime import date

from core.jobs import claim
from imports.services.batches import purge_raw_rows

logger = logging.getLogger(__name__)


def purge_expired_rows(today: date) -> dict[str, int]:
    """Delete the raw rows of files never imported within 7 days.

    Idempotent: a day is claimed once, and an expired batch is never selected again.
    """
    if not claim("imports.purge_raw_rows", today.isoformat()):
        logger.info("raw rows purge for %s already ran", today)
        return {"skipped": 1}
    return {"expired": purge_raw_rows(today)}
