"""Demo data: accounts, groups in the seed provinces, members and a year of meetings.

Loading is idempotent: what already exists is kept, so running the demo again keeps data.
Random choices use a fixed seed, so every fresh demo looks the same.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from accounts import services as accounts
from accounts.models import Role
from core.clock import VIETNAM, today
from core.db import db
from core.places import Commune
from demo.grants import GRANT_STAGES, seed_grants
from demo.plans import seed_plans
from demo.support import seed_support
from groups.meeting_models import AttendanceStatus, MeetingKind
from groups.models import (
    Cadence,
    ConsentPurpose,
    Gender,
    Group,
    GroupRole,
    GroupStatus,
    MemberCategory,
)
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services import schedule

DEMO_PASSWORD = "demo-tuluc"

# Provinces of the seed programme, by official code.
SEED_PROVINCES = {
    46: "Huế",
    44: "Quảng Trị",
    42: "Hà Tĩnh",
    40: "Nghệ An",
    80: "Tây Ninh",
    24: "Bắc Ninh",
}

DEMO_USERS = [
    # username, full name, role, provinces, work phone (members and offices call it)
    ("admin", "Trần Quốc Bảo", Role.ADMIN, (), None),
    ("coordinator", "Lê Thị Thu Hà", Role.COORDINATOR, (46, 44, 42, 40), "0912418305"),
    ("coordinator2", "Phạm Minh Tuấn", Role.COORDINATOR, (80, 24), "0983226147"),
    ("facilitator", "Nguyễn Thị Lan", Role.FACILITATOR, (), "0915372846"),
    ("facilitator2", "Hồ Văn Dũng", Role.FACILITATOR, (), "0868154920"),
    ("facilitator3", "Đặng Thị Mai", Role.FACILITATOR, (), "0979603518"),
]

# Which facilitator runs the groups of which province.
FACILITATOR_OF = {
    46: "facilitator",
    40: "facilitator",
    44: "facilitator2",
    42: "facilitator2",
    80: "facilitator3",
    24: "facilitator3",
}

VILLAGES = [
    "Thôn Đông",
    "Thôn Trung",
    "Xóm Bãi",
    "Ấp Mới",
    "Thôn Hạ",
    "Xóm Chùa",
    "Thôn Phú Lộc",
    "Ấp Bình Hòa",
    "Thôn An Lạc",
    "Xóm Giếng",
]
FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Lương",
    "Cao",
    "Hà",
]
FEMALE = [
    ("Thị", "Lan"),
    ("Thị", "Hoa"),
    ("Thị", "Hằng"),
    ("Thị", "Nga"),
    ("Thị", "Thảo"),
    ("Thị", "Mai"),
    ("Thị", "Hương"),
    ("Thị", "Ánh"),
    ("Thị", "Yến"),
    ("Thị", "Ngọc"),
    ("Thu", "Trang"),
    ("Thị", "Dung"),
    ("Kim", "Oanh"),
    ("Thị", "Loan"),
    ("Thị", "Phượng"),
    ("Ngọc", "Ân"),
    ("Thị", "Ăn"),
    ("Hồng", "Nhung"),
    ("Thị", "Tâm"),
    ("Thị", "Xuân"),
    ("Thị", "Bích"),
    ("Thanh", "Hà"),
    ("Thị", "Đào"),
    ("Thị", "Vân"),
]
MALE = [
    ("Văn", "Nam"),
    ("Văn", "Hùng"),
    ("Văn", "Dũng"),
    ("Đức", "Anh"),
    ("Văn", "Tuấn"),
    ("Minh", "Đức"),
    ("Văn", "Bình"),
    ("Quốc", "Việt"),
    ("Văn", "Long"),
    ("Văn", "Sơn"),
]
TOPICS = [
    "Chia sẻ kinh nghiệm nuôi gà",
    "Tập huấn ghi chép thu chi",
    "Kế hoạch vay vốn nhóm",
    "Thăm hỏi thành viên ốm",
    "Hướng dẫn làm hồ sơ bảo hiểm y tế",
    "Trồng rau sạch theo mùa",
    "Kỹ năng bán hàng online",
    "Sinh hoạt văn nghệ",
]


def seed_users() -> int:
    created = 0
    for username, full_name, role, provinces, phone in DEMO_USERS:
        if accounts.get_user_by_username(username) is None:
            user = accounts.create_user(
                None,
                username=username,
                full_name=full_name,
                role=role,
                password=DEMO_PASSWORD,
                province_codes=provinces,
            )
            user.phone = phone
            created += 1
    return created


def _name(rng: random.Random, gender: Gender) -> str:
    middle, given = rng.choice(FEMALE if gender == Gender.FEMALE else MALE)
    return f"{rng.choice(FAMILY)} {middle} {given}"


def seed_groups(rng: random.Random, day: date) -> dict[str, int]:
    """Three groups per seed province, 10–30 members each, a year of meetings."""
    if db.session.scalar(select(func.count()).select_from(Group)):
        return {"groups": 0, "members": 0, "meetings": 0}
    admin = accounts.get_user_by_username("admin")
    counts = {"groups": 0, "members": 0, "meetings": 0}
    for n, province_code in enumerate(SEED_PROVINCES):
        facilitator = accounts.get_user_by_username(FACILITATOR_OF[province_code])
        communes = db.session.scalars(
            select(Commune).where(Commune.province_code == province_code).order_by(Commune.code)
        ).all()
        for i in range(3):
            village = VILLAGES[(n * 3 + i) % len(VILLAGES)]
            founded = day - timedelta(days=480 + 30 * i)
            group = group_services.create_group(
                admin,
                name=f"Nhóm {village}",
                province_code=province_code,
                commune_code=rng.choice(communes).code,
                village=village,
                founded_on=founded,
                status=GroupStatus.PAUSED if (n, i) == (5, 2) else GroupStatus.ACTIVE,
                cadence=[Cadence.WEEKLY, Cadence.FORTNIGHTLY, Cadence.MONTHLY][i % 3],
                meeting_weekday=(n + i) % 6,
                partner="Hội Liên hiệp Phụ nữ xã",
                facilitator_ids=[facilitator.id],
            )
            counts["groups"] += 1
            counts["members"] += _seed_members(rng, admin, group, founded)
            if i > 0:  # the first group of each province stays as it was founded
                # A generator of its own: the rest of the demo draws what it drew before.
                changes = random.Random(group.id)
                counts["members"] += _seed_comings_and_goings(changes, admin, group, day)
            # The first group of every other province is a few weeks behind.
            stop = day - timedelta(days=24) if i == 0 and n % 2 else day - timedelta(days=1)
            counts["meetings"] += _seed_meetings(
                rng, facilitator, group, day - timedelta(365), stop, day
            )
    return counts


def _seed_members(rng, actor, group, founded) -> int:
    size = rng.randint(10, 30)
    for k in range(size):
        gender = Gender.MALE if rng.random() < 0.15 else Gender.FEMALE
        member_services.create_member(
            actor,
            group,
            full_name=_name(rng, gender),
            gender=gender,
            birth_year=rng.randint(1970, 2005),
            phone=f"09{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.7 else None,
            category=rng.choice(
                [
                    MemberCategory.SURVIVOR,
                    MemberCategory.MIGRANT,
                    MemberCategory.MIGRANT,
                    MemberCategory.COMMUNITY,
                ]
            ),
            notes=None,
            joined_on=founded + timedelta(days=rng.randint(0, 60)),
            role=GroupRole.LEADER
            if k == 0
            else GroupRole.TREASURER
            if k == 1
            else GroupRole.MEMBER,
            consents=[ConsentPurpose.PROGRAMME_DATA]
            + ([ConsentPurpose.PHONE_CONTACT] if rng.random() < 0.8 else []),
        )
    return size


LEAVING_REASONS = [
    "Đi làm ăn xa ở tỉnh khác.",
    "Chuyển về quê chồng.",
    "Bận chăm con nhỏ, xin nghỉ sinh hoạt.",
]


def _seed_comings_and_goings(rng, actor, group, day) -> int:
    """Through the year a member or two joins, and now and then one leaves (issue 22: the
    figures of every past month read like a real programme's, not all 0)."""
    joined = 0
    for _ in range(rng.randint(1, 2)):
        gender = Gender.MALE if rng.random() < 0.15 else Gender.FEMALE
        member_services.create_member(
            actor,
            group,
            full_name=_name(rng, gender),
            gender=gender,
            birth_year=rng.randint(1975, 2005),
            phone=f"09{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.7 else None,
            category=rng.choice([MemberCategory.MIGRANT, MemberCategory.COMMUNITY]),
            notes=None,
            joined_on=day - timedelta(days=rng.randint(20, 340)),
            role=GroupRole.MEMBER,
            consents=[ConsentPurpose.PROGRAMME_DATA, ConsentPurpose.PHONE_CONTACT],
        )
        joined += 1
    # Who leaves is never one of the members the grants go to (seed_grants: the first
    # founding members in name order).
    founders = [
        m
        for m in meeting_services.members_on(group.id, day)
        if (day - m.current_membership.joined_on).days > 365
    ][len(GRANT_STAGES) :]
    members = [m for m in founders if m.current_membership.role == GroupRole.MEMBER]
    if members and rng.random() < 0.6:
        leaver = rng.choice(members)
        on = day - timedelta(days=rng.randint(15, 340))
        if on > leaver.current_membership.joined_on:
            member_services.leave_group(actor, leaver, on=on, reason=rng.choice(LEAVING_REASONS))
    return joined


def _seed_meetings(rng, actor, group, start, stop, day) -> int:
    held = 0
    for meeting_day in schedule.expected_dates(group, start, stop):
        if rng.random() < 0.08:  # now and then a meeting does not happen
            continue
        members = meeting_services.members_on(group.id, meeting_day)
        recent = (stop - meeting_day).days < 30
        marks = {}
        for m in members:
            r = rng.random()
            # A few members drift away lately: two absences in a row to follow up.
            if recent and m.id % 11 == 0:
                marks[m.id] = AttendanceStatus.ABSENT
            else:
                marks[m.id] = (
                    AttendanceStatus.PRESENT
                    if r < 0.82
                    else AttendanceStatus.EXCUSED
                    if r < 0.9
                    else AttendanceStatus.ABSENT
                )
        meeting = meeting_services.record_meeting(
            actor,
            group,
            held_on=meeting_day,
            kind=MeetingKind.REGULAR,
            topics=rng.choice(TOPICS),
            decisions=None,
            marks=marks,
            today=day,
        )
        # Typed in the evening of the meeting mostly, now and then up to 10 days later.
        late = 0 if rng.random() < 0.7 else rng.randint(1, 10)
        typed = datetime.combine(meeting_day + timedelta(days=late), time(19), VIETNAM)
        meeting.created_at = meeting.updated_at = min(typed, datetime.now(UTC))
        held += 1
    return held


def seed_demo() -> dict[str, int]:
    """Create whatever part of the demo data set is missing; return counts created."""
    counts = {"users": seed_users()}
    db.session.flush()
    counts.update(seed_groups(random.Random(2026), today()))
    counts["grants"] = seed_grants(random.Random(7), today())
    counts.update(seed_support(today(), DEMO_PASSWORD))
    counts.update(seed_plans(today()))
    return counts
