from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core.clock import today
from core.scheduler import JOBS, run_job

members_cli = AppGroup("members", help="Jobs about members, run by hand.")


@members_cli.command("anonymise-expired")
@click.option(
    "--today",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to run for (YYYY-MM-DD); default: today in Viet Nam.",
)
def anonymise_expired_command(day):
    """Anonymise members who left more than TULUC_RETENTION_YEARS ago (idempotent)."""
    job = next(j for j in JOBS if j.id == "members.anonymise_expired")
    the_day: date = day.date() if day else today()
    result = run_job(current_app._get_current_object(), job, the_day)
    click.echo(
        f"{job.id} {the_day.isoformat()}: " + ", ".join(f"{k}={v}" for k, v in result.items())
    )
