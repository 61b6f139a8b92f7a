"""The provider directory and the member's consent to share with a provider."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import User
from core import audit
from core.dates import check_day
from core.db import db
from core.errors import DomainError
from core.places import Province
from groups.models import Consent, ConsentPurpose, Member
from groups.services import members as member_services
from support.models.referrals import (
    ProviderType,
    ServiceProvider,
)


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
