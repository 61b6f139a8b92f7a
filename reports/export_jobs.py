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
  failed, with a message to start it again: by the next page that lists it, the next
  start and the daily job. It is never left "running". If the writer was only slow and
  comes back, its conditional UPDATEs find the job no longer its own and it stops.
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
from core.db import db, utcnow
from core.errors import DomainError

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
STALE_SECONDS = 180
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
    # Which run holds the job: a run that lost it (failed as stale) stops writing.
    runner: Mapped[str | None] = mapped_column(String(32))
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


# Services -------------------------------------------------------------------------------


def stale_before(now: datetime | None = None) -> datetime:
    """An active job whose last beat is older than this has lost its writer."""
    return (now or utcnow()) - timedelta(seconds=STALE_SECONDS)


def fail_stale(now: datetime | None = None) -> int:
    """Fail the active jobs whose writer has stopped beating (a restart, a kill)."""
    cutoff = stale_before(now)
    result = db.session.execute(
        update(ExportJob)
        .where(ExportJob.status.in_(ACTIVE), ExportJob.beat_at < cutoff)
        .values(status=FAILED, problem="interrupted", finished_at=utcnow(), runner=None),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


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
    """Queue the export, or return the same one already queued or running for `actor`."""
    fail_stale()
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
    """Delete the files kept past EXPORT_KEEP_DAYS and the jobs' rows, and fail the jobs
    whose writer stopped (the daily job; idempotent)."""
    now = utcnow()
    failed = fail_stale(now)
    keep = timedelta(days=current_app.config.get("EXPORT_KEEP_DAYS", 7))
    old = db.session.scalars(
        select(ExportJob).where(
            (ExportJob.expires_at < now)
            | ((ExportJob.status == FAILED) & (ExportJob.created_at < now - keep))
        )
    ).all()
    for job in old:
        _remove(file_path(job))
        db.session.delete(job)
    return {"deleted": len(old), "failed_stale": failed}
