"""Provider accounts: staff of one provider, and what they may see."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts import services as account_services
from accounts.models import Role, User
from core import audit
from core.db import db
from core.errors import DomainError
from groups.models import Consent, Member
from support.models.provider_side import ProviderStaff
from support.models.referrals import (
    Referral,
    ReferralStatus,
    ServiceProvider,
)
from support.services.provider_links import consent_in_force

# Provider accounts -------------------------------------------------------------------


def staff_provider_id(user) -> int | None:
    """The provider an account of the provider role works for."""
    if getattr(user, "role", None) != Role.PROVIDER:
        return None
    return db.session.scalar(
        select(ProviderStaff.provider_id).where(ProviderStaff.user_id == user.id)
    )


def provider_may_see(user, referral: Referral) -> bool:
    """A provider account sees its own provider's referrals while their consent holds."""
    provider_id = staff_provider_id(user)
    return (
        provider_id is not None
        and referral.provider_id == provider_id
        and consent_in_force(referral)
    )


def list_provider_referrals(provider_id: int) -> list[Referral]:
    """The provider's referrals whose consent is in force, open ones first."""
    rows = db.session.scalars(
        select(Referral)
        .join(Consent, Consent.id == Referral.consent_id)
        .join(Member, Member.id == Referral.member_id)
        .where(
            Referral.provider_id == provider_id,
            Referral.status != ReferralStatus.CONSENT_WITHDRAWN,
            Consent.withdrawn_on.is_(None),
            Member.anonymised_on.is_(None),
        )
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
        .limit(500)
    ).all()
    return sorted(rows, key=lambda r: not r.is_open)


def list_staff(provider: ServiceProvider) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(ProviderStaff, ProviderStaff.user_id == User.id)
            .where(ProviderStaff.provider_id == provider.id)
            .order_by(User.sort_key, User.id)
        )
    )


def create_provider_account(
    actor: User, provider: ServiceProvider, *, username: str, full_name: str, password: str
) -> User:
    """An account of the provider role for one provider's staff; its password is
    changed at first login, and it signs in with a second factor like other staff."""
    if not provider.can_edit(actor):
        raise DomainError(_l("Choose one of your provinces."))
    user = account_services.create_user(
        actor,
        username=username,
        full_name=full_name,
        role=Role.PROVIDER,
        password=password,
        must_change_password=True,
    )
    db.session.add(ProviderStaff(user_id=user.id, provider_id=provider.id, created_by_id=actor.id))
    db.session.flush()
    audit.record(actor, "update", user, detail=f"provider={provider.id}")
    return user


def set_staff_active(actor: User, provider: ServiceProvider, user: User, *, active: bool) -> User:
    """Deactivate one of the provider's staff accounts, ending its sessions at once, or
    make it active again: admins and the coordinators of the provider's province."""
    if not provider.can_edit(actor):
        raise DomainError(_l("Choose one of your provinces."))
    if staff_provider_id(user) != provider.id:
        raise DomainError(_l("This account does not work for this provider."))
    if user.active != active:
        account_services.set_active(actor, user, active)
    return user
