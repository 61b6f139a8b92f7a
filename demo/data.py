"""Demo data: accounts, groups in the seed provinces, members and a year of meetings.

Loading is idempotent: what already exists is kept, so running the demo again keeps data.
Random choices use a fixed seed, so every fresh demo looks the same.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from accounts import services as accounts
from accounts.models import Role, User
from core.clock import VIETNAM, today
from core.db import db
from core.places import Commune
from demo.plans import seed_plans
from demo.support import seed_support
from groups.models import (
    AttendanceStatus,
    Cadence,
    ConsentPurpose,
    Gender,
    Group,
    GroupRole,
    GroupStatus,
    MeetingKind,
    MemberCategory,
)
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from groups.services import schedule
from livelihoods import services as grant_services
from livelihoods.models import Activity, Grant, Method, Outcome

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


PLANS = {
    Activity.LIVESTOCK: "Nuôi 2 con lợn nái, chuồng có sẵn ở nhà. Dự kiến bán lứa đầu sau 6 tháng.",
    Activity.CROPS: "Trồng rau cải và hành trên 300 m² đất nhà, bán ở chợ xã.",
    Activity.SMALL_TRADE: "Mở quầy tạp hóa nhỏ trước nhà, nhập hàng ở chợ huyện.",
    Activity.TAILORING: "Mua máy may công nghiệp, nhận may đồ cho người trong thôn.",
    Activity.SERVICES: "Mở tiệm cắt tóc gội đầu nhỏ tại nhà.",
}
DEMO_PIN = "482915"


# What becomes of the grants of one group's members, in member order: most are paid at some
# point of the year, so every month has applications, decisions, payments and visits.
GRANT_STAGES = [
    "draft",
    "submitted",
    "returned",
    "rejected",
    "approved",
    "paid",
    "paid",
    "paid",
    "paid",
    "closed",
]


def seed_grants(rng: random.Random, day: date) -> int:
    """Grants in every state in each group, with tranches and visits done, due and late."""
    if db.session.scalar(select(func.count()).select_from(Grant)):
        return 0
    coordinators = {
        code: accounts.get_user_by_username(name)
        for name, codes in (("coordinator", (46, 44, 42, 40)), ("coordinator2", (80, 24)))
        for code in codes
    }
    created = 0
    for group in db.session.scalars(select(Group).order_by(Group.id)):
        facilitator = group.facilitators[0]
        decider = coordinators[group.province_code]
        members = meeting_services.members_on(group.id, day)[: len(GRANT_STAGES)]
        for member, stage in zip(members, GRANT_STAGES, strict=False):
            activity = rng.choice(list(PLANS))
            grant = grant_services.draft_grant(
                facilitator,
                member,
                activity=activity,
                plan=PLANS[activity],
                amount_requested=rng.choice([3, 4, 5, 6, 8]) * 1_000_000,
            )
            created += 1
            if stage == "draft":
                continue
            # Dated as a real year reads: applications sent every month, decided a few days
            # to three weeks later, paid a few days to two weeks after that; waiting ones
            # sent lately. Nothing before the member joined the group.
            joined = member.home_membership.joined_on
            earliest = (day - joined).days - 40  # room to apply, decide and pay after joining
            days_ago = {
                "paid": rng.randint(20, max(21, min(earliest, 400))),
                "closed": rng.randint(min(earliest, 330), min(earliest, 430)),
            }.get(stage)
            paid_on = day - timedelta(days=days_ago or 0)
            decided = paid_on - timedelta(days=rng.randint(3, 14))
            if days_ago is None:  # refused any time; approved or sent back lately
                span = min(earliest, 300) if stage == "rejected" else 30
                decided = day - timedelta(days=rng.randint(0, span))
            submitted = max(decided - timedelta(days=rng.randint(3, 21)), joined)
            if stage == "submitted":
                submitted = day - timedelta(days=rng.randint(0, 10))
            grant_services.submit_grant(facilitator, grant, on=submitted)
            if stage == "submitted":
                continue
            if stage == "returned":
                grant_services.return_grant(
                    decider, grant, note="Bổ sung chi phí thức ăn.", on=decided
                )
                continue
            if stage == "rejected":
                grant_services.reject_grant(
                    decider,
                    grant,
                    reason="Đã được hỗ trợ vốn từ chương trình khác trong năm nay.",
                    on=decided,
                )
                continue
            grant_services.approve_grant(
                decider, grant, amount=grant.amount_requested, note=None, on=decided
            )
            if stage == "approved":
                continue
            grant_services.record_tranche(
                decider,
                grant,
                paid_on=paid_on,
                amount=grant.amount_approved,
                method=Method.CASH,
                purchased="Con giống, vật tư",
                today=day,
            )
            for follow_up in grant.follow_ups:
                # Visits mostly made on time, a day or three after they fall due; of those
                # due in the last two months a few are still to make (overdue ones).
                if follow_up.due_on >= day or (
                    follow_up.due_on > day - timedelta(days=60) and rng.random() < 0.25
                ):
                    continue
                grant_services.record_visit(
                    facilitator,
                    follow_up,
                    visited_on=min(follow_up.due_on + timedelta(days=rng.randint(0, 3)), day),
                    business_status=rng.choice(
                        [Outcome.OPERATING, Outcome.OPERATING, Outcome.STRUGGLING]
                    ),
                    monthly_income=rng.choice([15, 20, 25, 30]) * 100_000,
                    notes=None,
                    today=day,
                )
            if stage == "closed":
                grant_services.close_grant(
                    decider,
                    grant,
                    outcome=Outcome.OPERATING,
                    note=None,
                    on=day - timedelta(days=rng.randint(1, 20)),
                )
    return created


def seed_member_login() -> str | None:
    """The first member of the first group can log in with their code and DEMO_PIN."""
    group = db.session.scalar(select(Group).order_by(Group.id))
    member = meeting_services.members_on(group.id, today())[0]
    if db.session.scalar(select(User).where(User.member_id == member.id)) is None:
        grant_services.set_member_pin(accounts.get_user_by_username("admin"), member, DEMO_PIN)
    return member.code


def seed_demo() -> dict[str, int]:
    """Create whatever part of the demo data set is missing; return counts created."""
    counts = {"users": seed_users()}
    db.session.flush()
    counts.update(seed_groups(random.Random(2026), today()))
    counts["grants"] = seed_grants(random.Random(7), today())
    counts.update(seed_support(today(), DEMO_PASSWORD))
    counts.update(seed_plans(today()))
    return counts
