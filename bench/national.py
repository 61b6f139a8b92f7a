"""The national data set's builder: sizes, the people and records of a programme, built
fast with bulk inserts (bench.sweep measures the jobs on it; bench.dataset extends it for
the pages). Above bench.harness, below the benchmarks (code review d64d4a7 §5.7)."""

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select, text

from accounts import services as account_services
from accounts.models import Role, User, user_provinces
from bench.harness import (
    execute_many,
    utc,
)
from bench.national_grants import GrantsAndFollowUps
from core.db import db
from core.places import Commune, Province
from core.schema import upgrade_schema
from demo.data import FAMILY, FEMALE, MALE, TOPICS, VILLAGES
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
    group_facilitators,
)
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services import schedule
from livelihoods import jobs

PASSWORD = "bench-password"
SEED_PROVINCES = (46, 44, 42, 40)  # Huế, Quảng Trị, Hà Tĩnh, Nghệ An: SMALL's provinces
GROUPS_PER_FACILITATOR = 4
CO_FACILITATED = 0.10  # share of groups with a second facilitator
COORDINATORS_PER_PROVINCE = 2
PROVINCES_PER_REGIONAL = 8  # and one regional coordinator per so many provinces
BEHIND = 0.08  # groups whose last three meetings did not happen
PAUSED = 0.03


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


class Builder(GrantsAndFollowUps):
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
            # none is built closed; none waits for its schedule
            group = SimpleNamespace(closed_on=None, schedule_from=None, **plan)
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
