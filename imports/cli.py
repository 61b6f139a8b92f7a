from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core.clock import today
from core.scheduler import JOBS, run_job

imports_cli = AppGroup("imports", help="Jobs about imported registers, run by hand.")


@imports_cli.command("purge-rows")
@click.option(
    "--today",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to run for (YYYY-MM-DD); default: today in Viet Nam.",
)
def purge_rows_command(day):
    """Delete raw rows of files never imported within 7 days (idempotent)."""
    job = next(j for j in JOBS if j.id == "imports.purge_raw_rows")
    the_day: date = day.date() if day else today()
    result = run_job(current_app._get_current_object(), job, the_day)
    click.echo(
        f"{job.id} {the_day.isoformat()}: " + ", ".join(f"{k}={v}" for k, v in result.items())
    )
