"""Scheduled jobs of imports: raw rows with personal data do not stay."""

import logging
from datetime import date

from core.jobs import claim
from imports import job_runner
from imports.services import import_jobs
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


def resume_interrupted(today: date) -> dict[str, int]:
    """Go on with the imports whose job waits or whose process stopped (a restart): each
    run writes only the rows still pending (every minute; a job another run holds and
    beats is left to it)."""
    results: dict[str, int] = {}
    for batch_id in import_jobs.interrupted(today):
        try:
            status = job_runner.run(batch_id)
        except Exception:  # failed and said on its page; the others still run
            logger.exception("import job %s failed", batch_id)
            status = "failed"
        results[status] = results.get(status, 0) + 1
    return results
