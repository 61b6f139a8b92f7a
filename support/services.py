"""Screenings, providers, consent to share and referrals: state changes and queries.

Services flush, never commit, and take an explicit actor and dates. The SQL twins of
the permission methods in support/models.py are here, built on groups.services.scope.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, select, update
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core import audit
from core.dates import check_day, not_before
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.places import Province
from core.saving import on_duplicate
from groups.models import Consent, ConsentPurpose, Member
from groups.services import members as member_services
from groups.services.scope import member_in_scope
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from support import scoring
from support.models import (
    NEXT_STATUS,
    OPEN_STATUSES,
    AnswerOption,
    ProviderType,
    QuestionnaireSection,
    QuestionnaireVersion,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Screening,
    ScreeningAnswer,
    ScreeningStatus,
    ServiceProvider,
    SupportType,
)

ALREADY_STARTED = _l(
    "A screening of this member is already being filled in. It was not started twice: "
    "go on with the one below."
)
on_duplicate("uq_screenings_open_member", ALREADY_STARTED)
ALREADY_REFERRED = _l(
    "This member already has an open referral to this provider for this service. "
    "Nothing new was sent: record what happened on that one."
)
on_duplicate("uq_referrals_open", ALREADY_REFERRED)


# Who sees what, in SQL -----------------------------------------------------------------


def visible(user: User, member_id) -> ColumnElement[bool]:
    """SQL twin of Screening.can_view / Referral.can_view."""
    if user.role == Role.MEMBER:
        return false()
    return member_in_scope(user, member_id)


def notes_visible(user: User, member_id) -> ColumnElement[bool]:
    """SQL twin of Screening.can_read_answers / Referral.can_read_notes."""
    if user.role not in Role.MANAGERS:
        return false()
    return member_in_scope(user, member_id)


# Questionnaires and screenings --------------------------------------------------------


def current_version() -> QuestionnaireVersion | None:
    """The newest version that is not retired: the one new screenings use."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.retired_on.is_(None))
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    )


def open_screening(member: Member) -> Screening | None:
    return db.session.scalar(
        select(Screening).where(
            Screening.member_id == member.id, Screening.status == ScreeningStatus.DRAFT
        )
    )


def list_screenings(member: Member) -> list[Screening]:
    return list(
        db.session.scalars(
            select(Screening)
            .where(Screening.member_id == member.id)
            .options(selectinload(Screening.questionnaire), selectinload(Screening.screened_by))
            .order_by(Screening.screened_on.desc(), Screening.id.desc())
        )
    )


def start_screening(
    actor: User,
    member: Member,
    *,
    version: QuestionnaireVersion | None,
    screened_on: date,
    today: date,
) -> Screening:
    """Start a screening as a draft under a version that is in use."""
    if version is None:
        raise DomainError(_l("Choose a questionnaire."))
    if version.retired:
        raise DomainError(
            _l("This questionnaire is no longer in use. Start again with the current one.")
        )
    if not version.sections:
        raise DomainError(_l("This questionnaire has no questions."))
    check_day(screened_on, today, "screened_on")
    if open_screening(member) is not None:
        raise Conflict(ALREADY_STARTED)
    screening = Screening(
        member=member,
        questionnaire=version,
        screened_on=screened_on,
        screened_by_id=actor.id,
        status=ScreeningStatus.DRAFT,
    )
    db.session.add(screening)
    db.session.flush()
    audit.record(actor, "create", screening, detail=f"version={version.number}")
    return screening


def _require_draft(screening: Screening) -> None:
    if screening.status != ScreeningStatus.DRAFT:
        raise DomainError(
            _l("This screening is already complete. Nothing was changed: it stays as saved.")
        )


def save_section(
    actor: User, screening: Screening, section: QuestionnaireSection, chosen: dict[int, int | None]
) -> None:
    """Keep the answers to one page: question id -> option id. Every question of the
    page needs an answer from its own options; sending the same page twice changes
    nothing."""
    _require_draft(screening)
    if section.version_id != screening.version_id:
        raise DomainError(_l("This page is not part of the screening's questionnaire."))
    for question in section.questions:
        option_id = chosen.get(question.id)
        if option_id is None:
            raise DomainError(_l("Choose an answer."), f"q{question.id}")
        if option_id not in {o.id for o in question.options}:
            raise DomainError(_l("Choose one of the answers shown."), f"q{question.id}")
    kept = {a.question_id: a for a in screening.answers}
    for question in section.questions:
        option_id = chosen[question.id]
        if question.id in kept:
            kept[question.id].option_id = option_id
        else:
            screening.answers.append(ScreeningAnswer(question_id=question.id, option_id=option_id))
    db.session.flush()


def unanswered_section(screening: Screening) -> QuestionnaireSection | None:
    """The first page with a question not yet answered."""
    answered = {a.question_id for a in screening.answers}
    for section in screening.questionnaire.sections:
        if any(q.id not in answered for q in section.questions):
            return section
    return None


def complete_screening(actor: User, screening: Screening) -> Screening:
    """Score the screening (support/scoring.py) and close it; only once."""
    _require_draft(screening)
    missing = unanswered_section(screening)
    if missing is not None:
        raise DomainError(
            _l("Page %(page)s still has questions without an answer.", page=missing.position)
        )
    options = {
        o.id: o
        for o in db.session.scalars(
            select(AnswerOption).where(
                AnswerOption.id.in_([a.option_id for a in screening.answers])
            )
        )
    }
    result = scoring.score((a.question, options[a.option_id]) for a in screening.answers)
    for dimension, value in result.scores.items():
        setattr(screening, dimension.value, value)
    screening.suggested = ",".join(t.value for t in result.suggested) or None
    screening.status = ScreeningStatus.COMPLETE
    screening.completed_at = utcnow()
    db.session.flush()
    audit.record(actor, "update", screening, detail="complete")
    return screening


def previous_screening(screening: Screening) -> Screening | None:
    """The member's complete screening just before this one."""
    return db.session.scalar(
        select(Screening)
        .where(
            Screening.member_id == screening.member_id,
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.id != screening.id,
            (Screening.screened_on < screening.screened_on)
            | and_(Screening.screened_on == screening.screened_on, Screening.id < screening.id),
        )
        .order_by(Screening.screened_on.desc(), Screening.id.desc())
        .limit(1)
    )


# Providers and consent to share --------------------------------------------------------


def providers_for(member: Member, *, active_only: bool = True) -> list[ServiceProvider]:
    """Providers in the province of the member's current group."""
    province = member.province_code
    if province is None:
        return []
    stmt = select(ServiceProvider).where(ServiceProvider.province_code == province)
    if active_only:
        stmt = stmt.where(ServiceProvider.active)
    return list(db.session.scalars(stmt.order_by(ServiceProvider.kind, ServiceProvider.name)))


def save_provider(actor: User, provider: ServiceProvider | None, **fields) -> ServiceProvider:
    """Add a provider to the directory or change one; coordinators only in their provinces."""
    if db.session.get(Province, fields["province_code"]) is None:
        raise DomainError(_l("Choose one of your provinces."), "province_code")
    if not actor.covers_province(fields["province_code"]):
        raise DomainError(_l("Choose one of your provinces."), "province_code")
    fields["kind"] = ProviderType(fields["kind"])
    if provider is None:
        provider = ServiceProvider(**fields)
        db.session.add(provider)
        action = "create"
    else:
        for name, value in fields.items():
            setattr(provider, name, value)
        action = "update"
    db.session.flush()
    audit.record(actor, action, provider, detail=None)
    return provider


def sharing_consent(member: Member, provider: ServiceProvider) -> Consent | None:
    """The member's active consent to share with this provider, if any."""
    return next(
        (
            c
            for c in member.consents
            if c.active
            and c.purpose == ConsentPurpose.PROVIDER_SHARING
            and c.provider_id == provider.id
        ),
        None,
    )


def record_sharing_consent(
    actor: User, member: Member, provider: ServiceProvider, *, given_on: date, today: date
) -> Consent:
    """Record the member's consent to share what a referral needs with this provider."""
    if provider.province_code != member.province_code:
        raise DomainError(_l("Choose a provider in the member's province."), "provider_id")
    check_day(given_on, today, "given_on")
    if sharing_consent(member, provider) is not None:
        raise DomainError(_l("This consent is already recorded."), "provider_id")
    consent = member_services.record_consent(
        actor,
        member,
        purpose=ConsentPurpose.PROVIDER_SHARING,
        provider=provider.name[:160],
        given_on=given_on,
    )
    consent.provider_id = provider.id
    db.session.flush()
    return consent


# Referrals -----------------------------------------------------------------------------


def list_referrals(member: Member) -> list[Referral]:
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.member_id == member.id)
            .options(selectinload(Referral.provider))
            .order_by(Referral.referred_on.desc(), Referral.id.desc())
        )
    )


def refer(
    actor: User,
    member: Member,
    *,
    provider: ServiceProvider | None,
    service: SupportType,
    reason: str,
    expected_on: date,
    today: date,
) -> Referral:
    """Refer the member to a provider in their province, with their consent on record."""
    if provider is None or not provider.active:
        raise DomainError(_l("Choose a provider from the list."), "provider_id")
    if provider.province_code != member.province_code:
        raise DomainError(
            _l("This provider is not in the member's province. Choose one from the list."),
            "provider_id",
        )
    if expected_on < today:
        raise DomainError(_l("The expected date cannot be in the past."), "expected_on")
    consent = sharing_consent(member, provider)
    if consent is None:
        raise DomainError(
            _l(
                "The member has not agreed to share their details with this provider, or "
                "has withdrawn it. Record their consent first; nothing was sent."
            ),
            "provider_id",
        )
    already = db.session.scalar(
        select(Referral.id).where(
            Referral.member_id == member.id,
            Referral.provider_id == provider.id,
            Referral.service == service,
            Referral.status.in_(OPEN_STATUSES),
        )
    )
    if already is not None:
        raise Conflict(ALREADY_REFERRED)
    referral = Referral(
        member=member,
        provider=provider,
        service=service,
        reason=reason,
        referred_on=today,
        expected_on=expected_on,
        consent_id=consent.id,
        status=ReferralStatus.REFERRED,
        referred_by_id=actor.id,
    )
    referral.events.append(
        ReferralEvent(on=today, actor_id=actor.id, from_status=None, to_status=referral.status)
    )
    db.session.add(referral)
    db.session.flush()
    audit.record(actor, "create", referral, detail=f"provider={provider.id}")
    return referral


def change_status(
    actor: User,
    referral: Referral,
    *,
    to: ReferralStatus,
    on: date,
    note: str | None,
    today: date,
) -> Referral:
    """Move the referral along; a closing status records the outcome and closes its
    follow-up (support/jobs.py), which stops the reminders."""
    if to not in NEXT_STATUS.get(referral.status, ()):
        raise DomainError(
            _l(
                "This referral is already %(status)s; that change is not possible. "
                "Nothing was changed.",
                status=referral.status.label,
            ),
            "to_status",
        )
    check_day(on, today, "on")
    not_before(
        on,
        referral.referred_on,
        _l("The date (%(day)s) is before the referral was made (%(referred)s)."),
        "on",
    )
    not_before(
        on,
        referral.acknowledged_on,
        _l(
            "The date (%(day)s) is before the provider acknowledged the referral "
            "(%(acknowledged)s)."
        ),
        "on",
    )
    before = referral.status
    referral.status = to
    if to in (ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED):
        if referral.acknowledged_on is None:
            referral.acknowledged_on = on
    else:
        referral.closed_on = on
        referral.outcome = note
        close_follow_up(referral)
    referral.events.append(
        ReferralEvent(on=on, actor_id=actor.id, from_status=before, to_status=to, note=note)
    )
    db.session.flush()
    audit.record(actor, "update", referral, detail=f"{before.value}>{to.value}", on=on)
    return referral


def close_follow_up(referral: Referral) -> None:
    """Recording the outcome closes the referral's follow-up, if the sweep opened one."""
    db.session.execute(
        update(FollowUp)
        .where(
            FollowUp.source_key == referral.follow_up_key,
            FollowUp.kind == FollowUpKind.REFERRAL_CHECK,
            FollowUp.status.in_([FollowUpStatus.SCHEDULED, FollowUpStatus.MISSED]),
        )
        .values(status=FollowUpStatus.DONE, version=FollowUp.version + 1)
        .execution_options(synchronize_session=False)
    )


def clear_member_texts(member: Member) -> None:
    """On anonymisation: the reasons, outcomes and notes written about the member."""
    ids = select(Referral.id).where(Referral.member_id == member.id)
    db.session.execute(
        update(ReferralEvent).where(ReferralEvent.referral_id.in_(ids)).values(note=None)
    )
    db.session.execute(
        update(Referral)
        .where(Referral.member_id == member.id)
        .values(reason="", outcome=None, version=Referral.version + 1)
        .execution_options(synchronize_session=False)
    )


member_services.ANONYMISERS.append(clear_member_texts)

# Closing referrals whose consent is withdrawn registers itself with groups (hooks).
from support import consent as _consent  # noqa: E402, F401
