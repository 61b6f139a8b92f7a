"""The load benchmark's data: the constants it runs by, and the groups, members and
follow-ups it builds (build) for its clients."""

import random
import re
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from accounts import services as account_services
from accounts.models import Role
from core.clock import today
from core.db import db
from core.places import Commune
from core.schema import upgrade_schema
from demo.data import FAMILY, FEMALE, SEED_PROVINCES
from groups.meeting_models import AttendanceStatus
from groups.models import Cadence, ConsentPurpose, Gender, GroupRole, GroupStatus, MemberCategory
from groups.services import groups as group_services
from groups.services import members as member_services
from livelihoods.models import Activity, Method
from livelihoods.services.grants import approve_grant, draft_grant, submit_grant
from livelihoods.services.tranches import record_tranche

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "bench-load-password"

HOST = "127.0.0.1"  # loopback only: the servers listen here and the clients call here

MEMBERS_PER_GROUP = 10

DAYS_OF_HISTORY = 720  # meeting dates the clients of a group share out, before today

ACTIONS = ("meetings", "members", "visits", "reads")

WEIGHTS = {"meetings": 3, "members": 3, "visits": 2, "reads": 2}

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

VERSION = re.compile(r'name="version"[^>]*value="(\d*)"')

STATUSES = [AttendanceStatus.PRESENT] * 8 + [AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]


@dataclass
class GroupData:
    id: int
    members: list[dict]  # id, version and the profile fields the edit form posts
    follow_ups: list[int]  # scheduled grant checks, oldest first; shared by its clients
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class ClientData:
    number: int
    username: str
    group: GroupData
    days: list[date]  # meeting dates only this client uses


def build(
    app, clients: int, share: int, *, real_hashes: bool = True, grants: bool = True
) -> list[ClientData]:
    """Facilitators (`share` to a group), groups of 10 members, disbursed grants.

    Through the services, as the app makes them. Every facilitator gets the same argon2
    hash with the production settings, so logging in costs what it costs in production
    (real_hashes=False keeps the app's own settings: the tests' cheap ones).
    """
    day = today()
    founded = day - timedelta(days=DAYS_OF_HISTORY + 30)
    rng = random.Random(2026)
    real_hash = PasswordHasher().hash(PASSWORD)
    with app.app_context():
        upgrade_schema()
        provinces = list(SEED_PROVINCES)
        coordinator = account_services.create_user(
            None,
            username="load-coordinator",
            full_name="Lê Thị Thu Hà",
            role=Role.COORDINATOR,
            password=PASSWORD,
            province_codes=provinces,
        )
        admin = account_services.create_user(
            None,
            username="load-admin",
            full_name="Trần Quốc Bảo",
            role=Role.ADMIN,
            password=PASSWORD,
        )
        result, groups = [], []
        for g in range((clients + share - 1) // share):
            province = provinces[g % len(provinces)]
            users = []
            for k in range(min(share, clients - g * share)):
                n = g * share + k
                user = account_services.create_user(
                    None,
                    username=f"load{n:03d}",
                    full_name=f"{FAMILY[n % len(FAMILY)]} Thị Lan",
                    role=Role.FACILITATOR,
                    password=PASSWORD,
                )
                if real_hashes:
                    user.password_hash = real_hash
                users.append(user)
            commune = db.session.scalar(
                select(Commune.code).where(Commune.province_code == province).limit(1)
            )
            group = group_services.create_group(
                admin,
                name=f"Nhóm tải {g + 1}",
                province_code=province,
                commune_code=commune,
                village="Thôn Đông",
                founded_on=founded,
                status=GroupStatus.ACTIVE,
                cadence=Cadence.WEEKLY,
                meeting_weekday=g % 6,
                partner=None,
                facilitator_ids=[u.id for u in users],
            )
            members = []
            for m in range(MEMBERS_PER_GROUP):
                middle, given = rng.choice(FEMALE)
                members.append(
                    member_services.create_member(
                        admin,
                        group,
                        full_name=f"{rng.choice(FAMILY)} {middle} {given}",
                        gender=Gender.FEMALE,
                        birth_year=rng.randint(1970, 2005),
                        phone=None,
                        category=MemberCategory.MIGRANT,
                        notes=None,
                        joined_on=founded,
                        role=GroupRole.LEADER if m == 0 else GroupRole.MEMBER,
                        consents=[ConsentPurpose.PROGRAMME_DATA],
                    )
                )
            follow_ups = []
            for member in members if grants else ():
                grant = draft_grant(
                    users[0],
                    member,
                    activity=Activity.LIVESTOCK,
                    plan="Nuôi gà",
                    amount_requested=5_000_000,
                )
                paid_on = day - timedelta(days=400)
                submit_grant(users[0], grant, on=paid_on - timedelta(days=10))
                approve_grant(coordinator, grant, amount=5_000_000, note=None, on=paid_on)
                record_tranche(
                    coordinator,
                    grant,
                    paid_on=paid_on,
                    amount=5_000_000,
                    method=Method.CASH,
                    purchased=None,
                    today=day,
                )
                follow_ups += [f.id for f in grant.follow_ups]
            db.session.commit()
            data = GroupData(
                id=group.id,
                members=[
                    dict(
                        id=m.id,
                        version=m.version,
                        full_name=m.full_name,
                        gender=m.gender.value,
                        birth_year=m.birth_year,
                        category=m.category.value,
                    )
                    for m in members
                ],
                follow_ups=sorted(follow_ups),
            )
            groups.append(data)
            for k, user in enumerate(users):
                days = [
                    day - timedelta(days=d)
                    for d in range(1, DAYS_OF_HISTORY + 1)
                    if d % len(users) == k
                ]
                rng.shuffle(days)
                result.append(ClientData(g * share + k, user.username, data, days))
        db.session.commit()
        db.engine.dispose()
    return result
