"""Statements and time per request at two database sizes, through the test client.

    .venv/bin/python -m bench.requests [--database-url postgresql://postgres@127.0.0.1/test]

Builds a SMALL data set, measures every scenario as the facilitator, grows the same
database to LARGE, measures again, and prints one table. A scenario whose statement
count differs between the sizes runs a query per row somewhere (see bench/README.md).
"""

import argparse
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import event, func, insert, select, text

from accounts import services as account_services
from accounts.models import Role
from app import create_app
from bench.harness import CHUNK, bench_config, check_local, reset_postgres
from core.clock import today
from core.db import db
from core.places import Commune, Province
from core.schema import upgrade_schema
from demo.data import FAMILY, FEMALE, MALE, TOPICS
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import (
    Cadence,
    Consent,
    ConsentPurpose,
    Gender,
    Group,
    GroupRole,
    GroupStatus,
    Member,
    MemberCategory,
    Membership,
)
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services import schedule
from groups.services.codes import next_code

HUE = 46
PASSWORD = "bench-password"
REPEATED = 5  # this many runs of one statement in a request look like a loop over rows


@dataclass(frozen=True)
class Size:
    name: str
    groups: int
    members: int  # per group
    meetings: int  # per group, weekly, the latest ones before today


@dataclass
class Result:
    statements: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    last_sql: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """The usual count: a session touch (once a minute) can add one now and then."""
        return Counter(self.statements).most_common(1)[0][0]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


class StatementCounter:
    """Counts every statement the engine sends to a cursor (executemany counts once)."""

    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements = []


# Database ------------------------------------------------------------------------------


# Data ----------------------------------------------------------------------------------


class Builder:
    """Users and groups through the services; members, meetings and attendance in bulk."""

    def __init__(self, app, day: date):
        self.app, self.day = app, day
        self.rng = random.Random(2026)
        self.founded_on = day - timedelta(days=400)
        self.groups: list[int] = []
        self.meetings: dict[int, int] = {}  # group id -> meetings inserted so far
        self.members: dict[int, list[int]] = {}
        with app.app_context():
            upgrade_schema()
            for username, role, provinces in (
                ("admin", Role.ADMIN, ()),
                ("coordinator", Role.COORDINATOR, (HUE,)),
                ("facilitator", Role.FACILITATOR, ()),
            ):
                account_services.create_user(
                    None,
                    username=username,
                    full_name="Nguyễn Thị Lan",
                    role=role,
                    password=PASSWORD,
                    province_codes=provinces,
                )
            db.session.commit()
            self.admin_id = account_services.get_user_by_username("admin").id
            self.facilitator_id = account_services.get_user_by_username("facilitator").id
            self.communes = list(
                db.session.scalars(
                    select(Commune.code).where(Commune.province_code == HUE).order_by(Commune.code)
                )
            )
            self.abbreviation = db.session.get(Province, HUE).abbreviation

    def grow_to(self, size: Size) -> None:
        with self.app.app_context():
            admin = account_services.get_user_by_username("admin")
            new = []
            for i in range(len(self.groups), size.groups):
                group = group_services.create_group(
                    admin,
                    name=f"Nhóm {i + 1}",
                    province_code=HUE,
                    commune_code=self.communes[i % len(self.communes)],
                    village="Thôn Đông",
                    founded_on=self.founded_on,
                    status=GroupStatus.ACTIVE,
                    cadence=Cadence.WEEKLY,
                    meeting_weekday=i % 6,
                    partner=None,
                    facilitator_ids=[self.facilitator_id],
                )
                self.groups.append(group.id)
                self.meetings[group.id] = 0
                new.append(group.id)
            self._add_members(new, size.members)
            self._settle()
            self._add_meetings(size.meetings)
            self._settle()

    def _settle(self) -> None:
        """Commit a step of the load; on PostgreSQL also analyze, as autovacuum soon would.

        Without fresh statistics, the foreign-key checks of the next step are planned for
        near-empty tables and every attendance row gets slower (minutes for 300,000).
        """
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    def _add_members(self, group_ids: list[int], per_group: int) -> None:
        if not group_ids:
            return
        prefix = f"{self.abbreviation}-{self.founded_on.year}-"
        number = int(next_code(Member.code, prefix, 4)[len(prefix) :])
        before = db.session.scalar(select(func.coalesce(func.max(Member.id), 0)))
        rows, group_of = [], {}
        for group_id in group_ids:
            for _ in range(per_group):
                gender = Gender.MALE if self.rng.random() < 0.15 else Gender.FEMALE
                middle, given = self.rng.choice(FEMALE if gender == Gender.FEMALE else MALE)
                name = SimpleNamespace()
                member_services.set_name(name, f"{self.rng.choice(FAMILY)} {middle} {given}")
                code = f"{prefix}{number:04d}"
                number += 1
                group_of[code] = group_id
                rows.append(
                    dict(
                        code=code,
                        full_name=name.full_name,
                        search_name=name.search_name,
                        sort_key=name.sort_key,
                        gender=gender,
                        birth_year=self.rng.randint(1970, 2005),
                        phone=None,
                        category=self.rng.choice(list(MemberCategory)),
                        notes=None,
                        created_by_id=self.admin_id,
                    )
                )
        execute_many(Member, rows)
        members, consents = [], []
        for member_id, code in db.session.execute(
            select(Member.id, Member.code).where(Member.id > before).order_by(Member.id)
        ):
            group_id = group_of[code]
            k = len(self.members.setdefault(group_id, []))
            self.members[group_id].append(member_id)
            members.append(
                dict(
                    member_id=member_id,
                    group_id=group_id,
                    joined_on=self.founded_on,
                    role=GroupRole.LEADER
                    if k == 0
                    else GroupRole.TREASURER
                    if k == 1
                    else GroupRole.MEMBER,
                    recorded_by_id=self.admin_id,
                )
            )
            consents.append(
                dict(
                    member_id=member_id,
                    purpose=ConsentPurpose.PROGRAMME_DATA,
                    given_on=self.founded_on,
                    recorded_by_id=self.admin_id,
                )
            )
        execute_many(Membership, members)
        execute_many(Consent, consents)

    def _add_meetings(self, per_group: int) -> None:
        """Bring every group to per_group weekly meetings: the latest on its schedule."""
        before = db.session.scalar(select(func.coalesce(func.max(Meeting.id), 0)))
        rows = []
        for group in db.session.scalars(select(Group).where(Group.id.in_(self.groups))):
            days = schedule.expected_dates(
                group, self.day - timedelta(days=364), self.day - timedelta(days=1)
            )
            if len(days) < per_group:
                raise SystemExit(f"only {len(days)} meeting days in a year for {group.code}")
            for held_on in days[-per_group : len(days) - self.meetings[group.id]]:
                rows.append(
                    dict(
                        group_id=group.id,
                        held_on=held_on,
                        kind=MeetingKind.REGULAR,
                        topics=self.rng.choice(TOPICS),
                        decisions=None,
                        recorded_by_id=self.facilitator_id,
                    )
                )
            self.meetings[group.id] = per_group
        execute_many(Meeting, rows)
        schedule.refresh_meeting_due_by(self.groups)
        self._settle()
        marks, statuses = [], {}
        for meeting_id, group_id in db.session.execute(
            select(Meeting.id, Meeting.group_id).where(Meeting.id > before).order_by(Meeting.id)
        ):
            for member_id in self.members[group_id]:
                r = self.rng.random()
                status = (
                    AttendanceStatus.PRESENT
                    if r < 0.82
                    else AttendanceStatus.EXCUSED
                    if r < 0.9
                    else AttendanceStatus.ABSENT
                )
                marks.append(dict(meeting_id=meeting_id, member_id=member_id, status=status))
                statuses.setdefault(meeting_id, []).append(status)
            if len(marks) >= CHUNK:
                execute_many(Attendance, marks)
                meeting_services.add_to_tallies(statuses)
                marks, statuses = [], {}
        execute_many(Attendance, marks)
        meeting_services.add_to_tallies(statuses)

    def counts(self) -> str:
        with self.app.app_context():
            n = {
                model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Group, Member, Meeting, Attendance)
            }
            # The data must be what the app itself would accept: everyone marked, once.
            group_id = self.groups[-1]
            current = meeting_services.members_on(group_id, self.day)
            assert [m.id for m in current] and len(current) == len(self.members[group_id])
        return ", ".join(f"{v:,} {k}" for k, v in n.items())


def execute_many(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start : start + CHUNK])


# Requests ------------------------------------------------------------------------------


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)  # the footer's language form has one
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client) -> str:
    response = client.post(
        "/login",
        data={"username": "facilitator", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    # Logging in starts a clean cookie session, so take a token from inside it.
    page = client.get("/members").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


class Scenarios:
    """The requests, each as (label, method, url, form data, expected status)."""

    def __init__(
        self,
        client,
        token: str,
        shown_group: int,
        recorded_group: int,
        members: list[int],
        weekday: int,
        day: date,
        founded_on: date,
    ):
        self.client, self.token = client, token
        self.shown_group, self.recorded_group, self.members = shown_group, recorded_group, members
        # Days with no meeting yet: not the group's meeting weekday, newest first.
        self.free_days = (
            d
            for d in (day - timedelta(days=n) for n in range(1, 365))
            if d.weekday() != weekday and d > founded_on
        )

    def requests(self):
        yield "GET /healthz", lambda: ("GET", "/healthz", None, 200)
        yield "POST /groups/<id>/meetings/new", self.record_meeting
        yield "GET /groups/<id>", lambda: ("GET", f"/groups/{self.shown_group}", None, 200)
        yield "GET /members", lambda: ("GET", "/members", None, 200)
        yield "GET /members?q=nguyen", lambda: ("GET", "/members?q=nguyen", None, 200)

    def record_meeting(self):
        statuses = ("present", "present", "present", "absent", "excused")
        data = {
            "held_on": next(self.free_days).isoformat(),
            "kind": "regular",
            "topics": "Kế hoạch vay vốn nhóm",
            "decisions": "Họp lại tuần sau",
            "csrf_token": self.token,
        }
        data.update({f"att-{m}": statuses[i % len(statuses)] for i, m in enumerate(self.members)})
        return "POST", f"/groups/{self.recorded_group}/meetings/new", data, 302

    def run(self, counter: StatementCounter, runs: int, warmup: int) -> dict[str, Result]:
        """Round robin, one request of each scenario per round, so that a busy moment of
        the machine slows the baseline as much as the rest."""
        scenarios = list(self.requests())
        results = {label: Result() for label, _ in scenarios}
        for i in range(warmup + runs):
            for label, make in scenarios:
                statements, elapsed = self.send(counter, *make())
                if i >= warmup:
                    result = results[label]
                    result.statements.append(len(statements))
                    result.seconds.append(elapsed)
                    result.last_sql = Counter(" ".join(s.split()) for s in statements)
        return results

    def send(self, counter, method, url, data, expected) -> tuple[list[str], float]:
        counter.reset()
        start = time.perf_counter()
        response = self.client.open(url, method=method, data=data)
        elapsed = time.perf_counter() - start
        statements = list(counter.statements)
        if response.status_code != expected:
            body = response.get_data(as_text=True)
            raise SystemExit(
                f"{method} {url}: {response.status_code}, not {expected}\n{body[:2000]}"
            )
        if method == "POST":
            # Not shown to anyone; do not let 60 flashes pile up in the cookie.
            with self.client.session_transaction() as session:
                session.pop("_flashes", None)
        return statements, elapsed


# Report --------------------------------------------------------------------------------


def print_table(results: dict[tuple[str, str], Result], sizes: list[Size]) -> None:
    labels = list(dict.fromkeys(label for label, _ in results))
    width = max(len(label) for label in labels)
    print(f"{'scenario':<{width}} | size  | statements/request | median ms | × healthz")
    print(f"{'-' * width}-|-------|--------------------|-----------|----------")
    for label in labels:
        for size in sizes:
            r = results[label, size.name]
            base = results["GET /healthz", size.name].median_ms
            spread = (
                ""
                if min(r.statements) == max(r.statements)
                else f" ({min(r.statements)}–{max(r.statements)})"
            )
            print(
                f"{label:<{width}} | {size.name:<5} | {str(r.count) + spread:>18} | "
                f"{r.median_ms:9.2f} | {r.median_ms / base:8.1f}"
            )
    print()
    small, large = sizes
    print(f"Statements per request, {small.name} -> {large.name}:")
    for label in labels:
        a, b = results[label, small.name], results[label, large.name]
        verdict = (
            "constant"
            if a.count == b.count
            else (
                f"GROWS: {a.count} -> {b.count}"
                if b.count > a.count
                else f"SHRINKS: {a.count} -> {b.count}"
            )
        )
        print(f"  {label:<{width}}  {verdict}")
        if a.count != b.count:
            for sql, n in (b.last_sql - a.last_sql).most_common(5):
                print(f"      +{n} × {sql[:150]}")
    # A query per row of a page is as many at both sizes once the page is full.
    repeated = [
        (label, n, sql)
        for label in labels
        for sql, n in results[label, large.name].last_sql.items()
        if n >= REPEATED and sql != "BEGIN IMMEDIATE"
    ]
    print(
        f"\nThe same statement {REPEATED}+ times in one {large.name} request:"
        + ("" if repeated else " none")
    )
    for label, n, sql in repeated:
        print(f"  {label}: {n} × {sql[:150]}")


def print_sql(results: dict[tuple[str, str], Result]) -> None:
    for (label, size), r in results.items():
        print(f"\n{label} ({size}), last request:")
        for sql, n in r.last_sql.items():
            print(f"  {n:>3} × {sql[:150]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.requests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        help="a local PostgreSQL URL; its public schema "
        "is dropped and recreated (default: SQLite in a temporary directory)",
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--large-groups",
        type=int,
        default=200,
        help="groups in LARGE (30 members, 50 meetings each)",
    )
    parser.add_argument("--timeout", type=int, default=170, help="give up after so many seconds")
    parser.add_argument(
        "--sql",
        action="store_true",
        help="also print the statements of each scenario's last request",
    )
    args = parser.parse_args(argv)
    sizes = [Size("SMALL", 2, 30, 20), Size("LARGE", max(args.large_groups, 2), 30, 50)]

    def give_up(signum, frame):
        raise SystemExit(f"bench: gave up after {args.timeout} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tuluc-bench-") as tmp:
        if args.database_url:
            check_local(args.database_url)
            reset_postgres(args.database_url)
            url = args.database_url
        else:
            url = "sqlite:///" + tmp + "/bench.sqlite3"
        app = create_app(bench_config(url, tmp))
        day = today()
        builder = Builder(app, day)
        with app.app_context():
            engine = db.engine
        counter = StatementCounter(engine)
        client = app.test_client()
        results: dict[tuple[str, str], Result] = {}
        scenarios = None
        print(
            f"database: {engine.dialect.name}; {args.runs} timed requests per scenario "
            f"after {args.warmup} untimed"
        )
        for size in sizes:
            t = time.perf_counter()
            builder.grow_to(size)
            print(f"{size.name}: {builder.counts()} (built in {time.perf_counter() - t:.1f} s)")
            if scenarios is None:
                shown, recorded = builder.groups[0], builder.groups[1]
                with app.app_context():
                    weekday = db.session.get(Group, recorded).meeting_weekday
                scenarios = Scenarios(
                    client,
                    log_in(client),
                    shown,
                    recorded,
                    builder.members[recorded],
                    weekday,
                    day,
                    builder.founded_on,
                )
            for label, result in scenarios.run(counter, args.runs, args.warmup).items():
                results[label, size.name] = result
        print()
        print_table(results, sizes)
        if args.sql:
            print_sql(results)
        with app.app_context():
            db.engine.dispose()
    signal.alarm(0)
    print(f"\nTotal {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
