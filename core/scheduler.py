"""The table of scheduled jobs and the one process that runs them (`flask scheduler run`).

Never started in web workers or tests. Each job is a plain function of a date, listed
here once with a stable id; jobs make themselves idempotent (core.jobs.claim and unique
keys), so the catch-up run at start-up and a job run by hand the same day do no harm.
"""

import contextlib
import logging
from dataclasses import dataclass
from importlib import import_module

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from flask.cli import AppGroup

from core import clock
from core.clock import VIETNAM, today
from core.dates import check_day
from core.db import db
from core.errors import DomainError
from core.logs import log_error

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    func: str  # "package.module:function", taking today=date
    cron: dict


JOBS = (
    # Before the sweep, so an overdue referral's follow-up is reminded the same morning.
    Job("support.referral_checks", "support.jobs:open_referral_checks", {"hour": 5, "minute": 50}),
    Job("followups.sweep", "livelihoods.jobs:daily_sweep", {"hour": 6, "minute": 0}),
    # After the sweep: plan tasks and reviews (a plan's visits are the sweep's own).
    Job("plans.reminders", "plans.jobs:send_reminders", {"hour": 6, "minute": 5}),
    Job("followups.escalate", "livelihoods.jobs:escalate_overdue", {"hour": 6, "minute": 10}),
    Job("followups.digest", "livelihoods.jobs:weekly_digest", {"hour": 6, "minute": 20}),
    Job("members.anonymise_expired", "groups.jobs:anonymise_expired", {"hour": 5, "minute": 30}),
    Job("imports.purge_raw_rows", "imports.jobs:purge_expired_rows", {"hour": 5, "minute": 40}),
    # Every minute: a confirmed import whose process stopped goes on (issue 23).
    Job("imports.resume", "imports.jobs:resume_interrupted", {"minute": "*"}),
    Job("db.statistics", "core.schema:refresh_statistics", {"hour": 3, "minute": 30}),
    Job("forms.forget_keys", "core.submissions:forget_old", {"hour": 3, "minute": 40}),
    Job("exports.delete_expired", "reports.export_jobs:delete_expired", {"hour": 3, "minute": 50}),
    # Every few minutes: exports whose process died are written again here (issue 24).
    Job("exports.resume", "reports.export_runner:resume_stale", {"minute": "*/3"}),
    # Every minute: the figures read marked keys live until they are folded in.
    Job("reports.fold_facts", "reports.facts.jobs:fold_facts", {"minute": "*"}),
)
EMAIL_EVERY_MINUTES = 5


def resolve(path: str):
    module, name = path.split(":")
    return getattr(import_module(module), name)


def run_job(app, job: Job, day=None) -> dict:
    """Run one job in its own app context and transaction, then send what it added."""
    with app.app_context():
        try:
            result = resolve(job.func)(today=day or today())
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            log_error(logger, "job %s failed", job.id, error=error)
            raise
        finally:
            db.session.remove()
        logger.info("job %s: %s", job.id, result)
        return result


def send_email(app) -> None:
    with app.app_context():
        try:
            resolve("accounts.jobs:send_pending_email")()
        except Exception as error:
            log_error(logger, "sending email failed", error=error)
        finally:
            db.session.remove()


scheduler_cli = AppGroup("scheduler", help="The scheduled jobs process.")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduled jobs until stopped; catch up on each job first."""
    app = current_app._get_current_object()
    for job in JOBS:  # catch up on what ran while this process was down
        run_job(app, job)
    send_email(app)
    scheduler = BlockingScheduler(timezone=VIETNAM)
    for job in JOBS:
        scheduler.add_job(
            run_job,
            CronTrigger(timezone=VIETNAM, **job.cron),
            args=(app, job),
            id=job.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    scheduler.add_job(
        send_email,
        "interval",
        minutes=EMAIL_EVERY_MINUTES,
        args=(app,),
        id="notifications.email",
        coalesce=True,
        max_instances=1,
    )
    click.echo("Scheduler running (Asia/Ho_Chi_Minh). Ctrl+C to stop.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@scheduler_cli.command("list")
def list_jobs() -> None:
    """Show the scheduled jobs."""
    for job in JOBS:
        click.echo(f"{job.id:<22} {job.func:<40} {job.cron}")


@scheduler_cli.command("run-job")
@click.argument("name", type=click.Choice([job.id for job in JOBS]))
@click.option(
    "--today",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to run for (YYYY-MM-DD); default: today in Viet Nam.",
)
def run_job_command(name: str, day) -> None:
    """Run one scheduled job by hand for a day, then send what it queued (idempotent:
    a job claims its day, so running it again, or the scheduler after it, does nothing)."""
    app = current_app._get_current_object()
    job = next(j for j in JOBS if j.id == name)
    the_day = day.date() if day else clock.today()
    try:
        # A day still to come would send its reminders early and claim it, so the
        # scheduler would skip it when it comes; year 1 or 9999 overflows the jobs' sums.
        check_day(the_day, clock.today())
    except DomainError as refused:
        raise click.BadParameter(str(refused.message), param_hint="'--today'") from None
    result = run_job(app, job, the_day)
    send_email(app)
    click.echo(
        f"{job.id} {the_day.isoformat()}: " + ", ".join(f"{k}={v}" for k, v in result.items())
    )
