"""Revision 0005: every stored commune code follows its commune from 2025.10.1 to the pinned list.

A database is built at 0004 exactly as databases made before 0005 are (2025.10.1 places), with
one group in every commune, then migrated: each group must stay in the commune of the same name.
On PostgreSQL (TEST_DATABASE_URL) it runs in a schema of its own in that database.
"""

import os
from datetime import UTC, date, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Date, DateTime, bindparam, create_engine, text

from app import create_app
from core.db import db
from core.schema import MIGRATIONS, schema_revisions
from core.text import fold
from tests.conftest import config_for

SCHEMA = "places_migration"


@pytest.fixture
def database(tmp_path):
    """A database URL of its own: a SQLite file, or a fresh schema of the test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path / "places.sqlite3")
        return
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def migrate(revision: str) -> None:
    db.session.remove()  # end the test's read transaction: SQLite lets one writer in
    upgrade(directory=str(MIGRATIONS), revision=revision)


def migrate_down(revision: str) -> None:
    db.session.remove()
    downgrade(directory=str(MIGRATIONS), revision=revision)


def seed_a_group_in_every_commune() -> dict[str, tuple[int, str]]:
    """One group per commune, named by its code; returns group code -> (province, commune name)."""
    communes = db.session.execute(text("SELECT code, province_code, name FROM communes")).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    db.session.execute(
        text(
            "INSERT INTO groups (code, name, province_code, commune_code, founded_on, status,"
            " cadence, meeting_weekday, created_at, version)"
            " VALUES (:code, :name, :province, :commune, :founded, 'active', 'weekly', 0, :now, 1)"
        ).bindparams(bindparam("founded", type_=Date), bindparam("now", type_=DateTime)),
        [
            {"code": f"G{c.code}", "name": f"Nhóm {c.name}", "province": c.province_code,
             "commune": c.code, "founded": date(2025, 1, 6), "now": now}
            for c in communes
        ],
    )
    db.session.commit()
    return {f"G{c.code}": (c.province_code, c.name) for c in communes}


def commune_of_each_group() -> dict[str, tuple[int, int, str]]:
    rows = db.session.execute(
        text(
            "SELECT g.code, c.code, c.province_code, c.name FROM groups g"
            " JOIN communes c ON c.code = g.commune_code"
        )
    )
    return {group: (code, province, name) for group, code, province, name in rows}


def same_name(a: str, b: str) -> bool:
    """Spellings differ in case, apostrophes, dashes and tone placement (Hoà/Hòa), not letters."""
    def plain(name: str) -> str:
        return fold(name.replace("’", "'").replace("–", "-"))

    return plain(a) == plain(b)


def test_every_group_stays_in_its_same_named_commune_and_back(database):
    app = create_app(config_for(database))
    with app.app_context():
        migrate("0004")
        kim_lien = db.session.execute(text("SELECT name FROM communes WHERE code = 226")).scalar()
        assert kim_lien == "Phường Kim Liên"  # as every database made before 0005
        before = seed_a_group_in_every_commune()
        assert len(before) == 3321

        migrate("head")
        after = commune_of_each_group()
        assert len(after) == 3321
        for group, (province, name) in before.items():
            _, new_province, new_name = after[group]
            assert new_province == province and same_name(new_name, name), (group, name, new_name)
        # The examples of issue 13: Huế's wards, and a code that now names another ward.
        assert after["G19786"][0] == 19789 and after["G19786"][2] == "Phường Thuận Hóa"
        assert after["G19768"][0] == 19753 and after["G19768"][2] == "Phường Phú Xuân"
        assert after["G19810"][0] == 19774 and after["G19810"][2] == "Phường Kim Long"
        assert after["G226"][0] == 229 and after["G226"][2] == "Phường Kim Liên"
        assert after["G1558"][2] == "Xã Lý Quốc"  # three codes that swapped names in Cao Bằng
        moved = sum(after[g][0] != int(g[1:]) for g in before)
        assert moved == 123
        names = dict(db.session.execute(text("SELECT code, name FROM communes")).all())
        assert len(names) == 3321 and names[226] == "Phường Văn Miếu - Quốc Tử Giám"
        assert names[6325] == "Xã Bắc Sơn"  # the pinned release writes "xã Bắc Sơn"
        nghe_an = db.session.execute(text("SELECT name FROM provinces WHERE code = 40")).scalar()
        assert nghe_an == "Tỉnh Nghệ An"

        migrate_down("0004")
        back = commune_of_each_group()
        assert all(back[g][0] == int(g[1:]) for g in before)
        assert back["G226"][2] == "Phường Kim Liên"
        migrate("head")
        assert commune_of_each_group() == after
        db.session.remove()
        db.engine.dispose()


def test_a_commune_missing_from_the_new_list_stops_the_migration_and_changes_nothing(
    database, caplog
):
    app = create_app(config_for(database))
    with app.app_context():
        migrate("0004")
        db.session.execute(text("UPDATE communes SET name = 'Phường Không Có' WHERE code = 19786"))
        db.session.commit()
        seed_a_group_in_every_commune()
        with pytest.raises(SystemExit):  # how Flask-Migrate reports a failed revision
            migrate("head")
        assert "groups.commune_code uses communes that the new list does not have: " \
            "19786 Phường Không Có" in caplog.text
        db.session.rollback()
        assert schema_revisions()[0] == {"0004"}
        groups = commune_of_each_group()
        assert groups["G19786"][0] == 19786 and groups["G19810"][0] == 19810
        db.session.remove()
        db.engine.dispose()
