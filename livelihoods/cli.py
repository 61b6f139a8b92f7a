from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core.clock import today
from core.scheduler import JOBS, run_job, send_email

followups_cli = AppGroup("followups", help="Run the follow-up jobs by hand.")

BY_NAME = {
    "sweep": "followups.sweep",
    "escalate": "followups.escalate",
    "digest": "followups.digest",
    "referrals": "support.referral_checks",
}


def _command(name: str):
    job = next(j for j in JOBS if j.id == BY_NAME[name])

    @followups_cli.command(name, help=f"Run {job.id} (idempotent) for a day.")
    @click.option(
        "--today",
        "day",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="The day to run for (YYYY-MM-DD); default: today in Viet Nam.",
    )
    def command(day):
        app = current_app._get_current_object()
        the_day: date = day.date() if day else today()
        result = run_job(app, job, the_day)
        send_email(app)
        click.echo(
            f"{job.id} {the_day.isoformat()}: " + ", ".join(f"{k}={v}" for k, v in result.items())
        )

    return command


for _name in BY_NAME:
    _command(_name)
