"""`flask backup` and `flask restore`: a consistent copy while the app writes.

SQLite files of their own, whatever TEST_DATABASE_URL says; on PostgreSQL the commands
only print the pg_dump / pg_restore command to use.
"""

import sqlite3
import threading
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from accounts import services as account_services
from accounts.models import Role
from app import create_app
from core.backup import row_counts
from core.db import db
from core.places import Commune
from core.schema import MIGRATIONS, upgrade_schema
from groups.models import Cadence, ConsentPurpose, Gender, GroupRole, GroupStatus, MemberCategory
from groups.services import groups as group_services
from groups.services import members as member_services
from tests.conftest import HUE, config_for


def sqlite_app(path, migrate=True):
    app = create_app(config_for(f"sqlite:///{path}"))
    if migrate:
        with app.app_context():
            upgrade_schema()
    return app


@pytest.fixture
def source(tmp_path, migrated):
    app = sqlite_app(tmp_path / "live.sqlite3")
    with app.app_context():
        admin = account_services.create_user(
            None, username="admin", full_name="An", role=Role.ADMIN, password="x" * 12
        )
        group = group_services.create_group(
            admin,
            name="Nhóm Đông",
            province_code=HUE,
            commune_code=db.session.scalar(
                select(Commune.code).where(Commune.province_code == HUE).limit(1)
            ),
            village="Thôn Đông",
            founded_on=date(2025, 1, 6),
            status=GroupStatus.ACTIVE,
            cadence=Cadence.WEEKLY,
            meeting_weekday=0,
            partner=None,
            facilitator_ids=[],
        )
        db.session.commit()
        app.config["ids"] = (admin.id, group.id)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def add_member(app, n: int) -> None:
    """One committed write touching several tables: member, membership, consent, audit."""
    from accounts.models import User
    from groups.models import Group

    admin_id, group_id = app.config["ids"]
    member_services.create_member(
        db.session.get(User, admin_id),
        db.session.get(Group, group_id),
        full_name=f"Nguyễn Thị Lan {n}",
        gender=Gender.FEMALE,
        birth_year=1990,
        phone=None,
        category=MemberCategory.MIGRANT,
        notes=None,
        joined_on=date(2025, 2, 1),
        role=GroupRole.MEMBER,
        consents=[ConsentPurpose.PROGRAMME_DATA],
    )
    db.session.commit()


def counts_of(path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        counts = row_counts(connection)
    connection.close()
    return counts


def integrity(path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def test_backup_while_writing_restores_exactly_what_was_committed(source, tmp_path):
    live = tmp_path / "live.sqlite3"
    with source.app_context():
        for n in range(300):  # enough data that the copy takes a while
            add_member(source, n)
    initial = counts_of(live)
    committed, stop, failures = [0], threading.Event(), []

    def write():
        with source.app_context():
            try:
                while not stop.is_set():
                    add_member(source, 1000 + committed[0])
                    committed[0] += 1
            except Exception as error:  # noqa: BLE001 - shown by the assertion below
                failures.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while committed[0] < 10:  # the writer is well under way
            stop.wait(0.01)
        started_with = committed[0]
        result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
        finished_with = committed[0]
        while committed[0] < finished_with + 5:  # and goes on after the copy
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    assert failures == []
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output

    # Every table grew by the same rows per write; the copy holds a whole number of writes.
    final = counts_of(live)
    per_write = {t: (final[t] - initial[t]) / committed[0] for t in final}
    assert all(v == int(v) for v in per_write.values()), per_write
    assert per_write["members"] == 1 and per_write["consents"] == 1

    fresh = tmp_path / "fresh.sqlite3"
    restored_app = sqlite_app(fresh, migrate=False)
    result = restored_app.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy.sqlite3")])
    assert result.exit_code == 0, result.output
    assert integrity(fresh) == "ok"
    restored = counts_of(fresh)
    writes = restored["members"] - initial["members"]
    # Nothing committed before the backup started is missing; nothing is half a write.
    assert started_with <= writes <= finished_with + 1
    assert restored == {t: initial[t] + writes * int(per_write[t]) for t in initial}
    # The restored database serves: the app sees the same data through SQLAlchemy.
    with restored_app.app_context():
        from groups.models import Member

        assert db.session.scalar(select(db.func.count()).select_from(Member)) == restored[
            "members"
        ]
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(source, tmp_path):
    runner = source.test_cli_runner()
    backup = tmp_path / "copy.sqlite3"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    with source.app_context():
        add_member(source, 1)  # the live database moves on
        db.session.remove()
        db.engine.dispose()
    before = counts_of(tmp_path / "live.sqlite3")

    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0
    assert "--force" in refused.output and "Nothing was changed" in refused.output
    assert counts_of(tmp_path / "live.sqlite3") == before

    forced = runner.invoke(args=["restore", "--force", str(backup)])
    assert forced.exit_code == 0, forced.output
    assert counts_of(tmp_path / "live.sqlite3")["members"] == before["members"] - 1
    saved = list(tmp_path.glob("live.before-restore-*.sqlite3"))
    assert len(saved) == 1 and counts_of(saved[0]) == before


def test_backup_never_overwrites_a_file(source, tmp_path):
    existing = tmp_path / "copy.sqlite3"
    existing.write_text("yesterday's backup")
    result = source.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert existing.read_text() == "yesterday's backup"


def test_backup_file_is_private(source, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    assert source.test_cli_runner().invoke(args=["backup", str(copy)]).exit_code == 0
    assert copy.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob("*.partial"))


def test_restore_checks_the_schema_version(source, tmp_path):
    runner = source.test_cli_runner()
    newer = tmp_path / "newer.sqlite3"
    assert runner.invoke(args=["backup", str(newer)]).exit_code == 0
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()
    target = sqlite_app(tmp_path / "target.sqlite3", migrate=False)
    result = target.test_cli_runner().invoke(args=["restore", str(newer)])
    assert result.exit_code != 0
    assert "9999_future" in result.output and "newer version" in result.output
    assert not (tmp_path / "target.sqlite3").exists()

    # A backup made before the latest migration restores, and says to upgrade.
    older_app = sqlite_app(tmp_path / "older.sqlite3", migrate=False)
    with older_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0003")
        db.session.remove()
        db.engine.dispose()
    older = tmp_path / "older-copy.sqlite3"
    assert older_app.test_cli_runner().invoke(args=["backup", str(older)]).exit_code == 0
    result = target.test_cli_runner().invoke(args=["restore", str(older)])
    assert result.exit_code == 0, result.output
    assert "flask db upgrade" in result.output


def test_restore_refuses_what_is_not_a_backup(source, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100)
    result = source.test_cli_runner().invoke(args=["restore", "--force", str(junk)])
    assert result.exit_code != 0 and "not an SQLite database" in result.output
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    result = source.test_cli_runner().invoke(args=["restore", "--force", str(empty)])
    assert result.exit_code != 0 and "not a Tự Lực backup" in result.output


def test_on_postgresql_they_print_the_commands_and_fail(tmp_path):
    app = create_app(config_for("postgresql://tuluc:s3cret@127.0.0.1:5432/tuluc"))
    runner = app.test_cli_runner()
    dump = runner.invoke(args=["backup", str(tmp_path / "tuluc.dump")])
    assert dump.exit_code == 1
    assert (
        f"umask 077 && pg_dump --format=custom --file={tmp_path}/tuluc.dump "
        "postgresql://tuluc@127.0.0.1:5432/tuluc" in dump.output
    )
    (tmp_path / "tuluc.dump").write_bytes(b"PGDMP")
    restore = runner.invoke(args=["restore", str(tmp_path / "tuluc.dump")])
    assert restore.exit_code == 1
    assert "pg_restore --no-owner --exit-on-error" in restore.output
    assert "s3cret" not in dump.output + restore.output
