"""Fixtures: a migrated database per session, emptied after every test.

The client's requests run in their own database sessions, as in production, so
factories commit what they make; cleanup empties every table but reference data.
"""

import os
import re
import shutil
import tempfile
from datetime import date
from types import SimpleNamespace

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import create_engine, exists, func, literal, make_url, select, text, union_all

from accounts import services as account_services
from accounts.models import Role
from app import create_app
from core.db import db
from core.schema import upgrade_schema
from groups.meeting_models import Meeting
from groups.models import Group, Member
from groups.services.schedule import get_stale_meeting_due_by
from groups.services.scope import derived_home_memberships
from livelihoods.models import Grant, Tranche
from reports.facts import members as member_facts
from reports.facts.build import group_month_rows
from reports.facts.grants import MONTH_COLUMNS, grant_days_select, grant_month_select
from reports.facts.member_models import MemberDirty, MemberGroupPeriod, MemberSpread
from reports.facts.models import (
    DirtyKey,
    GrantDays,
    GrantMonth,
    GroupMonth,
    OutcomeMonth,
    OutcomeValues,
)
from reports.facts.outcomes import MONTH_COLUMNS as OUTCOME_COLUMNS
from reports.facts.outcomes import outcome_month_select, outcome_values_select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "correct horse battery"
KEEP_TABLES = {"provinces", "communes", "alembic_version"}
HUE, QUANG_TRI, NGHE_AN, TAY_NINH = 46, 44, 40, 80


def compile_catalogs() -> None:
    """Build the .mo files the way `make` does, so plain `pytest` works too."""
    base = os.path.join(ROOT, "translations")
    for lang in os.listdir(base):
        po = os.path.join(base, lang, "LC_MESSAGES", "messages.po")
        if os.path.exists(po):
            with open(po, "rb") as f:
                catalog = read_po(f, locale=lang)
            # Written aside and renamed: another xdist worker may be reading it.
            mo = po[:-3] + ".mo"
            partial = f"{mo}.{os.getpid()}"
            with open(partial, "wb") as f:
                write_mo(f, catalog)
            os.replace(partial, mo)


def reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str, worker: str) -> str:
    """A PostgreSQL database of this pytest-xdist worker's own, next to the one named.

    Workers run at once, and every test empties the tables after itself: two workers on
    one database would empty each other's. `test` becomes `test_gw0`, `test_gw1`….
    """
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


# The second pass of `.ci/run` (and any run with TEST_DATABASE_URL) is on PostgreSQL.
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked `once` check what the database cannot change (the markup a page is
    written in, how a spreadsheet opens a file, the English of a walk already made in
    Vietnamese): they run on SQLite, and the PostgreSQL pass leaves them out."""
    if not ON_POSTGRES:
        return
    once = pytest.mark.skip(reason="does not depend on the database: runs on SQLite only")
    for item in items:
        if item.get_closest_marker("once"):
            item.add_marker(once)


def pytest_configure(config) -> None:
    """Under pytest-xdist, point TEST_DATABASE_URL at the worker's own database.

    Set in the environment, so tests that read it (migrations in a schema of their own)
    stay on the worker's database too.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if worker and url:
        os.environ["TEST_DATABASE_URL"] = worker_database(url, worker)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        reset_postgres(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def config_for(database_url: str, **extra) -> dict:
    engine_options = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        # A commit returns before its WAL is on disk: a crash of the test server could lose
        # the last commits (never corrupt them), which a test database can afford.
        # Kept beside the URL's own options (a test may set its search_path there).
        given = make_url(database_url).query.get("options", "")
        engine_options["connect_args"] = {"options": f"{given} -c synchronous_commit=off".strip()}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_SECURE": False,
        # Cheap hashes for speed; production keeps argon2-cffi's defaults.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        # Staff log in with a password only unless a test turns two-factor on
        # (production refuses to skip it).
        "TWO_FACTOR_SKIP": extra.get("ENV", "test") != "production",
        # Export jobs stay queued for the test to run (reports.export_runner.run_job), and
        # their files go to a folder of this test process, never to instance/.
        "EXPORT_JOBS_RUNNER": "none",
        "IMPORT_JOBS_RUNNER": "none",
        "EXPORT_DIR": os.path.join(tempfile.gettempdir(), f"tuluc-test-exports-{os.getpid()}"),
        **extra,
    }


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    compile_catalogs()
    app = create_app(config_for(database_url))
    with app.app_context():
        upgrade_schema()
        if db.engine.dialect.name == "postgresql":  # see empty_tables
            for table in db.metadata.sorted_tables:
                db.session.execute(
                    text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)')
                )
            db.session.commit()
        db.engine.dispose()
    return database_url


TRUNCATE_EVERY = 200
TRIGGER_WRITTEN = {"fact_dirty", "fact_member_dirty"}
_emptied = 0


def empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    # Deleting meetings marks their months for the analytics fold (a trigger): the marks
    # go last, so no test starts with another's.
    tables.sort(key=lambda t: t.name in TRIGGER_WRITTEN)
    if db.engine.dialect.name != "postgresql":
        for table in tables:
            db.session.execute(table.delete())
        db.session.commit()
        return
    # DELETE the rows a test wrote: TRUNCATE makes new files for each table it empties
    # (and for every table referring to it), which made teardown most of a test's time on
    # PostgreSQL. Left to autovacuum, deleted rows' slots would be handed to later inserts
    # out of order, so the test database never vacuums its tables (`migrated`) and is
    # truncated whole every few hundred tests instead. The append-only audit log refuses
    # DELETE (its trigger), so it alone is truncated.
    global _emptied
    _emptied += 1
    if _emptied % TRUNCATE_EVERY == 0:
        listed = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
    else:
        written = set(
            db.session.scalars(
                union_all(
                    *(
                        select(literal(t.name)).where(exists(select(1).select_from(t)))
                        for t in tables
                    )
                )
            ).all()
        )
        if "audit_events" in written:
            db.session.execute(text('TRUNCATE "audit_events"'))
        for table in tables:
            # The marks are written by the deletes above them: emptied whatever was found.
            if (table.name in written or table.name in TRIGGER_WRITTEN) and (
                table.name != "audit_events"
            ):
                db.session.execute(table.delete())
    # Ids start at 1 again in every test, as after TRUNCATE … RESTART IDENTITY.
    db.session.execute(
        text("SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'")
    )
    db.session.commit()


class Client(FlaskClient):
    """A test client that sends a valid CSRF token with every form, unless told not to."""

    def csrf_token(self) -> str:
        page = self.get("/__csrf__").get_data(as_text=True)  # any HTML page carries one
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        elif csrf and data is None:
            kwargs["data"] = {"csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


# Meetings whose tallies differ from their attendance rows (see groups.services.meetings.tally).
STALE_TALLIES = text(
    """
    SELECT m.id FROM meetings m
    LEFT JOIN (
        SELECT meeting_id,
               SUM(CASE WHEN status = 'present' THEN 1 ELSE 0 END) AS present,
               COUNT(*) AS marked
        FROM attendance GROUP BY meeting_id
    ) a ON a.meeting_id = m.id
    WHERE m.present_count <> COALESCE(a.present, 0) OR m.marked_count <> COALESCE(a.marked, 0)
    ORDER BY m.id
    """
)


def stale_tallies() -> list[int]:
    return list(db.session.scalars(STALE_TALLIES))


def stale_due_days() -> dict[int, tuple]:
    """Groups whose kept meeting_due_by is not what groups.services.schedule.meeting_due_by
    makes of them: id → (kept, expected)."""
    stale = get_stale_meeting_due_by()
    kept = dict(
        db.session.execute(
            select(Group.id, Group.meeting_due_by).where(Group.id.in_(list(stale)))
        ).all()
    )
    return {group_id: (kept.get(group_id), due) for group_id, due in stale.items()}


def stale_home_groups() -> list[tuple]:
    """Members whose kept home_group_id is not the group their memberships give:
    (member id, kept, derived)."""
    derived = derived_home_memberships()
    return [
        tuple(row)
        for row in db.session.execute(
            select(Member.id, Member.home_group_id, derived.c.group_id)
            .outerjoin(derived, derived.c.member_id == Member.id)
            .where(Member.home_group_id.is_distinct_from(derived.c.group_id))
        )
    ]


def stale_paid_totals() -> list[tuple]:
    """Grants whose kept paid_vnd is not the sum of their tranches: (grant id, kept, sum)."""
    paid = (
        select(func.coalesce(func.sum(Tranche.amount), 0))
        .where(Tranche.grant_id == Grant.id)
        .scalar_subquery()
    )
    return [
        tuple(row)
        for row in db.session.execute(
            select(Grant.id, Grant.paid_vnd, paid).where(Grant.paid_vnd != paid)
        )
    ]


def stale_first_payments() -> list[tuple]:
    """Grants whose kept first_tranche_on is not their earliest tranche's day: (id, kept, day)."""
    first = select(func.min(Tranche.paid_on)).where(Tranche.grant_id == Grant.id).scalar_subquery()
    return [
        tuple(row)
        for row in db.session.execute(
            select(Grant.id, Grant.first_tranche_on, first).where(
                Grant.first_tranche_on.is_distinct_from(first)
            )
        )
    ]


def stale_facts() -> dict:
    """(group, month) → (kept, from the meetings) for every key not marked whose facts
    differ from its meetings: empty when the facts are right."""
    marked = {tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))}
    kept = {
        (r.group_id, r.month): (r.held, r.on_time, r.present, r.marks)
        for r in db.session.scalars(select(GroupMonth))
    }
    keys = {
        (g, d.replace(day=1))
        for g, d in db.session.execute(select(Meeting.group_id, Meeting.held_on))
    }
    live = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in group_month_rows(sorted(keys))}
    # The grant and visit facts, against what reports.facts.grants and outcomes make of
    # every key now.
    every = lambda g, m, day: []  # noqa: E731
    for model, made, columns in (
        (GrantMonth, grant_month_select(every), MONTH_COLUMNS),
        (GrantDays, grant_days_select(every), ("measure", "days", "n")),
        (OutcomeMonth, outcome_month_select(every), OUTCOME_COLUMNS),
        (OutcomeValues, outcome_values_select(every), ("measure", "value", "n")),
    ):
        for found, rows in ((kept, select(*model.__table__.c)), (live, made)):
            for r in db.session.execute(rows).mappings():
                key = (model.__tablename__, r["group_id"], date.fromisoformat(str(r["month"])[:10]))
                values = tuple(v if isinstance(v, str) else int(v) for v in map(r.get, columns))
                if model in (GrantDays, OutcomeValues):  # every (measure, value, n) of the key
                    found[key] = tuple(sorted((*found.get(key, ()), values)))
                else:
                    found[key] = values
    return {
        k: (kept.get(k), live.get(k))
        for k in (set(kept) | set(live))
        if (k[-2], k[-1]) not in marked and kept.get(k) != live.get(k)
    }


def _member_facts_kept() -> dict:
    """The member facts of every group not marked, as rows."""
    marked = set(db.session.scalars(select(MemberDirty.group_id)))
    out: dict = {}
    for model in (MemberGroupPeriod, MemberSpread):
        for row in db.session.execute(select(*model.__table__.c)).mappings():
            if row["group_id"] not in marked:
                key = (model.__tablename__, *(str(row[c]) for c in ("group_id", "start", "end")))
                out.setdefault(key, []).append(tuple(sorted((k, str(v)) for k, v in row.items())))
    return {k: sorted(v) for k, v in out.items()}


def stale_member_facts() -> dict:
    """(table, group, start, end) → (kept, made now) for the member facts of every group not
    marked that differ from what a fold would make of the memberships now: empty when they
    are right, or when nothing was ever folded (every member figure is then read live)."""
    if member_facts.horizon() is None:
        return {}
    kept = _member_facts_kept()
    marked = set(db.session.scalars(select(MemberDirty.group_id)))
    with db.session.begin_nested() as savepoint:
        member_facts.mark_all()
        member_facts.fold()
        made = _member_facts_kept()
        savepoint.rollback()
    return {
        k: (kept.get(k), made.get(k))
        for k in set(kept) | set(made)
        if int(k[1]) not in marked and kept.get(k) != made.get(k)
    }


@pytest.fixture
def app(migrated):
    app = create_app(config_for(migrated))
    app.test_client_class = Client
    yield app
    with app.app_context():
        db.session.rollback()
        # Every test that writes attendance, by whatever path, checks that the meetings'
        # tallies were written with it.
        stale = stale_tallies()
        # And every writer of meetings and groups keeps each group's meeting_due_by.
        due = stale_due_days()
        # And the database keeps every member's home group with their memberships.
        homes = stale_home_groups()
        # And each grant's paid total with its payments.
        paid = stale_paid_totals()
        # And its first payment day.
        first_paid = stale_first_payments()
        # And the analytics tables with the meetings, for every key not marked to fold.
        facts = stale_facts()
        # And the member facts with the memberships, for every group not marked to fold.
        member_stale = stale_member_facts()
        empty_tables()
        db.engine.dispose()
    shutil.rmtree(app.config["EXPORT_DIR"], ignore_errors=True)  # the export jobs' files
    assert not stale, f"meetings whose tallies differ from their attendance: {stale}"
    assert not due, f"groups whose meeting_due_by is not kept (kept, expected): {due}"
    assert not homes, f"members whose home group is not kept (id, kept, derived): {homes}"
    assert not paid, f"grants whose paid total is not kept (id, kept, payments): {paid}"
    assert not first_paid, f"grants whose first payment is not kept (id, kept, day): {first_paid}"
    assert not facts, f"facts that differ from their meetings ((group, month): kept, live): {facts}"
    assert not member_stale, f"member facts that differ from the memberships: {member_stale}"


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create and commit a user; returns id, username, password and role."""
    counter = iter(range(1, 10_000))

    def make(
        role: Role = Role.FACILITATOR,
        *,
        username: str | None = None,
        password: str = PASSWORD,
        provinces=(),
        full_name: str = "Nguyễn Thị Hoa",
        active: bool = True,
        must_change_password: bool = False,
    ):
        if role == Role.COORDINATOR and not provinces:
            provinces = (HUE,)
        username = username or f"{role.value}{next(counter)}"
        with app.app_context():
            user = account_services.create_user(
                None,
                username=username,
                full_name=full_name,
                role=role,
                password=password,
                province_codes=provinces,
                must_change_password=must_change_password,
            )
            user.active = active
            db.session.commit()
            return SimpleNamespace(
                id=user.id,
                username=user.username,
                password=password,
                role=role,
                provinces=tuple(provinces),
            )

    return make


def login(client: Client, user, *, follow: bool = False):
    """Log in through the page a person of that role uses (members: code and PIN)."""
    if getattr(user, "role", None) == Role.MEMBER:
        url, data = "/login/member", {"code": user.username, "pin": user.password}
    else:
        url, data = "/login", {"username": user.username, "password": user.password}
    response = client.post(url, data=data, follow_redirects=follow)
    if not follow:
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login_as(client, make_user):
    """Log the client in as a new user of the given role; returns the user."""

    def do(role: Role = Role.FACILITATOR, **kwargs):
        user = make_user(role, **kwargs)
        login(client, user)
        return user

    return do


# Groups ------------------------------------------------------------------------------


@pytest.fixture
def make_group(app):
    """Create and commit a group; returns its id, code and province."""
    from datetime import date

    from groups.models import Cadence, GroupStatus
    from groups.services import groups as group_services

    def make(
        province_code: int = HUE,
        *,
        facilitators=(),
        name: str = "Nhóm Thôn Đông",
        founded_on: date = date(2025, 1, 6),
        status: GroupStatus = GroupStatus.ACTIVE,
        cadence: Cadence = Cadence.WEEKLY,
        meeting_weekday: int = 0,
        commune_code: int | None = None,
    ):
        with app.app_context():
            from sqlalchemy import select

            from core.places import Commune

            if commune_code is None:
                commune_code = db.session.scalar(
                    select(Commune.code)
                    .where(Commune.province_code == province_code)
                    .order_by(Commune.code)
                )
            admin = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)
            group = group_services.create_group(
                admin,
                name=name,
                province_code=province_code,
                commune_code=commune_code,
                village="Thôn Đông",
                founded_on=founded_on,
                status=status,
                cadence=cadence,
                meeting_weekday=meeting_weekday,
                partner=None,
                facilitator_ids=[f.id for f in facilitators],
            )
            db.session.commit()
            return SimpleNamespace(
                id=group.id, code=group.code, province_code=province_code, commune_code=commune_code
            )

    return make


@pytest.fixture
def make_member(app):
    """Create and commit a member of a group; returns its id and code."""
    from datetime import date

    from groups.models import ConsentPurpose, Gender, Group, GroupRole, MemberCategory
    from groups.services import members as member_services

    def make(
        group,
        *,
        full_name: str = "Trần Thị Mai",
        joined_on: date = date(2025, 1, 6),
        category: MemberCategory = MemberCategory.MIGRANT,
        phone: str | None = None,
        role: GroupRole = GroupRole.MEMBER,
    ):
        with app.app_context():
            actor = SimpleNamespace(id=None)
            member = member_services.create_member(
                actor,
                db.session.get(Group, group.id),
                full_name=full_name,
                gender=Gender.FEMALE,
                birth_year=1990,
                phone=phone,
                category=category,
                notes=None,
                joined_on=joined_on,
                role=role,
                consents=[ConsentPurpose.PROGRAMME_DATA],
            )
            db.session.commit()
            return SimpleNamespace(
                id=member.id, code=member.code, full_name=full_name, group_id=group.id
            )

    return make


@pytest.fixture
def make_meeting(app):
    """Record and commit a meeting; marks maps member ids to 'present'/'absent'/'excused'.
    Members of the group not in marks are marked present."""
    from datetime import date

    from groups.meeting_models import AttendanceStatus, MeetingKind
    from groups.models import Group
    from groups.services import meetings as meeting_services

    def make(
        group, held_on: date, marks: dict | None = None, kind: MeetingKind = MeetingKind.REGULAR
    ):
        with app.app_context():
            actor = SimpleNamespace(id=None)
            members = meeting_services.members_on(group.id, held_on)
            all_marks = {m.id: AttendanceStatus.PRESENT for m in members}
            all_marks.update({k: AttendanceStatus(v) for k, v in (marks or {}).items()})
            meeting = meeting_services.record_meeting(
                actor,
                db.session.get(Group, group.id),
                held_on=held_on,
                kind=kind,
                topics=None,
                decisions=None,
                marks=all_marks,
                today=held_on,
            )
            db.session.commit()
            return SimpleNamespace(id=meeting.id, group_id=group.id, held_on=held_on)

    return make


def scripts_beyond_the_outbox(html: str) -> list[str]:
    """The page's script tags other than the offline outbox (static/outbox.js, a
    progressive enhancement that nothing depends on): a page that works without
    JavaScript has none."""
    return [s for s in re.findall(r"<script\b[^>]*>", html) if "/static/outbox.js" not in s]
