"""The confirmed import as a job (issue 23): it never holds a web request, survives a
worker restart, and writes every row once.

- Confirming (queue) checks the rows one last time (or takes the dry run's plans when
  nothing changed), keeps the plans of a members register with the batch (frozen), gives
  every raw row a state (pending: to write; failed: an error, kept for the rows to fix;
  skipped: nothing to do) and claims the file (the batch becomes IMPORTED, so the same
  file is never imported twice). The job is then queued.
- A run (imports.job_runner) claims the queued job (one UPDATE: queued, or running with
  a beat older than STALE_SECONDS, becomes running under a token of its own), then
  writes the pending rows a chunk at a time, one transaction each: the chunk's rows,
  their state "imported", the job's progress and beat, under the condition that the run
  still holds the job. A crash loses at most the chunk being written, which stays
  pending.
- Run again (the import's page, or the scheduler's minute job for a job whose beat
  stopped), it writes only the rows still pending, from the same plans; the groups the
  batch made are found under the batch (import_batch_groups), never made twice.
- The last step records the import in the audit, deletes the raw rows but those to fix,
  keeps the summary and says the job is done.

This module says what each step does; imports.job_runner runs them and commits between
them. Small files are run at once in the confirming request, larger ones in a thread:
the same run either way.
"""

import json
import logging
from datetime import date, timedelta
from itertools import batched

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from accounts.models import User
from core import audit, clock, submissions
from core.db import db, utcnow
from core.errors import DomainError
from groups.models import Group
from imports.columns import Kind, missing_required
from imports.models import (
    BatchStatus,
    ImportBatch,
    ImportBatchGroup,
    ImportRow,
    JobStatus,
    RowState,
)
from imports.services import stored_plans, writes
from imports.services.batches import find_imported
from imports.services.checks.dry_run import check_rows

logger = logging.getLogger(__name__)

# A running job whose beat is older than this lost its process: run again, it goes on.
STALE_SECONDS = 60

# Why a job stopped, as the import's page says it.
PROBLEMS = {
    "interrupted": _l(
        "The import was interrupted (the server restarted). The rows already written are in "
        "the app; continue the import to write the others."
    ),
    "error": _l(
        "The import stopped on a row it could not write. The rows already written are in the "
        "app, the others are not; continue the import, and if it stops again, tell your "
        "administrator."
    ),
}


class Lost(Exception):
    """The job is no longer this run's (taken over as stale meanwhile): stop writing."""


def is_stale(batch: ImportBatch) -> bool:
    """A job queued or running whose last beat is older than STALE_SECONDS."""
    last = batch.job_beat_at
    return batch.job_status in JobStatus.ACTIVE and (
        last is None or last < utcnow() - timedelta(seconds=STALE_SECONDS)
    )


# Confirming ----------------------------------------------------------------------------


def queue(actor: User, batch: ImportBatch, today: date) -> list | None:
    """Confirm the import: give every row its state and queue the job; or queue again a
    job that stopped (failed, or its process gone) to go on with the rows still pending.
    Returns the plans kept, for a run in this process to write without reading them back
    (None when queued again: the run reads them)."""
    if batch.status == BatchStatus.IMPORTED:
        if batch.job_status == JobStatus.FAILED or is_stale(batch):
            batch.job_status, batch.job_problem = JobStatus.QUEUED, None
            batch.job_beat_at = utcnow()
            return None
        if batch.job_status in JobStatus.ACTIVE:
            return None  # a second tap while it runs: the same job
        # Sent twice (a second tap, the Back button): the first import did it all.
        raise DomainError(_l("This file was already imported. Nothing was added again."))
    if batch.status != BatchStatus.CHECKED:
        raise DomainError(_l("This file can no longer be imported."))
    if missing_required(batch.kind, batch.mapping_dict):
        raise DomainError(_l("Choose a column for every required field first."))
    # The dry run's plans when nothing they were checked against changed; else a new check.
    plans = stored_plans.load(actor, batch, today)
    if plans is None:
        plans, _ctx = check_rows(actor, batch, today)
        stored_plans.keep(actor, batch, today, plans)
    # Kept (frozen) with the batch: every run writes these, whatever it wrote before.
    if find_imported(batch.kind, batch.file_hash) is not None:
        raise DomainError(_l("This file was already imported. Nothing was added again."))
    answers = batch.answer_dict
    pending = [p.number for p in plans if writes.to_write(p, answers)]
    failed = [p.number for p in plans if p.outcome == "error"]
    # Every row was stored pending: the few others (errors; the title, header, blank
    # rows; people already here with nothing to change) get their state.
    every = db.session.scalars(select(ImportRow.number).where(ImportRow.batch_id == batch.id))
    skipped = sorted(set(every) - set(pending) - set(failed))
    for state, numbers in ((RowState.SKIPPED, skipped), (RowState.FAILED, failed)):
        for part in batched(numbers, 500):
            db.session.execute(
                update(ImportRow)
                .where(ImportRow.batch_id == batch.id, ImportRow.number.in_(part))
                .values(state=state)
            )
    summary = batch.summary_dict
    summary["rows"] = {str(p.number): p.problems for p in plans if p.outcome == "error"}
    batch.summary = json.dumps(summary)
    batch.status, batch.imported_at = BatchStatus.IMPORTED, utcnow()
    submissions.note_created(batch)  # confirmed from a form the phone kept and sent later
    batch.job_status, batch.job_problem, batch.job_runner = JobStatus.QUEUED, None, None
    batch.job_beat_at, batch.rows_done, batch.rows_total = utcnow(), 0, len(pending)
    db.session.flush()
    return plans if batch.kind == Kind.MEMBERS else None


# What a run does, transaction by transaction (imports.job_runner commits) --------------


def claim(batch_id: int, runner: str) -> bool:
    """Take the job for this run: queued, or running with a beat older than STALE_SECONDS."""
    cutoff = utcnow() - timedelta(seconds=STALE_SECONDS)
    claimed = db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch_id,
            ImportBatch.status == BatchStatus.IMPORTED,
            or_(
                ImportBatch.job_status == JobStatus.QUEUED,
                (ImportBatch.job_status == JobStatus.RUNNING) & (ImportBatch.job_beat_at < cutoff),
            ),
        )
        .values(
            job_status=JobStatus.RUNNING,
            job_runner=runner,
            job_beat_at=utcnow(),
            version=ImportBatch.version + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    return claimed.rowcount == 1


def beat(batch_id: int, runner: str, **values) -> None:
    """Write the job's progress in the current transaction, if this run still holds it."""
    result = db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch_id,
            ImportBatch.job_runner == runner,
            ImportBatch.job_status == JobStatus.RUNNING,
        )
        .values(job_beat_at=utcnow(), version=ImportBatch.version + 1, **values),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise Lost(batch_id)


def prepare(batch_id: int, runner: str, kept: list | None = None):
    """The run's owner, plans, the plans still to write and what the chunks share; the
    pending rows no longer good (checked again: another kind of file) are left out with
    their state. `kept`: the plans queue kept, when the run follows it in the same
    process. Returns (actor, batch, plans, good, shared)."""
    batch = db.session.get(ImportBatch, batch_id)
    db.session.refresh(batch)
    actor = db.session.get(User, batch.owner_id)
    today = clock.today()
    pending = set(
        db.session.scalars(
            select(ImportRow.number).where(
                ImportRow.batch_id == batch_id, ImportRow.state == RowState.PENDING
            )
        )
    )
    plans = kept
    if plans is None and batch.kind == Kind.MEMBERS:
        plans = stored_plans.frozen(batch)
    if plans is None:  # the other kinds: the rows still pending checked again
        plans, _ctx = check_rows(actor, batch, today)
    answers = batch.answer_dict
    good, left = [], {RowState.FAILED: [], RowState.SKIPPED: []}
    for plan in plans:
        if plan.number not in pending:
            continue
        if writes.to_write(plan, answers):
            good.append(plan)
        else:
            left[RowState.FAILED if plan.outcome == "error" else RowState.SKIPPED].append(plan)
    for state, numbers in left.items():
        if numbers:
            db.session.execute(
                update(ImportRow)
                .where(
                    ImportRow.batch_id == batch_id,
                    ImportRow.number.in_([p.number for p in numbers]),
                )
                .values(state=state)
            )
    if left[RowState.FAILED]:
        summary = batch.summary_dict
        summary.setdefault("rows", {}).update(
            {str(p.number): p.problems for p in left[RowState.FAILED]}
        )
        beat(batch_id, runner, summary=json.dumps(summary))
    shared = writes.start(actor, batch, good, answers, today)
    return actor, batch, plans, good, shared


def finish(actor: User, batch_id: int, runner: str, plans) -> None:
    """The audit of the import, the raw rows deleted but those to fix, the summary."""
    batch = db.session.get(ImportBatch, batch_id)
    db.session.refresh(batch)
    states = dict(
        db.session.execute(
            select(ImportRow.state, func.count())
            .where(ImportRow.batch_id == batch_id)
            .group_by(ImportRow.state)
        ).all()
    )
    written = set(
        db.session.scalars(
            select(ImportRow.number).where(
                ImportRow.batch_id == batch_id, ImportRow.state == RowState.IMPORTED
            )
        )
    )
    updated = sum(1 for p in plans if p.outcome == "matched" and p.number in written)
    done = states.get(RowState.IMPORTED, 0)
    summary = batch.summary_dict
    counts = summary.get("counts", {})
    to_fix = summary.get("rows", {})
    failed = set(
        db.session.scalars(
            select(ImportRow.number).where(
                ImportRow.batch_id == batch_id, ImportRow.state == RowState.FAILED
            )
        )
    )
    audit.record(
        actor,
        "import",
        batch,
        detail=f"kind={batch.kind.value};new={done - updated};updated={updated};"
        f"matched={counts.get('matched', 0)};errors={len(failed)}",
    )
    # The rows to fix stay (the purge deletes them RAW_ROWS_DAYS after the import), with
    # what the check found, so that the file of rows to fix can be downloaded later.
    db.session.execute(
        delete(ImportRow).where(ImportRow.batch_id == batch_id, ImportRow.state != RowState.FAILED)
    )
    summary["rows"] = {n: p for n, p in to_fix.items() if int(n) in failed}
    summary["to_fix"] = len(failed)
    summary["imported"] = done - updated
    summary["updated"] = updated
    made = db.session.execute(
        select(Group.id, Group.code, Group.name, Group.cadence)
        .join(ImportBatchGroup, ImportBatchGroup.group_id == Group.id)
        .where(ImportBatchGroup.batch_id == batch_id)
        .order_by(Group.code)
    ).all()
    summary["created_groups"] = [f"{g.code} {g.name}" for g in made]
    summary["not_set_up"] = [
        {"id": g.id, "name": f"{g.code} {g.name}"} for g in made if g.cadence is None
    ]
    summary["places"] = []
    beat(
        batch_id,
        runner,
        summary=json.dumps(summary),
        plans=None,  # names: not kept past the import
        job_status=JobStatus.DONE,
        job_runner=None,
        rows_done=batch.rows_total or done,
    )
    db.session.expire(batch)


def interrupted(today: date | None = None) -> list[int]:  # noqa: ARG001 - the scheduler's
    """The batches whose job waits or lost its process (beat older than STALE_SECONDS)."""
    cutoff = utcnow() - timedelta(seconds=STALE_SECONDS)
    return list(
        db.session.scalars(
            select(ImportBatch.id)
            .where(
                ImportBatch.status == BatchStatus.IMPORTED,
                ImportBatch.job_status.in_(JobStatus.ACTIVE),
                or_(ImportBatch.job_beat_at.is_(None), ImportBatch.job_beat_at < cutoff),
            )
            .order_by(ImportBatch.id)
        )
    )
