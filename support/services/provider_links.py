"""The letter's link and its code (issue 26).

The link and its short code are worked out from a random nonce with the app's
SECRET_KEY (HMAC-SHA256): the database keeps the nonce and the link's SHA-256 only, so a
copy of it opens no referral, and the letter can be printed again with the same link.
Changing SECRET_KEY retires every printed link (print the letters again).

A link works while the referral is open, the consent it relies on is in force and its
day of expiry (PROVIDER_LINK_DAYS after it was made) has not passed; the code is
compared in constant time and throttled like a login (accounts.throttle), under the
name "link:<id>" (and "link:?" for links that do not exist).
"""

import base64
import hashlib
import hmac
import secrets
from datetime import date, timedelta
from enum import StrEnum

import segno
from markupsafe import Markup
from sqlalchemy import select

from core import audit
from core.db import db
from groups.models import Consent
from support.models.provider_side import ReferralLink
from support.models.referrals import (
    Referral,
    ReferralStatus,
)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
TOKEN_LENGTH = 32  # base64url characters: 192 bits
UNKNOWN_LINK = "link:?"


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
