"""The provider's side of a referral (issue 26): the letter's link, provider accounts and
the provider's own answers.

The link and its short code are worked out from a random nonce with the app's
SECRET_KEY (HMAC-SHA256): the database keeps the nonce and the link's SHA-256 only, so a
copy of it opens no referral, and the letter can be printed again with the same link.
Changing SECRET_KEY retires every printed link (print the letters again).

A link works while the referral is open, the consent it relies on is in force and its
day of expiry (PROVIDER_LINK_DAYS after it was made) has not passed; the code is
compared in constant time and throttled like a login (accounts.throttle), under the
name "link:<id>" (and "link:?" for links that do not exist).

Every answer is an effective-dated event on the referral's timeline, audited, and a
notice in the inbox of whoever made the referral and of the province's coordinators;
the referral job stops chasing a referral the provider answered (support/jobs.py).
Services flush, never commit.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import date, timedelta
from enum import StrEnum

import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from markupsafe import Markup
from sqlalchemy import select

from accounts import services as account_services
from accounts.models import Role, User, user_provinces
from core import audit
from core.dates import PLAN_DAYS, Day, check_day
from core.db import db
from core.errors import DomainError
from core.i18n import format_day
from groups.models import Consent, ConsentPurpose, Member
from inbox import services as notify
from support.models import (
    NEXT_STATUS,
    ProviderType,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
)
from support.provider_models import DeclineReason, ProviderStaff, ReferralLink
from support.services import close_follow_up

# No 0/O, 1/I/L: read off paper and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
TOKEN_LENGTH = 32  # base64url characters: 192 bits
UNKNOWN_LINK = "link:?"
MAX_TEXT = 2000


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    DECLINE = "decline"
    SERVED = "served"

    @property
    def status(self) -> ReferralStatus:
        return {
            Action.ACKNOWLEDGE: ReferralStatus.ACKNOWLEDGED,
            Action.ACCEPT: ReferralStatus.ACCEPTED,
            Action.DECLINE: ReferralStatus.DECLINED,
            Action.SERVED: ReferralStatus.SERVICE_RECEIVED,
        }[self]


class Refusal(StrEnum):
    """Why a link does not open: audited as the detail of "provider_link_refused"."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    CLOSED = "closed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    WRONG_CODE = "wrong_code"
    THROTTLED = "throttled"


# The link ----------------------------------------------------------------------------


def _derive(purpose: bytes, nonce: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), purpose + nonce.encode(), hashlib.sha256).digest()


def link_token(link: ReferralLink, secret: str) -> str:
    """The part of the link's address that finds it."""
    digest = _derive(b"referral-link:", link.nonce, secret)
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:TOKEN_LENGTH]


def link_code(link: ReferralLink, secret: str) -> str:
    """The short code printed beside the link: its second factor."""
    number = int.from_bytes(_derive(b"referral-code:", link.nonce, secret), "big")
    out = []
    for _i in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[index])
    return "".join(out)


def qr_svg(url: str) -> Markup:
    """The link as a QR code in inline SVG, drawn here: no script, no outside service."""
    svg = segno.make(url, error="m").svg_inline(scale=3, border=2, dark="#000", light="#fff")
    # Only paths: the address is in the squares, not in the markup's text.
    return Markup(svg)  # noqa: S704  # nosec B704


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str | None) -> str:
    return "".join(c for c in (code or "").upper() if c.isascii() and c.isalnum())[:20]


def code_matches(link: ReferralLink, code: str | None, secret: str) -> bool:
    """Compare in constant time, whatever was typed."""
    return hmac.compare_digest(normalise_code(code).encode(), link_code(link, secret).encode())


def ensure_link(referral: Referral, *, today: date, days: int, secret: str) -> ReferralLink:
    """The referral's link, made the first time its letter is printed. Printed again
    after it expired, the letter gets a new link and code: the old copy stays dead."""
    link = db.session.scalar(select(ReferralLink).where(ReferralLink.referral_id == referral.id))
    if link is not None and link.expires_on >= today:
        return link
    if link is None:
        link = ReferralLink(referral=referral)
        db.session.add(link)
    link.nonce = secrets.token_hex(32)
    link.expires_on = today + timedelta(days=days)
    link.token_hash = token_hash(link_token(link, secret))
    db.session.flush()
    return link


def find_link(token: str) -> ReferralLink | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(ReferralLink).where(ReferralLink.token_hash == token_hash(token))
    )


def consent_in_force(referral: Referral) -> bool:
    consent = db.session.get(Consent, referral.consent_id)
    return (
        referral.status != ReferralStatus.CONSENT_WITHDRAWN
        and consent is not None
        and consent.active
        and referral.member.anonymised_on is None
    )


def link_refusal(link: ReferralLink, today: date) -> Refusal | None:
    """Why this link no longer opens its referral, or None."""
    referral = link.referral
    if not consent_in_force(referral):
        return Refusal.CONSENT_WITHDRAWN
    if not referral.is_open:
        return Refusal.CLOSED
    if today > link.expires_on:
        return Refusal.EXPIRED
    return None


def audit_refusal(link: ReferralLink | None, refusal: Refusal, ip: str | None) -> None:
    if link is None:
        audit.record(
            None, "provider_link_refused", object_type="referral_links", detail=refusal, ip=ip
        )
    else:
        audit.record(
            None,
            "provider_link_refused",
            link.referral,
            detail=f"{refusal};link={link.id}",
            ip=ip,
        )


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


def shared_phone(referral: Referral) -> str | None:
    """The member's phone, only while they agree to be called (as on the letter)."""
    member = referral.member
    return (
        member.phone if member.phone and member.has_consent(ConsentPurpose.PHONE_CONTACT) else None
    )


def _too_long():
    return lazy_ngettext(
        "Use at most %(limit)s character.",
        "Use at most %(limit)s characters.",
        MAX_TEXT,
        limit=MAX_TEXT,
    )


# The member's own page ----------------------------------------------------------------

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


def answer(
    actor: User | None,
    referral: Referral,
    *,
    action: Action,
    on: date | None,
    today: date,
    via: str,
    reason: str | None = None,
    note: str | None = None,
    service_given: str | None = None,
    served_by: str | None = None,
    next_appointment_on: date | None = None,
    ip: str | None = None,
) -> ReferralEvent:
    """Record the provider's answer as of `on`; actor None when it came through the link."""
    if not referral.is_open:
        raise DomainError(
            _l(
                "This referral is already %(status)s; that change is not possible. "
                "Nothing was changed.",
                status=referral.status.label,
            )
        )
    to = action.status
    if to not in NEXT_STATUS.get(referral.status, ()):
        raise DomainError(
            _l(
                "This referral is already %(status)s; that change is not possible. "
                "Nothing was changed.",
                status=referral.status.label,
            )
        )
    if on is None:
        raise DomainError(_l("Enter the date."), "on")
    check_day(on, today, "on")
    if on < referral.referred_on:
        raise DomainError(
            _l(
                "The date (%(day)s) is before the referral was made (%(referred)s).",
                day=Day(on),
                referred=Day(referral.referred_on),
            ),
            "on",
        )
    if referral.acknowledged_on is not None and on < referral.acknowledged_on:
        raise DomainError(
            _l(
                "The date (%(day)s) is before the provider acknowledged the referral "
                "(%(acknowledged)s).",
                day=Day(on),
                acknowledged=Day(referral.acknowledged_on),
            ),
            "on",
        )
    if note is not None and len(note) > MAX_TEXT:
        raise DomainError(_too_long(), "note")
    if action == Action.DECLINE:
        if reason not in {r.value for r in DeclineReason}:
            raise DomainError(_l("Choose a reason from the list."), "reason")
        if reason == DeclineReason.OTHER and not note:
            raise DomainError(_l("Write the reason."), "note")
        referral.decline_reason = reason
    if action == Action.SERVED:
        if not service_given:
            raise DomainError(_l("Write what service was given."), "service_given")
        if len(service_given) > MAX_TEXT:
            raise DomainError(_too_long(), "service_given")
        if next_appointment_on is not None and not (
            on <= next_appointment_on <= today + timedelta(days=PLAN_DAYS)
        ):
            raise DomainError(
                _l(
                    "The next appointment (%(day)s) must be on or after the day the service "
                    "was given (%(given)s), and within a year.",
                    day=Day(next_appointment_on),
                    given=Day(on),
                ),
                "next_appointment_on",
            )
        referral.service_given = service_given
        referral.served_by = (served_by or None) and served_by[:120]
        referral.next_appointment_on = next_appointment_on
    before = referral.status
    referral.status = to
    if to in (ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED):
        if referral.acknowledged_on is None:
            referral.acknowledged_on = on
    else:
        referral.closed_on = on
        referral.outcome = service_given if action == Action.SERVED else note
    if referral.provider_answered_on is None:
        referral.provider_answered_on = on
    # The provider answered: the referral's check is done, the job chases no more.
    close_follow_up(referral)
    event = ReferralEvent(
        on=on,
        actor_id=actor.id if actor is not None else None,
        from_status=before,
        to_status=to,
        note=note if action != Action.SERVED else service_given,
        via=via,
    )
    referral.events.append(event)
    db.session.flush()
    audit.record(
        actor, "update", referral, detail=f"{before.value}>{to.value};via={via}", ip=ip, on=on
    )
    tell_coordinators(referral, event)
    return event


def tell_coordinators(referral: Referral, event: ReferralEvent) -> int:
    """A notice for whoever made the referral and the coordinators of the member's
    province, once per event."""
    province = referral.member.province_code
    ids = set()
    if province is not None:
        ids |= set(
            db.session.scalars(
                select(User.id)
                .join(user_provinces, user_provinces.c.user_id == User.id)
                .where(
                    User.role == Role.COORDINATOR,
                    User.active,
                    user_provinces.c.province_code == province,
                )
            )
        )
    if referral.referred_by is not None and referral.referred_by.active:
        ids.add(referral.referred_by_id)
    told = 0
    for user_id in sorted(ids):
        told += notify.notify(
            user_id,
            f"provans:{event.id}:{user_id}",
            KIND,
            object_id=referral.id,
            data={"status": event.to_status.value, "on": event.on.isoformat()},
        )
    return told


KIND = "referral_answered"


def _render(notifications):
    """Neutral words: the member's code, what the provider recorded and when."""
    ids = {n.object_id for n in notifications}
    codes = dict(
        db.session.execute(
            select(Referral.id, Member.code)
            .join(Member, Member.id == Referral.member_id)
            .where(Referral.id.in_(ids))
        ).all()
    )
    out = {}
    for n in notifications:
        code = codes.get(n.object_id, "")
        status = n.data.get("status")
        label = ReferralStatus(status).label if status else ""
        day = date.fromisoformat(n.data["on"]) if n.data.get("on") else None
        subject = _("The provider answered: %(code)s", code=code)
        body = _(
            "The provider recorded “%(status)s” on %(day)s for %(code)s.",
            status=label,
            day=format_day(day),
            code=code,
        )
        out[n.id] = (subject, body, ("support.show_referral", {"referral_id": n.object_id}))
    return out


notify.RENDERERS[KIND] = _render
