"""Running a confirmed import's job (imports.services.import_jobs says what each step
does): claim it, write the pending rows CHUNK at a time, one transaction each, finish.

Where it runs: at once in the request that confirmed it when it has at most
IMPORT_DIRECT_MAX_ROWS rows to write (a second or so), else in a thread of the web
process (IMPORT_JOBS_RUNNER = "thread"; "none" leaves it queued, for a test or the
scheduler's minute job, imports.jobs.resume_interrupted). The same run either way.
"""

import logging
import secrets
import threading
from contextlib import suppress
from itertools import batched

from flask import current_app

from core.db import db
from core.errors import DomainError
from core.logs import log_error
from imports.models import ImportBatch, JobStatus
from imports.services import import_jobs, writes

logger = logging.getLogger(__name__)

CHUNK = 500


def start(batch: ImportBatch, plans: list | None = None) -> str:
    """Run the queued job now if it is small, else in the background; what it became.
    `plans`: those the queue just kept (not read back)."""
    app = current_app._get_current_object()
    if (batch.rows_total or 0) <= app.config.get("IMPORT_DIRECT_MAX_ROWS", 1000):
        return run(batch.id, plans)
    if app.config.get("IMPORT_JOBS_RUNNER", "thread") == "thread":
        threading.Thread(
            target=run_in_app, args=(app, batch.id, plans), name=f"import-{batch.id}", daemon=True
        ).start()
    return "started"


def run_in_app(app, batch_id: int, plans: list | None = None) -> None:
    with app.app_context():
        try:
            run(batch_id, plans)
        except Exception as error:  # the job is marked failed; the thread ends quietly
            log_error(logger, "import job %s failed", batch_id, error=error)
        finally:
            db.session.remove()


def run(batch_id: int, plans: list | None = None) -> str:
    """Claim the queued (or stale) job and write its pending rows; its status at the end.
    A row that cannot be written fails the job (kept "failed", to continue later).
    `plans`: the ones the queue kept, when it runs right after it in this process."""
    runner = secrets.token_hex(16)
    claimed = import_jobs.claim(batch_id, runner)
    db.session.commit()
    if not claimed:
        return "not queued"
    try:
        actor, batch, plans, good, shared = import_jobs.prepare(batch_id, runner, plans)
        for chunk in batched(good, CHUNK):
            writes.write_chunk(actor, batch, chunk, shared)
            import_jobs.beat(batch_id, runner, rows_done=ImportBatch.rows_done + len(chunk))
            db.session.commit()  # one transaction per chunk: its rows, their state, the beat
        import_jobs.finish(actor, batch_id, runner, plans)
        db.session.commit()
        return JobStatus.DONE
    except import_jobs.Lost:
        db.session.rollback()
        return "lost"
    except Exception as error:
        db.session.rollback()
        with suppress(import_jobs.Lost):  # another run took it over meanwhile: its own
            import_jobs.beat(batch_id, runner, job_status=JobStatus.FAILED, job_problem="error")
            db.session.commit()
        if isinstance(error, DomainError):
            logger.warning("import %s stopped: %s", batch_id, error.message)
            return JobStatus.FAILED
        raise
