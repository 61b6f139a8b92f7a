"""Demo screening and referrals: questionnaire v1 (and a retired v0), the OSSOs of Hà Nội,
Hải Phòng and Cần Thơ, a few providers in the seed provinces, screenings (one member
screened twice, to show the change) and referrals in every state, one of them overdue
with the follow-up it produced. Two providers have staff accounts (issue 26): `provider`
for the Phú Vang health centre, `provider2` for Huế's legal aid centre, which has accepted
a referral itself. Idempotent: nothing is added once providers exist.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from accounts import services as accounts
from core.db import db
from core.places import Commune, Province
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
from support import questionnaire
from support.jobs import open_referral_checks
from support.models.referrals import ProviderType, ReferralStatus, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import provider_accounts, provider_answers
from support.services import referrals as referral_services
from support.services import screenings as screening_services

HANOI, HAIPHONG, CANTHO = 1, 31, 92
WEEKDAYS = "Thứ Hai – Thứ Sáu, 7:30–17:00"

PROVIDERS = [
    # province, name, type, address, phone
    (HANOI, "Văn phòng hỗ trợ dịch vụ một điểm đến Hà Nội", ProviderType.OSSO,
     "Phường Hoàn Kiếm, Hà Nội", "024 3825 0000"),
    (HAIPHONG, "Văn phòng hỗ trợ dịch vụ một điểm đến Hải Phòng", ProviderType.OSSO,
     "Phường Hồng Bàng, Hải Phòng", "0225 3745 000"),
    (CANTHO, "Văn phòng hỗ trợ dịch vụ một điểm đến Cần Thơ", ProviderType.OSSO,
     "Phường Ninh Kiều, Cần Thơ", "0292 3820 000"),
    (46, "Trung tâm Trợ giúp pháp lý nhà nước Huế", ProviderType.LEGAL,
     "Phường Thuận Hóa, Huế", "0234 3820 000"),
    (46, "Trung tâm Y tế Phú Vang", ProviderType.HEALTH, "Xã Phú Vang, Huế", "0234 3860 000"),
    (46, "Trung tâm Công tác xã hội Huế", ProviderType.PSYCHOSOCIAL,
     "Phường Thuận Hóa, Huế", "0234 3830 000"),
    (40, "Trường Trung cấp nghề Nghệ An", ProviderType.VOCATIONAL,
     "Phường Vinh Phú, Nghệ An", "0238 3840 000"),
    (40, "Trung tâm Trợ giúp pháp lý nhà nước Nghệ An", ProviderType.LEGAL,
     "Phường Thành Vinh, Nghệ An", "0238 3590 000"),
    (44, "Trung tâm Y tế Gio Linh", ProviderType.HEALTH, "Xã Gio Linh, Quảng Trị",
     "0233 3820 000"),
    (80, "Trung tâm Dịch vụ việc làm Tây Ninh", ProviderType.VOCATIONAL,
     "Phường Tân Ninh, Tây Ninh", "0276 3820 000"),
]  # fmt: skip


def seed_support(day: date, password: str) -> dict[str, int]:
    """Add the demo's questionnaire, providers, screenings, referrals and provider
    accounts (with the demo's password) once."""
    if db.session.scalar(select(func.count()).select_from(ServiceProvider)):
        return {"providers": 0, "screenings": 0, "referrals": 0}
    questionnaire.install(questionnaire.V0, retired_on=day - timedelta(days=200))
    version = questionnaire.install(questionnaire.V1)
    providers = {}
    for province, name, kind, address, phone in PROVIDERS:
        provider = ServiceProvider(
            name=name, kind=kind, province_code=province, address=address, phone=phone,
            opening_days=WEEKDAYS, active=True,
        )  # fmt: skip
        db.session.add(provider)
        providers.setdefault(province, []).append(provider)
    db.session.flush()
    coordinator = accounts.get_user_by_username("coordinator")
    # The first Huế group: its first members are the ones the walk-through follows.
    group = db.session.scalar(select(Group).where(Group.province_code == 46).order_by(Group.id))
    facilitator = group.facilitators[0]
    members = meeting_services.members_on(group.id, day)[:5]
    legal, health, social = providers[46]
    screenings = referrals = 0

    def screen(member, on, pick):
        nonlocal screenings
        s = screening_services.start_screening(facilitator, member, version=version, screened_on=on,
                                     today=day)  # fmt: skip
        for section in version.sections:
            chosen = {}
            for i, q in enumerate(section.questions):
                # A little variety, the same on every fresh demo.
                index = min(max(pick + (i % 2) - 1, 0), len(q.options) - 1)
                chosen[q.id] = q.options[index].id
            screening_services.save_section(facilitator, s, section, chosen)
        screening_services.complete_screening(facilitator, s)
        screenings += 1
        return s

    # Screened twice: at intake, in need; five months later, better off.
    screen(members[0], day - timedelta(days=160), 1)
    screen(members[0], day - timedelta(days=10), 3)
    screen(members[1], day - timedelta(days=30), 1)
    screen(members[2], day - timedelta(days=20), 2)

    def refer(member, provider, service, days_ago, expected_in, reason):
        nonlocal referrals
        on = day - timedelta(days=days_ago)
        directory_services.record_sharing_consent(
            facilitator, member, provider, given_on=on, today=day
        )
        referral = referral_services.refer(
            facilitator, member, provider=provider, service=service, reason=reason,
            expected_on=on + timedelta(days=expected_in), today=on,
        )  # fmt: skip
        referrals += 1
        return referral

    def step(referral, status, on, note=None):
        referral_services.change_status(
            coordinator, referral, to=status, on=on, note=note, today=day
        )

    received = refer(members[0], health, SupportType.HEALTH, 150, 14,
                     "Khám sức khỏe tổng quát, đau lưng kéo dài.")  # fmt: skip
    step(received, ReferralStatus.ACKNOWLEDGED, received.referred_on + timedelta(days=2))
    step(received, ReferralStatus.SERVICE_RECEIVED, received.referred_on + timedelta(days=9),
         "Đã khám và được cấp thuốc.")  # fmt: skip
    declined = refer(members[1], social, SupportType.PSYCHOSOCIAL, 25, 10,
                     "Cần người tư vấn tâm lý.")  # fmt: skip
    step(declined, ReferralStatus.DECLINED, declined.referred_on + timedelta(days=5),
         "Chị chưa muốn tham gia lúc này.")  # fmt: skip
    # Overdue: expected a week ago, no answer yet; the job turns it into a follow-up.
    refer(members[2], legal, SupportType.DOCUMENTS, 20, 13,
          "Làm lại căn cước và đăng ký cư trú.")  # fmt: skip
    acknowledged = refer(members[3], legal, SupportType.LEGAL, 5, 20,
                         "Tư vấn về hợp đồng lao động.")  # fmt: skip
    step(acknowledged, ReferralStatus.ACKNOWLEDGED, day - timedelta(days=3))
    refer(members[4], health, SupportType.HEALTH, 1, 14, "Khám thai định kỳ.")
    # The providers' own accounts: each sees its own referrals and nothing else.
    staff = {}
    for username, full_name, provider in (
        ("provider", "Hồ Thị Lan", health),
        ("provider2", "Nguyễn Văn Sơn", legal),
    ):
        staff[username] = provider_accounts.create_provider_account(
            coordinator, provider, username=username, full_name=full_name, password=password
        )
        staff[username].must_change_password = False  # the demo's logins work at once
    provider_answers.answer(
        staff["provider2"], acknowledged, action=provider_answers.Action.ACCEPT,
        on=day - timedelta(days=2), today=day, via="account",
    )  # fmt: skip
    seed_hanoi_group(day, facilitator, coordinator)
    db.session.flush()
    open_referral_checks(day)  # commits, like the job
    return {"providers": len(PROVIDERS), "screenings": screenings, "referrals": referrals}


def seed_hanoi_group(day: date, facilitator, coordinator) -> None:
    """A new Hà Nội group, run by the demo facilitator and followed by the demo
    coordinator, where the OSSO is: the walk-through screens a new member there and
    refers them to it."""
    coordinator.provinces.append(db.session.get(Province, HANOI))
    commune = db.session.scalar(
        select(Commune.code).where(Commune.province_code == HANOI).order_by(Commune.code)
    )
    group = group_services.create_group(
        coordinator, name="Nhóm Thôn Bắc", province_code=HANOI, commune_code=commune,
        village="Thôn Bắc", founded_on=day - timedelta(days=30), status=GroupStatus.ACTIVE,
        cadence=Cadence.WEEKLY, meeting_weekday=2, partner="Hội Liên hiệp Phụ nữ phường",
        facilitator_ids=[facilitator.id],
    )  # fmt: skip
    for name in ("Nguyễn Thị Hạnh", "Trần Thị Thu", "Lê Thị Vân", "Phạm Thị Nhàn"):
        member_services.create_member(
            facilitator, group, full_name=name, gender=Gender.FEMALE, birth_year=1995,
            phone=None, category=MemberCategory.MIGRANT, notes=None,
            joined_on=day - timedelta(days=7), role=GroupRole.MEMBER,
            consents=[ConsentPurpose.PROGRAMME_DATA],
        )  # fmt: skip
