"""The requests benchmark's data: users and groups through the services; members, meetings
and attendance in bulk (Builder), at a Size."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text

from accounts import services as account_services
from accounts.models import Role
from bench.harness import CHUNK
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


@dataclass(frozen=True)
class Size:
    name: str
    groups: int
    members: int  # per group
    meetings: int  # per group, weekly, the latest ones before today


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
