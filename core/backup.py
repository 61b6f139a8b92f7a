"""`flask backup PATH` and `flask restore PATH`: a consistent copy while the app runs.

SQLite: the online backup API, in one step, reads one snapshot of the database (WAL
included) while the app goes on writing; a plain file copy misses what is still in the
-wal file and still passes the integrity check. PostgreSQL: pg_dump does the same job;
these commands print the exact command and exit with an error, so a schedule that calls
them on PostgreSQL fails loudly instead of keeping no backup.
"""

import os
import shlex
import sqlite3
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from core.db import db

# Reference data that migrations load: a database holding only these is empty.
REFERENCE_TABLES = {"alembic_version", "provinces", "communes"}


class BackupError(click.ClickException):
    pass


def _database_url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path() -> Path | None:
    """The SQLite file of the app, or None on PostgreSQL."""
    url = _database_url()
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory: there is nothing to back up or restore.")
    return Path(url.database)


def _libpq_url() -> str:
    """The database URL for pg_dump/pg_restore: no driver suffix, and no password (it
    comes from PGPASSWORD or ~/.pgpass, never from a command line)."""
    url = _database_url()
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False)


def pg_dump_command(path: Path) -> str:
    """The shell command that dumps the database to path, readable by its owner only
    (pg_dump itself creates the file with the umask's mode: 644 by default, R6)."""
    dump = shlex.join(["pg_dump", "--format=custom", f"--file={path}", _libpq_url()])
    return f"umask 077 && {dump}"


def pg_restore_command(path: Path) -> str:
    return shlex.join(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq_url()}", str(path)]
    )


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    target = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    connection = sqlite3.connect(target, uri=True, isolation_level=None)
    busy = int(current_app.config["SQLITE_BUSY_TIMEOUT"] * 1000)
    connection.execute(f"PRAGMA busy_timeout = {busy}")
    return connection


def _integrity(connection: sqlite3.Connection) -> str:
    return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows in every table of an SQLite database."""
    # The names come from the database's own sqlite_master, never from a request.
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608  # nosec B608
        for name in _tables(connection)
    }


def _revisions(connection: sqlite3.Connection) -> set[str]:
    if "alembic_version" not in _tables(connection):
        return set()
    return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}


def _script() -> ScriptDirectory:
    from core.schema import alembic_config

    return ScriptDirectory.from_config(alembic_config())


def _check_revisions(revisions: set[str]) -> tuple[set[str], bool]:
    """The code's heads, and whether the backup is behind them; refuse an unknown revision."""
    script = _script()
    heads = set(script.get_heads())
    if not revisions:
        raise BackupError("The file holds no schema version: it is not a Tự Lực backup.")
    for revision in revisions:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                f"The backup's schema version {revision} is unknown to this code (head: "
                f"{', '.join(sorted(heads))}): it was made by a newer version of Tự Lực. "
                "Restore it with that version."
            )
    return heads, revisions != heads


def _private_file(path: Path) -> None:
    """Create path empty, readable by its owner only: a backup holds personal data."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup_sqlite(source: Path, target: Path) -> dict[str, int]:
    """Copy source to target as one consistent snapshot; return its row counts."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _private_file(partial)
    try:
        with closing(_connect(source)) as src, closing(
            sqlite3.connect(partial, isolation_level=None)
        ) as dst:
            # pages=-1: all pages in one step, under one read snapshot. A stepwise copy
            # starts over whenever the app writes, and may never finish.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            problems = _integrity(dst)
            if problems != "ok":
                raise BackupError(f"The copy failed its integrity check: {problems}")
            counts = row_counts(dst)
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def restore_sqlite(source: Path, target: Path) -> dict[str, int]:
    """Replace target's content by source's through the backup API.

    The copy goes through SQLite's own locking, so connections that the app holds open
    on target see the restored data, not a file swapped under them.
    """
    with closing(_connect(source, readonly=True)) as src, closing(_connect(target)) as dst:
        src.backup(dst, pages=-1)
        problems = _integrity(dst)
        if problems != "ok":
            raise BackupError(f"The restored database failed its integrity check: {problems}")
        return row_counts(dst)


def _summary(counts: dict[str, int]) -> str:
    data = {k: v for k, v in counts.items() if k not in REFERENCE_TABLES}
    return f"{len(counts)} tables, {sum(data.values()):,} rows of data"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH, while the app goes on running.

    SQLite only; on PostgreSQL it prints the pg_dump command to use instead.
    """
    source = _sqlite_path()
    if source is None:
        click.echo(
            "On PostgreSQL, back up with pg_dump (the password comes from PGPASSWORD or "
            f"~/.pgpass):\n\n  {pg_dump_command(path)}\n\n"
            "To restore, `flask restore PATH` prints the pg_restore command."
        )
        raise SystemExit(1)
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file name (e.g. with the date).")
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    started = time.perf_counter()
    db.session.remove()
    counts = backup_sqlite(source, path)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        revisions = _revisions(connection)
    click.echo(
        f"Backed up {source} to {path} in {time.perf_counter() - started:.1f} s: "
        f"{_summary(counts)}, schema {', '.join(sorted(revisions)) or 'none'}, integrity ok."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that holds data.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Replace the database's content with the backup at PATH (made by `flask backup`).

    Checks the backup first (integrity and schema version). A database that holds data
    is overwritten only with --force, and is first saved next to itself. Stop the web
    server and the scheduler before restoring. On PostgreSQL it prints the pg_restore
    command to use instead.
    """
    target = _sqlite_path()
    if target is None:
        click.echo(
            "On PostgreSQL, restore a pg_dump file with pg_restore, into an empty database "
            f"(add --clean --if-exists to replace one):\n\n  {pg_restore_command(path)}\n\n"
            "Then check the schema: flask db current."
        )
        raise SystemExit(1)
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            problems = _integrity(source)
            revisions = _revisions(source)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite database: {error}") from None
    if problems != "ok":
        raise BackupError(f"The backup failed its integrity check: {problems}")
    heads, behind = _check_revisions(revisions)

    db.session.remove()
    db.engine.dispose()
    saved = None
    if target.exists():
        with closing(_connect(target)) as current:
            held = {k: v for k, v in row_counts(current).items() if k not in REFERENCE_TABLES}
        if any(held.values()):
            if not force:
                raise BackupError(
                    f"The database {target} holds data ({sum(held.values()):,} rows). "
                    "Nothing was changed. To replace it, run again with --force."
                )
            stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
            saved = target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix}")
            backup_sqlite(target, saved)
    started = time.perf_counter()
    counts = restore_sqlite(path, target)
    if saved:
        click.echo(f"The data it replaced is saved in {saved}.")
    click.echo(
        f"Restored {path} into {target} in {time.perf_counter() - started:.1f} s: "
        f"{_summary(counts)}, integrity ok."
    )
    if behind:
        click.echo(
            f"The backup's schema ({', '.join(sorted(revisions))}) is older than the code's "
            f"({', '.join(sorted(heads))}): run `flask db upgrade` before starting the app."
        )
