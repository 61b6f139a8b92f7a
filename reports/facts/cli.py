"""`flask analytics`: rebuild the facts, fold marked keys by hand, say how fresh they are."""

import click
from flask.cli import AppGroup

from core.db import db
from reports.facts.refresh import RebuildRunning, fold, rebuild, state

analytics_cli = AppGroup("analytics", help="The analytics tables the progress figures read.")


@analytics_cli.command("rebuild")
def rebuild_command() -> None:
    """Make every fact again from the operational tables, with a progress bar."""
    with click.progressbar(length=1, label="Facts") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            done = rebuild(progress)
        except RebuildRunning:
            raise click.ClickException(
                "Another process is rebuilding the analytics tables; nothing was changed. "
                "Wait for it to finish (or for it to be stopped), then run this again."
            ) from None
    click.echo(f"{done} group-months rebuilt.")


@analytics_cli.command("fold")
def fold_command() -> None:
    """Fold the keys marked since the last fold (what the scheduler does every minute)."""
    n = fold()
    db.session.commit()
    click.echo(f"{n} group-months folded.")


@analytics_cli.command("status")
def status_command() -> None:
    """When the facts were last folded in and rebuilt, and how many keys wait."""
    as_of, rebuilt_at, waiting = state()
    click.echo(f"as of: {as_of or 'never'}; rebuilt: {rebuilt_at or 'never'}; waiting: {waiting}")
