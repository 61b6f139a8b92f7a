"""Support records for tests: a questionnaire, providers, consent, a screening, a referral."""

from datetime import date, timedelta
from types import SimpleNamespace

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Member
from support import questionnaire
from support.models.referrals import ProviderType, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from support.services import screenings as screening_services
from tests.conftest import HUE, NGHE_AN

NOBODY = SimpleNamespace(id=None, role=Role.ADMIN)


def add_provider(province_code, name="Văn phòng một cửa", kind=ProviderType.OSSO, active=True):
    provider = ServiceProvider(
        name=name, kind=kind, province_code=province_code, phone="0234 000 000", active=active
    )
    db.session.add(provider)
    db.session.flush()
    return provider


def answer_all(screening, pick=0):
    """Answer every question with its option at index `pick` (the last if shorter)."""
    for section in screening.questionnaire.sections:
        chosen = {q.id: q.options[min(pick, len(q.options) - 1)].id for q in section.questions}
        screening_services.save_section(NOBODY, screening, section, chosen)


def make_records(facilitator_id: int, member_id: int, *, draft: bool = False) -> dict[str, int]:
    """In an app context: questionnaire v1 (and a retired v0), a Huế OSSO the member
    agreed to share with, a Huế health post without consent, a Nghệ An provider, a
    complete screening entered by the facilitator and an open referral they made; with
    `draft`, also a screening they started (first page answered)."""
    version = questionnaire.install(questionnaire.V1)
    old = questionnaire.install(questionnaire.V0, retired_on=date(2025, 1, 1))
    provider = add_provider(HUE)
    health = add_provider(HUE, "Trạm y tế phường", ProviderType.HEALTH)
    far = add_provider(NGHE_AN, "Trung tâm trợ giúp pháp lý", ProviderType.LEGAL)
    member = db.session.get(Member, member_id)
    facilitator = db.session.get(User, facilitator_id)
    consent = directory_services.record_sharing_consent(
        facilitator, member, provider, given_on=today(), today=today()
    )
    screening = screening_services.start_screening(
        facilitator, member, version=version, screened_on=today() - timedelta(days=1), today=today()
    )
    answer_all(screening, pick=1)
    screening_services.complete_screening(facilitator, screening)
    referral = referral_services.refer(
        facilitator,
        member,
        provider=provider,
        service=SupportType.HEALTH,
        reason="Cần khám sức khỏe tổng quát",
        expected_on=today() + timedelta(days=7),
        today=today(),
    )
    records = {}
    if draft:
        started = screening_services.start_screening(
            facilitator, member, version=version, screened_on=today(), today=today()
        )
        section = version.sections[0]
        screening_services.save_section(
            facilitator, started, section, {q.id: q.options[0].id for q in section.questions}
        )
        records["draft"] = started.id
    db.session.commit()
    return records | {
        "version": version.id,
        "old_version": old.id,
        "provider": provider.id,
        "health": health.id,
        "far_provider": far.id,
        "sharing_consent": consent.id,
        "screening": screening.id,
        "referral": referral.id,
    }
