"""Referrals: making them, changing their status, and the member's own view of them."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from accounts.models import User
from core import audit
from core.dates import check_day, not_before
from core.db import db
from core.errors import Conflict, DomainError
from core.saving import on_duplicate
from groups.models import Member
from groups.services import anonymise
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from support.models.referrals import (
    NEXT_STATUS,
    OPEN_STATUSES,
    ProviderType,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
)
from support.models.screening import SupportType
from support.services.directory import sharing_consent

ALREADY_REFERRED = _l(
    "This member already has an open referral to this provider for this service. "
    "Nothing new was sent: record what happened on that one."
)
on_duplicate("uq_referrals_open", ALREADY_REFERRED)


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


anonymise.ANONYMISERS.append(clear_member_texts)


# Where a provider's kind could tell a family member reading a shared phone too much, the
# member's page names no provider: only that a service was arranged.
DISCREET_KINDS = (ProviderType.LEGAL, ProviderType.PSYCHOSOCIAL, ProviderType.SHELTER)

MEMBER_WORDS = {
    ReferralStatus.REFERRED: _l("Sent. They have not received it yet."),
    ReferralStatus.ACKNOWLEDGED: _l("They received it. They will contact you."),
    ReferralStatus.ACCEPTED: _l("They received it and will help you."),
    ReferralStatus.SERVICE_RECEIVED: _l("Done: you were seen."),
    ReferralStatus.DECLINED: _l("Closed. Ask your facilitator about other help."),
    ReferralStatus.UNREACHABLE: _l("Closed. Ask your facilitator about other help."),
}


def member_referrals(member_id: int, limit: int = 5) -> list[dict]:
    """What the member's own page says of their referrals, newest first, in plain words:
    where (unless the provider's kind says too much), since when, and whether it was
    received. Never the service or the reason; nothing once the consent was withdrawn."""
    rows = db.session.execute(
        select(Referral.status, Referral.referred_on, ServiceProvider)
        .join(ServiceProvider, ServiceProvider.id == Referral.provider_id)
        .where(
            Referral.member_id == member_id,
            Referral.status != ReferralStatus.CONSENT_WITHDRAWN,
        )
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "where": None if provider.kind in DISCREET_KINDS else provider.name,
            "phone": None if provider.kind in DISCREET_KINDS else provider.contact_phone,
            "since": referred_on,
            "words": MEMBER_WORDS[status],
        }
        for status, referred_on, provider in rows
    ]


# Answers -----------------------------------------------------------------------------


# Closing referrals whose consent is withdrawn registers itself with groups (hooks).
from support import consent as _consent  # noqa: E402, F401
