"""Statements, time and rows of the follow-up jobs, at two database sizes.

    .venv/bin/python -m bench.sweep [--database-url postgresql://postgres@127.0.0.1:5432/tuluc_bench]

Builds a SMALL data set (4 provinces) and runs daily_sweep, escalate_overdue and
weekly_digest for one day, each twice (the second run must be skipped by its claim); then
builds a LARGE, national data set (34 provinces, 20,000 disbursed grants, 80,000
follow-ups) in a fresh database and does the same. Prints one table. A job whose
statement count differs between the sizes runs a statement per row somewhere (see
bench/README.md).

    .venv/bin/python -m bench.sweep --scale-a 0.1 --scale-b 1 [--database-url …]

does the same on the national data set of bench.dataset at the two scales (on SQLite a copy
of the file bench.pages keeps, built first if missing), for the data set's day, and checks
the daily sweep's targets: statements constant, time per follow-up processed (reminders and
home visits created) growing at most 1.5×, peak memory growing by less than 20 MB.
"""

import argparse
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from types import SimpleNamespace

from sqlalchemy import event, func, insert, select, text

from accounts import services as account_services
from accounts.models import Role, User, user_provinces
from app import create_app
from bench.requests import CHUNK, bench_config, check_local, reset_postgres
from core.clock import today as today_in_vietnam
from core.db import db
from core.notify import Notification
from core.places import Commune, Province
from core.schema import upgrade_schema
from demo.data import FAMILY, FEMALE, MALE, TOPICS, VILLAGES
from groups.models import (
    Attendance,
    AttendanceStatus,
    Cadence,
    Consent,
    ConsentPurpose,
    Gender,
    Group,
    GroupRole,
    GroupStatus,
    Meeting,
    MeetingKind,
    Member,
    MemberCategory,
    Membership,
    group_facilitators,
)
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services import schedule
from livelihoods import jobs
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantStatus,
    Method,
    Outcome,
    Tranche,
    Visit,
)
from livelihoods.services import DEFAULT_CHECK_MONTHS, add_months

PASSWORD = "bench-password"
SEED_PROVINCES = (46, 44, 42, 40)  # Huế, Quảng Trị, Hà Tĩnh, Nghệ An: SMALL's provinces
GROUPS_PER_FACILITATOR = 4
CO_FACILITATED = 0.10  # share of groups with a second facilitator
COORDINATORS_PER_PROVINCE = 2
PROVINCES_PER_REGIONAL = 8  # and one regional coordinator per so many provinces
BEHIND = 0.08  # groups whose last three meetings did not happen
PAUSED = 0.03
SUBMITTED_PER_50 = 1  # grants waiting for a decision, besides the disbursed ones


@dataclass(frozen=True)
class Size:
    name: str
    provinces: int
    groups: int
    members: int  # per group
    meetings: int  # latest regular meetings per group, on its schedule
    grants: int  # disbursed, one tranche and four follow-ups each


SMALL = Size("SMALL", provinces=4, groups=50, members=25, meetings=16, grants=1_000)
LARGE = Size("LARGE", provinces=34, groups=1_000, members=25, meetings=16, grants=20_000)


PARAM = r"(?:\?|%\([^)]*\)s(?:::[A-Z]+)?)"  # SQLite ?, psycopg %(name)s::TYPE
IN_LIST = re.compile(rf"\({PARAM}(?:, {PARAM})*\)")


def shape(sql: str) -> str:
    """A statement with its IN (…) lists folded, so that 3 and 300 ids read the same."""
    return IN_LIST.sub("(…)", sql)


class StatementLog:
    """Every statement the engine sends to a cursor, with its time (executemany: once)."""

    def __init__(self, engine):
        self.statements: list[tuple[str, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info.pop("bench_started", None)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        self.statements.append((" ".join(statement.split()), elapsed))

    def reset(self) -> None:
        self.statements = []


# Data ----------------------------------------------------------------------------------


def execute_many(table, rows: list[dict]) -> None:
    """insert(table) executemany in chunks; table is a model or a plain Table."""
    table = getattr(table, "__table__", table)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def utc(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=UTC)


class Builder:
    """One data set, in bulk, with rows the app itself would accept."""

    def __init__(self, size: Size, day: date, seed: int = 2026):
        self.size, self.day = size, day
        self.rng = random.Random(seed)
        self.names: dict[str, SimpleNamespace] = {}
        self.summary: dict[str, int] = {}

    def build(self) -> None:
        upgrade_schema()
        admin = account_services.create_user(
            None,
            username="admin",
            full_name="Trần Quốc Bảo",
            role=Role.ADMIN,
            password=PASSWORD,
        )
        db.session.commit()
        self.admin_id, self.password_hash = admin.id, admin.password_hash
        self._places()
        self._users_and_groups()
        self._settle()
        self._members()
        self._settle()
        self._meetings()
        self._settle()
        self._attendance()
        self._settle()
        self._grants()
        self._settle()
        self._follow_ups()
        self._settle()

    def _settle(self) -> None:
        """Commit a step; on PostgreSQL also ANALYZE, as autovacuum soon would (without
        fresh statistics the foreign-key checks of the next step crawl)."""
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    def _name(self, gender: Gender) -> SimpleNamespace:
        middle, given = self.rng.choice(FEMALE if gender == Gender.FEMALE else MALE)
        full = f"{self.rng.choice(FAMILY)} {middle} {given}"
        if full not in self.names:
            name = SimpleNamespace()
            member_services.set_name(name, full)
            self.names[full] = name
        return self.names[full]

    def _places(self) -> None:
        codes = list(db.session.scalars(select(Province.code).order_by(Province.code)))
        ordered = [c for c in SEED_PROVINCES if c in codes] + [
            c for c in codes if c not in SEED_PROVINCES
        ]
        self.provinces = ordered[: self.size.provinces]
        self.abbreviation = {
            p.code: p.abbreviation
            for p in db.session.scalars(select(Province).where(Province.code.in_(self.provinces)))
        }
        self.communes: dict[int, list[int]] = {}
        for code, province_code in db.session.execute(
            select(Commune.code, Commune.province_code)
            .where(Commune.province_code.in_(self.provinces))
            .order_by(Commune.code)
        ):
            self.communes.setdefault(province_code, []).append(code)

    def _users_and_groups(self) -> None:
        size, rng = self.size, self.rng
        # Users: facilitators (4 groups each), 2 coordinators per province, regionals.
        users, provinces_of = [], {}
        n_facilitators = math.ceil(size.groups / GROUPS_PER_FACILITATOR)
        for i in range(n_facilitators):
            users.append(self._user(f"fac{i + 1:04d}", Role.FACILITATOR))
        for p in self.provinces:
            for k in range(COORDINATORS_PER_PROVINCE):
                username = f"coord-{self.abbreviation[p].lower()}-{k + 1}"
                users.append(self._user(username, Role.COORDINATOR))
                provinces_of[username] = [p]
        regionals = max(1, len(self.provinces) // PROVINCES_PER_REGIONAL)
        for r in range(regionals):
            username = f"coord-region-{r + 1}"
            users.append(self._user(username, Role.COORDINATOR))
            provinces_of[username] = self.provinces[r::regionals]
        execute_many(User, users)
        ids = dict(db.session.execute(select(User.username, User.id)).all())
        self.facilitators = [ids[f"fac{i + 1:04d}"] for i in range(n_facilitators)]
        self.coordinators_of: dict[int, list[int]] = {}
        links = []
        for username, codes in provinces_of.items():
            for p in codes:
                links.append(dict(user_id=ids[username], province_code=p))
                self.coordinators_of.setdefault(p, []).append(ids[username])
        execute_many(user_provinces, links)
        self.summary["coordinators"] = len(provinces_of)
        self.summary["facilitators"] = n_facilitators

        # Groups: at least one per province, the rest by uneven provincial weights.
        weights = [rng.randint(1, 4) for _ in self.provinces]
        province_of_group = list(self.provinces) + rng.choices(
            self.provinces, weights, k=size.groups - len(self.provinces)
        )
        numbers: Counter = Counter()
        rows, self.group_plan = [], []
        for i, p in enumerate(province_of_group):
            numbers[p] += 1
            code = f"{self.abbreviation[p]}-N{numbers[p]:03d}"
            r = rng.random()
            cadence = (
                Cadence.WEEKLY if r < 0.7 else Cadence.FORTNIGHTLY if r < 0.9 else Cadence.MONTHLY
            )
            s = rng.random()
            status, skipped = (
                (GroupStatus.PAUSED, 6)
                if s < PAUSED
                else (GroupStatus.ACTIVE, 3)
                if s < PAUSED + BEHIND
                else (GroupStatus.ACTIVE, 0)
            )
            founded_on = self.day - timedelta(days=rng.randint(480, 620))
            row = dict(
                code=code,
                name=f"Nhóm {rng.choice(VILLAGES)} {numbers[p]}",
                province_code=p,
                commune_code=rng.choice(self.communes[p]),
                village=rng.choice(VILLAGES),
                founded_on=founded_on,
                status=status,
                cadence=cadence,
                meeting_weekday=rng.randint(0, 6),
                partner=None,
                created_at=utc(founded_on),
            )
            rows.append(row)
            self.group_plan.append(
                (code, row, skipped, self.facilitators[i // GROUPS_PER_FACILITATOR])
            )
        execute_many(Group, rows)
        ids = dict(db.session.execute(select(Group.code, Group.id)).all())
        self.groups = []  # (id, province, plan row, meetings skipped, facilitators)
        links = []
        for code, row, skipped, facilitator in self.group_plan:
            group_id = ids[code]
            helpers = [facilitator]
            if rng.random() < CO_FACILITATED and len(self.facilitators) > 1:
                helpers.append(rng.choice([f for f in self.facilitators if f != facilitator]))
            links += [dict(group_id=group_id, user_id=u) for u in helpers]
            self.groups.append((group_id, row["province_code"], row, skipped, helpers))
        execute_many(group_facilitators, links)
        self.summary["groups"] = len(self.groups)

    def _user(self, username: str, role: Role) -> dict:
        gender = Gender.MALE if self.rng.random() < 0.4 else Gender.FEMALE
        return dict(
            username=username,
            full_name=self._name(gender).full_name,
            role=role,
            password_hash=self.password_hash,
            active=True,
            must_change_password=False,
            locale="vi",
            email=f"{username}@example.org",
            created_at=utc(self.day - timedelta(days=700)),
        )

    def _members(self) -> None:
        rng = self.rng
        rows, group_of = [], {}
        numbers: Counter = Counter()
        for group_id, p, plan, _skipped, _helpers in self.groups:
            prefix = f"{self.abbreviation[p]}-{plan['founded_on'].year}-"
            for _ in range(self.size.members):
                numbers[prefix] += 1
                code = f"{prefix}{numbers[prefix]:04d}"
                gender = Gender.MALE if rng.random() < 0.15 else Gender.FEMALE
                name = self._name(gender)
                group_of[code] = group_id
                rows.append(
                    dict(
                        code=code,
                        full_name=name.full_name,
                        search_name=name.search_name,
                        sort_key=name.sort_key,
                        gender=gender,
                        birth_year=rng.randint(1970, 2005),
                        phone=None,
                        category=rng.choice(list(MemberCategory)),
                        notes=None,
                        created_at=utc(plan["founded_on"]),
                        created_by_id=self.admin_id,
                    )
                )
        execute_many(Member, rows)
        founded = {g[0]: g[2]["founded_on"] for g in self.groups}
        self.members: dict[int, list[int]] = {}
        memberships, consents = [], []
        for member_id, code in db.session.execute(
            select(Member.id, Member.code).order_by(Member.id)
        ):
            group_id = group_of[code]
            k = len(self.members.setdefault(group_id, []))
            self.members[group_id].append(member_id)
            role = (
                GroupRole.LEADER if k == 0 else GroupRole.TREASURER if k == 1 else GroupRole.MEMBER
            )
            memberships.append(
                dict(
                    member_id=member_id,
                    group_id=group_id,
                    joined_on=founded[group_id],
                    role=role,
                    recorded_by_id=self.admin_id,
                )
            )
            consents.append(
                dict(
                    member_id=member_id,
                    purpose=ConsentPurpose.PROGRAMME_DATA,
                    given_on=founded[group_id],
                    recorded_by_id=self.admin_id,
                )
            )
        execute_many(Membership, memberships)
        execute_many(Consent, consents)
        self.summary["members"] = len(memberships)

    def _meetings(self) -> None:
        rows = []
        for group_id, _p, plan, skipped, helpers in self.groups:
            group = SimpleNamespace(closed_on=None, **plan)  # none is built closed
            days = schedule.expected_dates(group, plan["founded_on"], self.day - timedelta(days=1))
            held = days[: len(days) - skipped][-self.size.meetings :]
            for held_on in held:
                rows.append(
                    dict(
                        group_id=group_id,
                        held_on=held_on,
                        kind=MeetingKind.REGULAR,
                        topics=self.rng.choice(TOPICS),
                        decisions=None,
                        recorded_by_id=helpers[0],
                        created_at=utc(held_on, 12),
                        updated_at=utc(held_on, 12),
                    )
                )
        execute_many(Meeting, rows)
        # The groups were inserted in bulk too: their meeting_due_by, from their meetings.
        schedule.refresh_meeting_due_by()
        self.summary["meetings"] = len(rows)

    def _attendance(self) -> None:
        """Most members miss a meeting now and then; one in seven often does, so the
        latest two marks of some are both 'absent': work for repeated_absence_rows."""
        rng = self.rng
        absent_rate = {
            m: (0.3 if rng.random() < 0.15 else 0.04)
            for members in self.members.values()
            for m in members
        }
        marks, statuses, total = [], {}, 0
        for meeting_id, group_id in db.session.execute(
            select(Meeting.id, Meeting.group_id).order_by(Meeting.id)
        ):
            for member_id in self.members[group_id]:
                r = rng.random()
                a = absent_rate[member_id]
                status = (
                    AttendanceStatus.ABSENT
                    if r < a
                    else AttendanceStatus.EXCUSED
                    if r < a + 0.06
                    else AttendanceStatus.PRESENT
                )
                marks.append(dict(meeting_id=meeting_id, member_id=member_id, status=status))
                statuses.setdefault(meeting_id, []).append(status)
            if len(marks) >= 100_000:
                execute_many(Attendance, marks)
                meeting_services.add_to_tallies(statuses)
                total += len(marks)
                marks, statuses = [], {}
        execute_many(Attendance, marks)
        meeting_services.add_to_tallies(statuses)
        self.summary["attendance"] = total + len(marks)

    def _grants(self) -> None:
        """Disbursed grants for 80 % of members, paid over the last 450 days; a few more
        waiting for a decision (the digest counts those)."""
        rng = self.rng
        where = {}
        for group_id, p, _plan, _skipped, helpers in self.groups:
            for m in self.members[group_id]:
                where[m] = (group_id, p, helpers[0])
        submitted = self.size.grants * SUBMITTED_PER_50 // 50
        chosen = rng.sample(sorted(where), self.size.grants + submitted)
        rows, self.paid_on = [], {}
        for i, member_id in enumerate(chosen):
            group_id, p, facilitator = where[member_id]
            disbursed = i < self.size.grants
            amount = rng.randrange(3_000_000, 15_000_001, 500_000)
            paid_on = self.day - timedelta(days=rng.randint(1, 450))
            if disbursed:
                self.paid_on[member_id] = paid_on
            rows.append(
                dict(
                    member_id=member_id,
                    activity=rng.choice(list(Activity)),
                    plan="Nuôi gà thả vườn, bán trứng ở chợ xã",
                    amount_requested=amount,
                    amount_approved=amount if disbursed else None,
                    status=GrantStatus.DISBURSED if disbursed else GrantStatus.SUBMITTED,
                    outcome=None,
                    drafted_by_id=facilitator,
                    submitted_by_id=facilitator,
                    created_at=utc(paid_on - timedelta(days=30)),
                )
            )
        execute_many(Grant, rows)
        self.where = where
        self.summary["grants"] = self.size.grants
        self.summary["submitted"] = submitted

    def _follow_ups(self) -> None:
        rng, day = self.rng, self.day
        grants = db.session.execute(
            select(Grant.id, Grant.member_id, Grant.amount_approved).where(
                Grant.status == GrantStatus.DISBURSED
            )
        ).all()
        tranches, follow_ups, visits = [], [], {}
        states: Counter = Counter()
        for grant_id, member_id, amount in grants:
            group_id, p, facilitator = self.where[member_id]
            paid_on = self.paid_on[member_id]
            coordinator = self.coordinators_of[p][0]
            tranches.append(
                dict(
                    grant_id=grant_id,
                    paid_on=paid_on,
                    amount=amount,
                    method=rng.choice(list(Method)),
                    purchased="Gà giống, thức ăn, chuồng",
                    recorded_by_id=coordinator,
                    created_at=utc(paid_on),
                )
            )
            for n in DEFAULT_CHECK_MONTHS:
                due_on = add_months(paid_on, n)
                status = self._status(due_on)
                key = f"grant:{grant_id}:{n}"
                states[self._state(due_on, status)] += 1
                follow_ups.append(
                    dict(
                        kind=FollowUpKind.GRANT_CHECK,
                        source_key=key,
                        member_id=member_id,
                        grant_id=grant_id,
                        months_after=n,
                        source_on=paid_on,
                        due_on=due_on,
                        status=status,
                        created_at=utc(paid_on),
                    )
                )
                if status == FollowUpStatus.DONE:
                    visited_on = min(day, max(paid_on, due_on + timedelta(rng.randint(-5, 7))))
                    visits[key] = dict(
                        member_id=member_id,
                        grant_id=grant_id,
                        visited_on=visited_on,
                        visitor_id=facilitator,
                        business_status=rng.choices(list(Outcome), (8, 3, 1))[0],
                        monthly_income=rng.randrange(0, 6_000_001, 100_000),
                        notes=None,
                        created_at=utc(visited_on, 14),
                    )
        execute_many(Tranche, tranches)
        execute_many(FollowUp, follow_ups)
        self._settle()
        rows = []
        for follow_up_id, key in db.session.execute(
            select(FollowUp.id, FollowUp.source_key).where(FollowUp.status == FollowUpStatus.DONE)
        ):
            rows.append(dict(follow_up_id=follow_up_id, **visits[key]))
        execute_many(Visit, rows)
        self.summary["follow_ups"] = len(follow_ups)
        self.summary["visits"] = len(rows)
        self.states = states

    def _status(self, due_on: date) -> FollowUpStatus:
        """Recent visits are often still open; old ones mostly done, some missed."""
        age = (self.day - due_on).days
        r = self.rng.random()
        if age < 0:
            return FollowUpStatus.CANCELLED if r < 0.01 else FollowUpStatus.SCHEDULED
        open_share = 0.95 if age == 0 else 0.55 if age <= 14 else 0.15 if age <= 60 else 0.03
        if r < open_share:
            return FollowUpStatus.SCHEDULED
        r = (r - open_share) / (1 - open_share)
        return (
            FollowUpStatus.DONE
            if r < 0.87
            else FollowUpStatus.MISSED
            if r < 0.95
            else FollowUpStatus.CANCELLED
        )

    def _state(self, due_on: date, status: FollowUpStatus) -> str:
        if status != FollowUpStatus.SCHEDULED:
            return status.value
        age = (self.day - due_on).days
        if age > jobs.ESCALATE_AFTER_DAYS:
            return f"overdue > {jobs.ESCALATE_AFTER_DAYS} d"
        if age > 0:
            return f"overdue ≤ {jobs.ESCALATE_AFTER_DAYS} d"
        if age == 0:
            return "due today"
        if -age <= jobs.DUE_SOON_DAYS:
            return "due soon"
        return "later"

    def describe(self) -> str:
        s = self.summary
        lines = [
            f"{s['groups']:,} groups in {len(self.provinces)} provinces, "
            f"{s['members']:,} members, {s['meetings']:,} meetings, "
            f"{s['attendance']:,} attendance; {s['facilitators']} facilitators, "
            f"{s['coordinators']} coordinators",
            f"{s['grants']:,} disbursed grants (+{s['submitted']} submitted), "
            f"{s['follow_ups']:,} follow-ups, {s['visits']:,} visits",
        ]
        order = (
            "due soon",
            "due today",
            f"overdue ≤ {jobs.ESCALATE_AFTER_DAYS} d",
            f"overdue > {jobs.ESCALATE_AFTER_DAYS} d",
            "later",
            "done",
            "missed",
            "cancelled",
        )
        lines.append(
            "follow-ups on the day: " + ", ".join(f"{k} {self.states[k]:,}" for k in order)
        )
        return "\n    ".join(lines)


# Jobs ----------------------------------------------------------------------------------


@dataclass
class Run:
    job: str
    size: str
    statements: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    follow_ups: int = 0  # follow-ups in the table when the job started
    notifications: int = 0
    home_visits: int = 0
    returned: dict = field(default_factory=dict)
    peak_mb: float | None = None  # the process's peak resident memory above its start

    @property
    def processed(self) -> int:
        """Follow-ups the job acted on: reminders, escalations or digests, home visits."""
        return self.notifications + self.home_visits

    @property
    def ms_per_processed(self) -> float | None:
        return self.seconds * 1000 / self.processed if self.processed else None

    @property
    def skipped(self) -> bool:
        return bool(self.returned.get("skipped"))

    @property
    def count(self) -> int:
        return len(self.statements)


def table_counts() -> tuple[int, int, int]:
    follow_ups = db.session.scalar(select(func.count()).select_from(FollowUp))
    home = db.session.scalar(select(func.count()).where(FollowUp.kind == FollowUpKind.HOME_VISIT))
    notifications = db.session.scalar(select(func.count()).select_from(Notification))
    return follow_ups, home, notifications


def _status_kib(name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_memory() -> int | None:
    """Reset the process's peak resident memory (Linux: clear_refs 5) and return the
    resident memory now in KiB; None where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return None
    return _status_kib("VmRSS")


def peak_memory_mb(start_kib: int | None) -> float | None:
    peak = _status_kib("VmHWM")
    return None if start_kib is None or peak is None else max(0, peak - start_kib) / 1024


def run_job(app, log: StatementLog, job, label: str, size: Size, day: date) -> Run:
    """As core.scheduler.run_job does: an app context, the job, a commit. Peak memory is
    the process's resident high-water mark during the run, above where it started."""
    with app.app_context():
        before = table_counts()
        db.session.remove()
    with app.app_context():
        log.reset()
        start_kib = reset_peak_memory()
        started = time.perf_counter()
        returned = job(today=day)
        db.session.commit()
        seconds = time.perf_counter() - started
        peak_mb = peak_memory_mb(start_kib)
        statements = list(log.statements)
        db.session.remove()
    with app.app_context():
        after = table_counts()
        db.session.remove()
    return Run(
        job=label,
        size=size.name,
        statements=statements,
        seconds=seconds,
        follow_ups=before[0],
        notifications=after[2] - before[2],
        home_visits=after[1] - before[1],
        returned=returned,
        peak_mb=peak_mb,
    )


def measure(app, log: StatementLog, size: Size, day: date) -> list[Run]:
    runs = []
    for name, job in (
        ("daily_sweep", jobs.daily_sweep),
        ("escalate_overdue", jobs.escalate_overdue),
        ("weekly_digest", jobs.weekly_digest),
    ):
        first = run_job(app, log, job, name, size, day)
        again = run_job(app, log, job, f"{name} (again)", size, day)
        if not again.skipped or again.notifications or again.home_visits:
            raise SystemExit(f"{name} ran twice for {day}: {again.returned}")
        runs += [first, again]
    return runs


# Report --------------------------------------------------------------------------------


def rate(n: int, run: Run) -> str:
    return "-" if run.skipped else f"{n / run.seconds:,.0f}"


def print_table(runs: list[Run], coordinators: dict[str, int]) -> None:
    width = max(len(r.job) for r in runs)
    sw = max(5, *(len(r.size) for r in runs))
    print(
        f"{'job':<{width}} | {'size':<{sw}} | statements | seconds | follow-ups/s | "
        "notifications created | notifications/s | home visits created | ms per processed "
        "| peak MB"
    )
    print(
        f"{'-' * width}-|-{'-' * sw}-|------------|---------|--------------|-"
        "----------------------|-----------------|---------------------|------------------"
        "|--------"
    )
    labels = list(dict.fromkeys(r.job for r in runs))
    by = {(r.job, r.size): r for r in runs}
    sizes = list(dict.fromkeys(r.size for r in runs))
    for label in labels:
        for size in sizes:
            r = by[label, size]
            per = "-" if r.ms_per_processed is None else f"{r.ms_per_processed:.4f}"
            peak = "-" if r.peak_mb is None else f"{r.peak_mb:.1f}"
            print(
                f"{label:<{width}} | {size:<{sw}} | {r.count:>10} | {r.seconds:7.3f} | "
                f"{rate(r.follow_ups, r):>12} | {r.notifications:>21,} | "
                f"{rate(r.notifications, r):>15} | {r.home_visits:>19,} | {per:>16} "
                f"| {peak:>6}"
            )
    print()
    small, large = sizes
    print(f"Statements per run, {small} -> {large}:")
    for label in labels:
        a, b = by[label, small], by[label, large]
        if a.count == b.count:
            print(f"  {label:<{width}}  constant")
            continue
        print(f"  {label:<{width}}  GROWS: {a.count} -> {b.count}")
        extra = Counter(shape(s) for s, _ in b.statements) - Counter(
            shape(s) for s, _ in a.statements
        )
        for sql, n in extra.most_common(3):
            print(f"      +{n} × {sql[:140]}")
        if label == "weekly_digest":
            more = coordinators[large] - coordinators[small]
            print(
                f"      coordinators with provinces: {coordinators[small]} -> "
                f"{coordinators[large]} (+{more}), statements +{b.count - a.count}: one "
                "digest INSERT per coordinator (notify.notify in a loop). It grows with "
                "coordinators, not with follow-ups or groups."
            )
    print(f"\nTargets for daily_sweep, {small} -> {large}:")
    a, b = by["daily_sweep", small], by["daily_sweep", large]
    verdicts = ["statements constant" if a.count == b.count else "statements GROW (missed)"]
    if a.ms_per_processed and b.ms_per_processed:
        growth = b.ms_per_processed / a.ms_per_processed
        verdicts.append(
            f"time per follow-up processed {a.ms_per_processed:.4f} -> "
            f"{b.ms_per_processed:.4f} ms, ×{growth:.2f} "
            + ("(≤ 1.5: ok)" if growth <= 1.5 else "(> 1.5: missed)")
        )
    if a.peak_mb is not None and b.peak_mb is not None:
        more = b.peak_mb - a.peak_mb
        verdicts.append(
            f"peak memory {a.peak_mb:.1f} -> {b.peak_mb:.1f} MB, +{more:.1f} MB "
            + ("(< 20: ok)" if more < 20 else "(≥ 20: missed)")
        )
    for verdict in verdicts:
        print(f"  {verdict}")
    print("\nWhat each job returned, against the rows counted in the tables:")
    for r in runs:
        if r.skipped:
            continue
        expected = {
            "daily_sweep": {"home_visits": r.home_visits, "reminders": r.notifications},
            "escalate_overdue": {"escalated": r.notifications},
            "weekly_digest": {"digests": r.notifications},
        }[r.job]
        verdict = "agrees" if r.returned == expected else f"WRONG: counted {expected}"
        print(f"  {r.job:<{width}} {r.size:<5}  returned {r.returned}  {verdict}")
    print(f"\nSlowest statement of each run ({large}):")
    for label in labels:
        r = by[label, large]
        if r.statements:
            sql, seconds = max(r.statements, key=lambda s: s[1])
            print(f"  {label:<{width}} {seconds * 1000:8.1f} ms  {sql[:120]}")


def print_sql(runs: list[Run]) -> None:
    for r in runs:
        print(f"\n{r.job} ({r.size}): {r.returned}")
        grouped: dict[str, list[float]] = {}
        for sql, seconds in r.statements:
            grouped.setdefault(sql, []).append(seconds)
        for sql, times in grouped.items():
            print(f"  {len(times):>3} × {sum(times) * 1000:9.1f} ms  {shape(sql)[:160]}")


NATIONAL_DAY = date(2026, 11, 30)  # bench.pages' day: its data sets are reused


def sizes_name(scale: float) -> str:
    return f"scale {scale:g}"


def app_engine(app):
    with app.app_context():
        return db.engine


def national(scale: float, args, tmp: str, day: date):
    """The national data set at `scale` for the jobs: (url, size, coordinators). On SQLite
    a copy of bench.pages' kept file (built there first if missing); on PostgreSQL built."""
    import sqlite3

    from bench import dataset
    from bench.pages import at_head

    if args.database_url:
        url = dataset.prepare(args.database_url, None)
        dataset.build(scale, url, tmp, day=day)
    else:
        os.makedirs(args.data_dir, exist_ok=True)
        kept = os.path.join(args.data_dir, f"national-{scale:g}-{day}.sqlite3")
        if not (os.path.exists(kept) and at_head("sqlite:///" + kept)):
            dataset.build(scale, dataset.prepare(None, kept), args.data_dir, day=day)
        path = os.path.join(tmp, f"national-{scale:g}.sqlite3")
        source, copy = sqlite3.connect(kept), sqlite3.connect(path)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        url = "sqlite:///" + path
    app = create_app(bench_config(url, tmp))
    with app.app_context():
        count = db.session.scalar(select(func.count(func.distinct(user_provinces.c.user_id))))
        size = SimpleNamespace(name=sizes_name(scale))
        follow_ups = db.session.scalar(select(func.count()).select_from(FollowUp))
        db.session.remove()
        db.engine.dispose()
    print(f"{size.name}: {follow_ups:,} follow-ups, {count} coordinators", flush=True)
    return url, size, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        help="a local PostgreSQL URL; its public schema is dropped and recreated for each "
        "size (default: SQLite files in a temporary directory)",
    )
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        help="the day the jobs run for, YYYY-MM-DD (default: today in Viet Nam)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        help="give up after so many seconds (480; 3,600 with --scale-a/--scale-b)",
    )
    parser.add_argument(
        "--sql", action="store_true", help="also print every run's statements with their times"
    )
    parser.add_argument(
        "--scale-a",
        type=float,
        help="with --scale-b: the national data set of bench.dataset at these two scales "
        "(e.g. 0.1 and 1) instead of SMALL and LARGE",
    )
    parser.add_argument("--scale-b", type=float)
    parser.add_argument(
        "--data-dir",
        default=os.path.join(tempfile.gettempdir(), "tuluc-national"),
        help="SQLite national data sets kept by bench.pages: copied, not changed",
    )
    args = parser.parse_args(argv)
    if (args.scale_a is None) != (args.scale_b is None):
        parser.error("--scale-a and --scale-b go together")
    day = args.day or today_in_vietnam()
    if args.timeout is None:
        args.timeout = 480 if args.scale_a is None else 3600

    def give_up(signum, frame):
        raise SystemExit(f"bench: gave up after {args.timeout} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    started = time.perf_counter()
    runs: list[Run] = []
    coordinators: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="tuluc-bench-") as tmp:
        if args.database_url:
            check_local(args.database_url)
        sizes = (SMALL, LARGE)
        if args.scale_a is not None:
            day = args.day or NATIONAL_DAY
            sizes = (args.scale_a, args.scale_b)
        for size in sizes:
            if isinstance(size, float):
                url, size, count = national(size, args, tmp, day)
                app = create_app(bench_config(url, tmp))
                coordinators[size.name] = count
                if size.name == sizes_name(sizes[0]):
                    print(f"database: {url.split(':')[0]}; jobs run for {day.isoformat()}")
                log = StatementLog(app_engine(app))
                runs += measure(app, log, size, day)
                app_engine(app).dispose()
                continue
            if args.database_url:
                reset_postgres(args.database_url)
                url = args.database_url
            else:
                url = f"sqlite:///{tmp}/{size.name.lower()}.sqlite3"
            app = create_app(bench_config(url, tmp))
            with app.app_context():
                engine = db.engine
                if size is SMALL:
                    print(f"database: {engine.dialect.name}; jobs run for {day.isoformat()}")
                t = time.perf_counter()
                builder = Builder(size, day)
                builder.build()
                built = time.perf_counter() - t
                db.session.remove()
            print(f"{size.name} (built in {built:.1f} s):\n    {builder.describe()}")
            coordinators[size.name] = builder.summary["coordinators"]
            log = StatementLog(engine)
            runs += measure(app, log, size, day)
            engine.dispose()
    print()
    order = list(dict.fromkeys(r.job for r in runs))
    first = SMALL.name if args.scale_a is None else sizes_name(args.scale_a)
    runs.sort(key=lambda r: (order.index(r.job), r.size != first))
    print_table(runs, coordinators)
    if args.sql:
        print_sql(runs)
    signal.alarm(0)
    print(f"\nTotal {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
