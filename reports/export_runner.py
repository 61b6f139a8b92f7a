"""Running an export job: in a thread of the web process (launch), on its own reading
connection, with a heartbeat so a job whose process died is found stale and resumed
(resume_stale, the scheduler's job every few minutes) or, past its attempts, failed."""

import logging
import os
import secrets
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import create_engine, event, update
from sqlalchemy.pool import NullPool

from accounts.models import User
from core.clock import today
from core.db import db, utcnow
from reports import export_catalog
from reports import export_tables as tables
from reports.export_jobs import (
    BEAT_SECONDS,
    DONE,
    FAILED,
    FILE_MODE,
    QUEUED,
    RUNNING,
    ExportJob,
    export_dir,
    part_path,
    recover_stale,
    remove_files,
)
from reports.exports import write_table

logger = logging.getLogger(__name__)


def launch(app, job_id: int) -> None:
    """Start the queued job in the background, as EXPORT_JOBS_RUNNER says ("thread": in
    this process; "none": left queued, for a test or a command to run)."""
    if app.config.get("EXPORT_JOBS_RUNNER", "thread") != "thread":
        return
    threading.Thread(
        target=run_in_app, args=(app, job_id), name=f"export-job-{job_id}", daemon=True
    ).start()


def run_in_app(app, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        except Exception as error:  # the job is marked failed; the thread ends quietly
            from core.logs import log_error

            log_error(logger, "export job %s failed", job_id, error=error)
        finally:
            db.session.remove()


def resume_stale(today=None) -> dict:  # noqa: ARG001 - the scheduler's signature
    """The scheduler's job: queue again the jobs whose process died and write them here,
    one after the other (this process is the worker that outlives web restarts)."""
    resumed, failed = recover_stale()
    db.session.commit()
    done = [run_job(job_id) for job_id in resumed]
    return {"resumed": len(resumed), "done": done.count(DONE), "failed_stale": failed}


class Lost(Exception):
    """The job is no longer this run's (cancelled, or resumed elsewhere as stale): stop
    writing."""


def _set(job_id: int, runner: str, **values) -> None:
    """Write values on the job if this run still holds it, in a transaction of its own."""
    result = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.runner == runner, ExportJob.status == RUNNING)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if result.rowcount != 1:
        raise Lost(job_id)


@contextmanager
def reading_connection():
    """A connection of its own for the job's long read (see export_tables.reader).

    On SQLite: a second engine without BEGIN IMMEDIATE, in autocommit, so each SELECT
    reads its own snapshot of the WAL and holds no lock that writers wait for."""
    engine = db.engine
    own = None
    if engine.dialect.name == "sqlite":
        own = create_engine(engine.url, poolclass=NullPool)

        @event.listens_for(own, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA busy_timeout = 60000")

        engine = own
    try:
        with engine.connect() as connection:
            token = tables.reader.set(connection)
            try:
                yield connection
            finally:
                tables.reader.reset(token)
    finally:
        if own is not None:
            own.dispose()


def run_job(job_id: int) -> str:
    """Claim the queued job and write its file; return its status at the end."""
    runner = secrets.token_hex(16)
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return "not queued"
    # The file's name is the job's from the claim on: a run that dies leaves a part file
    # that recover_stale or a cancel can find and remove.
    token = secrets.token_urlsafe(32) + "." + job.format
    claimed = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == QUEUED)
        .values(
            status=RUNNING,
            runner=runner,
            beat_at=utcnow(),
            file_token=token,
            attempts=ExportJob.attempts + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return "not queued"
    db.session.refresh(job)
    user = db.session.get(User, job.user_id)
    path = export_dir() / token
    partial = part_path(token)
    try:
        with reading_connection():
            table = export_catalog.table_for(
                user,
                job.table,
                group_id=job.group_id,
                province_code=job.province_code,
                start=job.start_on,
                end=job.end_on,
                today=today(),
            )
            _set(job_id, runner, rows_total=tables.count_rows(table.stmt), beat_at=utcnow())
            rows = _beating(table.rows, job_id, runner)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(descriptor, "wb") as out:
                count = write_table(job.format, table.columns, rows, out, sheet=table.title)
                size = out.tell()
        partial.rename(path)
        keep = timedelta(days=current_app.config.get("EXPORT_KEEP_DAYS", 7))
        now = utcnow()
        _set(
            job_id,
            runner,
            status=DONE,
            rows_done=count,
            rows_total=count,
            size=size,
            finished_at=now,
            expires_at=now + keep,
            beat_at=now,
        )
        return DONE
    except Lost:
        remove_files(token)
        return "lost"
    except BaseException:
        db.session.rollback()
        remove_files(token)
        try:
            _set(
                job_id,
                runner,
                status=FAILED,
                problem="error",
                finished_at=utcnow(),
                file_token=None,
            )
        except Lost:  # cancelled meanwhile (its part file removed under the writer)
            return "lost"
        raise


def _beating(rows, job_id: int, runner: str):
    """The rows, with the count done written on the job every BEAT_SECONDS."""
    last = time.monotonic()
    for done, row in enumerate(rows, 1):
        yield row
        if not done % 1000 and time.monotonic() - last >= BEAT_SECONDS:
            _set(job_id, runner, rows_done=done, beat_at=utcnow())
            last = time.monotonic()
