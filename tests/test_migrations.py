"""The schema comes only from migrations, and production refuses a stale one."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade
from sqlalchemy import func, inspect, select, text

from app import create_app
from core.db import db
from core.places import Commune, Province
from core.schema import MIGRATIONS, schema_revisions, upgrade_schema
from tests.conftest import config_for

# Indexes on an expression: SQLite's reflection cannot read them back (SQLAlchemy warns and
# skips them), so they are compared by name and definition below instead.
EXPRESSION_INDEXES = {"ix_grants_lacking": ("grants", "amount_approved - paid_vnd")}


def _not_an_expression_index(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def test_migrations_create_exactly_the_models_schema(app):
    with (
        app.app_context(),
        db.engine.connect() as connection,
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _not_an_expression_index},
        )
        assert compare_metadata(context, db.metadata) == []


@pytest.mark.parametrize("name", sorted(EXPRESSION_INDEXES))
def test_expression_indexes_are_made_as_the_models_say(app, name):
    table, expression = EXPRESSION_INDEXES[name]
    [model_index] = [i for i in db.metadata.tables[table].indexes if i.name == name]
    assert " ".join(str(e) for e in model_index.expressions).strip("()") == expression
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            definition = db.session.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name}
            )
        else:
            definition = db.session.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
                {"name": name},
            )
    assert definition is not None, f"{name} is missing"
    assert expression.replace(" ", "") in definition.replace(" ", ""), definition


def test_database_is_at_the_head_revision(app):
    with app.app_context():
        current, heads = schema_revisions()
    assert current == heads and heads


def test_reference_places_are_the_34_provinces_and_3321_communes(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Province)) == 34
        assert db.session.scalar(select(func.count()).select_from(Commune)) == 3321
        hue = db.session.get(Province, 46)
        assert hue.name == "Thành phố Huế"
        assert all(c.province_code == 46 for c in hue.communes)


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    url = "sqlite:///" + str(tmp_path / "m.sqlite3")
    app = create_app(config_for(url))
    with app.app_context():
        upgrade_schema()
        downgrade(directory=str(MIGRATIONS), revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade_schema()
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_production_start_on_an_empty_database_stops_and_says_what_to_run(tmp_path):
    url = "sqlite:///" + str(tmp_path / "empty.sqlite3")
    with pytest.raises(SystemExit) as stopped:
        create_app(config_for(url, ENV="production", TESTING=False))
    assert "flask db upgrade" in str(stopped.value)
    assert "empty" in str(stopped.value)


def test_production_start_without_secret_key_stops_with_a_message(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as stopped:
        create_app({"ENV": "production", "DATABASE_URL": "sqlite:///" + str(tmp_path / "x")})
    assert "SECRET_KEY is not set" in str(stopped.value)


def test_demo_mode_generates_a_secret_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {
        "ENV": "demo",
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "d.sqlite3"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_migrations_that_copy_tables_keep_sqlite_data_and_references(tmp_path):
    """Dropping the group and province copies (0007) rebuilds tables on SQLite with rows
    pointing at them; down again, the copies are refilled from the memberships."""
    from datetime import date
    from types import SimpleNamespace

    from sqlalchemy import text

    from accounts.models import Role
    from groups.models import Cadence, Gender, GroupRole, GroupStatus, MemberCategory
    from groups.services import groups, members
    from livelihoods.models import Activity
    from livelihoods.services.grants import draft_grant

    admin = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)
    app = create_app(config_for("sqlite:///" + str(tmp_path / "d.sqlite3")))
    with app.app_context():
        upgrade_schema()
        commune = db.session.scalar(select(Commune.code).where(Commune.province_code == 46))
        group = groups.create_group(
            admin,
            name="Nhóm",
            province_code=46,
            commune_code=commune,
            village=None,
            founded_on=date(2025, 1, 6),
            status=GroupStatus.ACTIVE,
            cadence=Cadence.WEEKLY,
            meeting_weekday=0,
            partner=None,
        )
        member = members.create_member(
            admin,
            group,
            full_name="Lê Thị Hoa",
            gender=Gender.FEMALE,
            birth_year=None,
            phone=None,
            category=MemberCategory.MIGRANT,
            notes=None,
            joined_on=date(2025, 1, 6),
            role=GroupRole.MEMBER,
        )
        draft_grant(admin, member, activity=Activity.CROPS, plan="Rau", amount_requested=9)
        group_id = group.id  # the models are of the newest schema: read nothing after this
        db.session.commit()
        downgrade(directory=str(MIGRATIONS), revision="0004")
        assert db.session.execute(text("SELECT province_code FROM members")).all() == [(46,)]
        assert db.session.execute(text("SELECT group_id, province_code FROM grants")).all() == [
            (group_id, 46)
        ]
        db.session.commit()
        upgrade_schema()
        assert db.session.execute(text("SELECT count(*) FROM grants")).scalar() == 1
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()
