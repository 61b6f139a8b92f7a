"""The provider's side of a referral (issue 26): the letter's link, and provider accounts.

A provider answers a referral either through the link printed on the letter (with the
short code printed beside it) or from an account of the provider role. Either way it
sees one provider's referrals whose consent is in force, and only what that consent
lets the letter show.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import db, utcnow
from core.enums import LabelledEnum
from support.models.referrals import Referral, ServiceProvider


class DeclineReason(LabelledEnum):
    NOT_OFFERED = "not_offered", _l("We do not offer this service")
    NOT_ELIGIBLE = "not_eligible", _l("The person does not meet our conditions")
    NO_CAPACITY = "no_capacity", _l("We cannot take anyone new for now")
    REFERRED_ON = "referred_on", _l("We sent the person to another service")
    PERSON_REFUSED = "person_refused", _l("The person did not want the service")
    OTHER = "other", _l("Another reason (write it below)")


class ReferralLink(db.Model):
    """The link on a referral's letter. Neither the link nor its code is stored: both are
    worked out from `nonce` with the app's SECRET_KEY (support/services/provider_links.py), so the
    letter can be printed again, and a copy of the database alone opens nothing. The
    link is found by its SHA-256."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), unique=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[date]

    referral: Mapped[Referral] = relationship()


class ProviderStaff(db.Model):
    """An account of the provider role belongs to one provider of the directory."""

    __tablename__ = "provider_staff"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("service_providers.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    provider: Mapped[ServiceProvider] = relationship()
