import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from core.clock import today
from core.db import db
from core.schema import refresh_statistics, upgrade_schema
from demo.data import DEMO_PASSWORD, DEMO_PIN, DEMO_USERS, seed_demo, seed_member_login
from livelihoods import jobs


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Load the data and exit.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Migrate the database, load the demo data set if missing and serve the app."""
    upgrade_schema()
    created = seed_demo()
    member_code = seed_member_login()
    db.session.commit()
    # Today's reminders, as the scheduler process would send them (idempotent).
    for job in (jobs.daily_sweep, jobs.escalate_overdue, jobs.weekly_digest):
        job(today=today())
    db.session.commit()
    refresh_statistics()
    click.echo("Demo data: " + ", ".join(f"{n} {what} created" for what, n in created.items()))
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for username, full_name, role, _provinces in DEMO_USERS:
        click.echo(f"  {username:<14} {role.value:<12} {full_name}")
    click.echo(f"\nMember login (/login/member): code {member_code}, PIN {DEMO_PIN}")
    if no_serve:
        return
    click.echo(f"\nTự Lực is running at http://{host}:{port}/  (Ctrl+C to stop)")
    app = current_app._get_current_object()
    db.session.remove()
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
