"""Large exports as jobs: the file is written in the background and kept for its owner.

A national year of attendance is about 2 million rows: as one request it outlives any
worker timeout (gunicorn's default is 30 s). A table of /exports with more rows than
EXPORT_DIRECT_MAX_ROWS becomes a job instead (reports.export_views):

- The job is a row of `export_jobs`, queued by its owner's click (a POST). The same
  request while one is queued or running finds that one: a unique index on (owner,
  request) over the active jobs makes a second click, or two at once, one job.
- It runs in a thread of the process that queued it (EXPORT_JOBS_RUNNER = "thread"),
  reading through a connection of its own (on SQLite without the write lock, see
  export_tables.reader) and writing through the same writers as a direct download.
  It claims the row first (queued → running, one UPDATE), then beats: every few
  seconds it writes the rows done, which the job's page shows.
- A job whose beat stopped for STALE_SECONDS (the process was restarted or killed) is
  resumed: queued again and written from the start by the scheduler's process
  (export_runner.resume_stale, every few minutes) or the owner's next start, at most
  MAX_ATTEMPTS times in all; then it is failed, with a message to start it again. It
  is never left "running". If the writer was only slow and comes back, its conditional
  UPDATEs find the job no longer its own and it stops, removing its part file.
- Its owner may cancel it from its page (queued, running or done): the job says
  "cancelled", its file (or part file) is removed, the cancel is audited.
- Files live in EXPORT_DIR (default `instance/exports`), a directory readable by the
  app's user only (0700), each file 0600 under a random name (32 bytes from `secrets`)
  that nothing derives from the job, its owner or its table. They are served only to
  their owner, while the owner's role and scope are what they were when it was asked
  for, and each download is audited as an export. The daily job deletes them
  EXPORT_KEEP_DAYS after they were written.
- Who may export what is decided as for a direct download: the builders of
  export_tables read the owner's scope when the job runs.
"""

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import Role, User
from core import audit
from core.db import db, utcnow
from core.errors import DomainError

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
CANCELLED = "cancelled"
ACTIVE = (QUEUED, RUNNING)
CANCELLABLE = (QUEUED, RUNNING, DONE)
STALE_SECONDS = 180
MAX_ATTEMPTS = 3  # runs started in all: a job whose process died is resumed until then
BEAT_SECONDS = 2.0
MAX_ACTIVE_PER_USER = 2
FILE_MODE = 0o600
DIR_MODE = 0o700

# Why a job failed, as shown on its page.
PROBLEMS = {
    "interrupted": _l(
        "The server was restarted while the file was being written. Start the export again."
    ),
    "error": _l(
        "The file could not be written. Start the export again; if it fails again,"
        " tell your administrator."
    ),
}


class ExportJob(db.Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    table: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(4))
    group_id: Mapped[int | None]
    province_code: Mapped[int | None]
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    # The request in one string (table, format, filters): the same one twice is one job.
    request_key: Mapped[str] = mapped_column(String(120))
    # The owner's role and scope when asked: the file is served while they still hold.
    scope_key: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    problem: Mapped[str | None] = mapped_column(String(20))
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    # The file's name in EXPORT_DIR: random, never shown, never in a URL.
    file_token: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    # Which run holds the job: a run that lost it (resumed, cancelled) stops writing.
    runner: Mapped[str | None] = mapped_column(String(32))
    # Runs started (claims): a job resumed after a restart is started at most MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_export_jobs_active",
            "user_id",
            "request_key",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int | None:
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)

    def can_view(self, user) -> bool:
        """Only the person who asked for the file sees the job and gets the file."""
        return user.id == self.user_id


class TooManyJobs(DomainError):
    pass


def scope_key(user: User) -> str:
    """The user's role and what it covers, in one string: a file asked for under one
    scope is not served under another (a coordinator moved to other provinces)."""
    key = f"{user.role.value}"
    if user.role == Role.COORDINATOR:
        key += ":" + ",".join(str(c) for c in sorted(user.province_codes))
    elif user.role == Role.FACILITATOR:
        from groups.models import group_facilitators

        ids = db.session.scalars(
            select(group_facilitators.c.group_id).where(group_facilitators.c.user_id == user.id)
        )
        key += ":" + ",".join(str(i) for i in sorted(ids))
    return key[:500]


def request_key(name: str, fmt: str, group_id, province_code, start, end) -> str:
    parts = (name, fmt, group_id, province_code, start, end)
    return "|".join("" if p is None else str(p) for p in parts)


# Files ----------------------------------------------------------------------------------


def export_dir() -> Path:
    """EXPORT_DIR, made if missing and kept readable by the app's user only."""
    path = Path(current_app.config.get("EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def file_path(job: ExportJob) -> Path | None:
    return export_dir() / job.file_token if job.file_token else None


def _remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def part_path(token: str) -> Path:
    """Where a run writes the file before it is whole (renamed to the token at the end)."""
    return export_dir() / (token + ".part")


def remove_files(token: str | None) -> None:
    """The job's file and part file, whichever exists."""
    if token:
        _remove(export_dir() / token)
        _remove(part_path(token))


# Services -------------------------------------------------------------------------------


def stale_before(now: datetime | None = None) -> datetime:
    """An active job whose last beat is older than this has lost its writer."""
    return (now or utcnow()) - timedelta(seconds=STALE_SECONDS)


def recover_stale(now: datetime | None = None) -> tuple[list[int], int]:
    """The active jobs whose writer stopped beating (a restart, a kill): queued again from
    the start while they have runs left (MAX_ATTEMPTS), else failed; the dead run's part
    file is removed. Return the ids queued again and the number failed.

    Each UPDATE holds only if the job is still as read (stale, same run, same attempts):
    two processes recovering at once, or a writer that comes back, change it once."""
    cutoff = stale_before(now)
    stale = db.session.execute(
        select(ExportJob.id, ExportJob.runner, ExportJob.attempts, ExportJob.file_token).where(
            ExportJob.status.in_(ACTIVE), ExportJob.beat_at < cutoff
        )
    ).all()
    resumed, failed = [], 0
    for job_id, runner, attempts, token in stale:
        again = attempts < MAX_ATTEMPTS
        if again:
            values = {"status": QUEUED, "rows_done": 0, "beat_at": utcnow()}
        else:
            values = {"status": FAILED, "problem": "interrupted", "finished_at": utcnow()}
        result = db.session.execute(
            update(ExportJob)
            .where(
                ExportJob.id == job_id,
                ExportJob.status.in_(ACTIVE),
                ExportJob.beat_at < cutoff,
                ExportJob.attempts == attempts,
                (ExportJob.runner == runner) if runner else ExportJob.runner.is_(None),
            )
            .values(runner=None, file_token=None, **values),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount == 1:
            remove_files(token)
            if again:
                resumed.append(job_id)
            else:
                failed += 1
    return resumed, failed


def cancel_job(actor: User, job: ExportJob) -> bool:
    """Cancel the owner's job (queued, running or done): its file or part file removed, the
    cancel audited; False if it had already ended (failed, cancelled) or just did."""
    token = job.file_token
    result = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job.id, ExportJob.status.in_(CANCELLABLE))
        .values(status=CANCELLED, runner=None, file_token=None, finished_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        return False
    audit.record(
        actor,
        "cancel_export",
        object_type=job.table,  # as the export's own event (audit.note_export)
        detail=f"job={job.id};rows={job.rows_done}",
        group_id=job.group_id,
        province_code=None if job.group_id else job.province_code,
    )
    remove_files(token)
    return True


def queue_job(
    actor: User,
    name: str,
    fmt: str,
    *,
    group_id: int | None = None,
    province_code: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ExportJob:
    """Queue the export, or return the same one already queued or running for `actor`
    (the caller recovers stale jobs first, recover_stale, and starts those resumed)."""
    key = request_key(name, fmt, group_id, province_code, start, end)
    same = db.session.scalar(
        select(ExportJob).where(
            ExportJob.user_id == actor.id,
            ExportJob.request_key == key,
            ExportJob.status.in_(ACTIVE),
        )
    )
    if same is not None:
        return same
    active = db.session.scalar(
        select(db.func.count())
        .select_from(ExportJob)
        .where(ExportJob.user_id == actor.id, ExportJob.status.in_(ACTIVE))
    )
    if active >= MAX_ACTIVE_PER_USER:
        raise TooManyJobs(
            _l(
                "You already have %(count)s files being prepared. Wait until one is ready,"
                " then start this one.",
                count=MAX_ACTIVE_PER_USER,
            )
        )
    job = ExportJob(
        user_id=actor.id,
        table=name,
        format=fmt,
        group_id=group_id,
        province_code=province_code,
        start_on=start,
        end_on=end,
        request_key=key,
        scope_key=scope_key(actor),
    )
    db.session.add(job)
    db.session.flush()
    return job


def active_twin(actor: User, job_key: str) -> ExportJob | None:
    return db.session.scalar(
        select(ExportJob).where(
            ExportJob.user_id == actor.id,
            ExportJob.request_key == job_key,
            ExportJob.status.in_(ACTIVE),
        )
    )


def list_jobs(actor: User) -> list[ExportJob]:
    """The actor's own jobs, newest first (files still kept, or failed recently)."""
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.user_id == actor.id)
            .order_by(ExportJob.id.desc())
            .limit(50)
        )
    )


def delete_expired(today: date | None = None) -> dict:  # noqa: ARG001 - the scheduler's signature
    """Delete the files kept past EXPORT_KEEP_DAYS and the jobs' rows (the daily job;
    idempotent). Jobs whose writer stopped are resumed by export_runner.resume_stale."""
    now = utcnow()
    keep = timedelta(days=current_app.config.get("EXPORT_KEEP_DAYS", 7))
    old = db.session.scalars(
        select(ExportJob).where(
            (ExportJob.expires_at < now)
            | (ExportJob.status.in_((FAILED, CANCELLED)) & (ExportJob.created_at < now - keep))
        )
    ).all()
    for job in old:
        remove_files(job.file_token)
        db.session.delete(job)
    return {"deleted": len(old)}
