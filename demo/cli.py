import click
from flask import current_app
from flask.cli import with_appcontext
from waitress.server import create_server

from core.clock import today
from core.db import db
from core.schema import refresh_statistics, upgrade_schema
from demo.data import DEMO_PASSWORD, DEMO_USERS, seed_demo
from demo.grants import DEMO_PIN, seed_member_login
from demo.register import seed_register_check
from livelihoods import jobs
from plans.jobs import send_reminders

# The demo is served by waitress, a production WSGI server, not Werkzeug's development
# server. Werkzeug starts one thread per connection without limit: under 50 phones, 50
# threads share the GIL and SQLite's write lock, the holder runs slowly and the others'
# waits pass any busy timeout ("database is locked" 500s). waitress answers from a fixed
# pool of threads and queues the rest; it reads requests and writes responses itself, so
# a slow phone does not hold a thread. Pure Python, on any system, nothing to compile.
THREADS = 4


def server_options(host: str, port: int, threads: int = THREADS) -> dict:
    return {
        "host": host,
        "port": port,
        "threads": threads,
        "ident": "",  # no Server header
        # Beyond 100 open connections waitress stops accepting (they wait in the backlog).
        "connection_limit": 500,
        "asyncore_use_poll": True,  # select() cannot watch more than 1,024 sockets
    }


def make_server(app, host: str, port: int, threads: int = THREADS):
    """The demo's server, not yet running (tests start it on a free port)."""
    return create_server(app, **server_options(host, port, threads))


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--threads", default=THREADS, show_default=True, help="Requests served at once."
)
@click.option("--no-serve", is_flag=True, help="Load the data and exit.")
@with_appcontext
def demo_command(host: str, port: int, threads: int, no_serve: bool) -> None:
    """Migrate the database, load the demo data set if missing and serve the app."""
    upgrade_schema()
    created = seed_demo()
    member_code = seed_member_login()
    created["register files to check"] = seed_register_check(today())
    db.session.commit()
    # Today's reminders, as the scheduler process would send them (idempotent).
    for job in (jobs.daily_sweep, send_reminders, jobs.escalate_overdue, jobs.weekly_digest):
        job(today=today())
    db.session.commit()
    refresh_statistics()
    click.echo("Demo data: " + ", ".join(f"{n} {what} created" for what, n in created.items()))
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for username, full_name, role, _provinces, _phone in DEMO_USERS:
        click.echo(f"  {username:<14} {role.value:<12} {full_name}")
    click.echo(f"\nMember login (/login/member): code {member_code}, PIN {DEMO_PIN}")
    if no_serve:
        return
    click.echo(f"\nTự Lực is running at http://{host}:{port}/  (Ctrl+C to stop)")
    app = current_app._get_current_object()
    db.session.remove()
    server = make_server(app, host, port, threads)
    server.print_listen("Serving on http://{}:{}")
    server.run()
