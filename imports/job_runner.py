"""Where a confirmed import runs (imports.services.import_jobs): at once in the request
that confirmed it when it has at most IMPORT_DIRECT_MAX_ROWS rows to write (a second or
so), else in a thread of the web process (IMPORT_JOBS_RUNNER = "thread"; "none" leaves
it queued, for a test or the scheduler's minute job). The same run either way."""

import logging
import threading

from flask import current_app

from core.db import db
from core.logs import log_error
from imports.models import ImportBatch
from imports.services import import_jobs

logger = logging.getLogger(__name__)


def start(batch: ImportBatch) -> str:
    """Run the queued job now if it is small, else in the background; what it became."""
    app = current_app._get_current_object()
    if (batch.rows_total or 0) <= app.config.get("IMPORT_DIRECT_MAX_ROWS", 1000):
        return import_jobs.run(batch.id)
    if app.config.get("IMPORT_JOBS_RUNNER", "thread") == "thread":
        threading.Thread(
            target=run_in_app, args=(app, batch.id), name=f"import-{batch.id}", daemon=True
        ).start()
    return "started"


def run_in_app(app, batch_id: int) -> None:
    with app.app_context():
        try:
            import_jobs.run(batch_id)
        except Exception as error:  # the job is marked failed; the thread ends quietly
            log_error(logger, "import job %s failed", batch_id, error=error)
        finally:
            db.session.remove()
