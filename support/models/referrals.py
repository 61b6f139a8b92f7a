"""The provider directory, referrals and their timeline."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User, enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from core.places import Commune, Province
from groups.models import Member
from support.models.screening import SupportType


class ProviderType(LabelledEnum):
    OSSO = "osso", _l("One-stop service office")
    HEALTH = "health", _l("Health centre")
    LEGAL = "legal", _l("Legal aid centre")
    VOCATIONAL = "vocational", _l("Vocational training centre")
    PSYCHOSOCIAL = "psychosocial", _l("Counselling service")
    SHELTER = "shelter", _l("Shelter")
    SOCIAL = "social", _l("Social protection office")


class ServiceProvider(db.Model):
    __tablename__ = "service_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[ProviderType] = mapped_column(enum_column(ProviderType))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), index=True)
    commune_code: Mapped[int | None] = mapped_column(ForeignKey("communes.code"))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    contact_person: Mapped[str | None] = mapped_column(String(120))
    opening_days: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    province: Mapped[Province] = relationship()
    commune: Mapped[Commune | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def contact_phone(self) -> str | None:
        """The office's public number: templates read members' phones only through
        Member.phone_to_show, so this one has a name of its own."""
        return self.phone

    def can_edit(self, user) -> bool:
        """Admins; coordinators of the provider's province."""
        return user.role in Role.MANAGERS and user.covers_province(self.province_code)

    @property
    def name_with_kind(self) -> str:
        """The name, and the type after it only when the name does not already say it:
        "Văn phòng hỗ trợ dịch vụ một điểm đến Hà Nội", not "… (Văn phòng hỗ trợ một
        điểm đến)" (usability F9f). All but one word of the type in the name is enough."""
        label = str(self.kind.label)
        missing = set(label.casefold().split()) - set(self.name.casefold().split())
        return self.name if len(missing) <= 1 else f"{self.name} ({label})"


class ReferralStatus(LabelledEnum):
    REFERRED = "referred", _l("Referred")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged by the provider")
    # The provider said it will give the service (issue 26).
    ACCEPTED = "accepted", _l("Accepted by the provider")
    SERVICE_RECEIVED = "service_received", _l("Service received")
    DECLINED = "declined", _l("Declined")
    UNREACHABLE = "unreachable", _l("Could not be reached")
    # Closed because the member withdrew the consent it relied on (or was anonymised):
    # counted apart from declined or unreachable ones.
    CONSENT_WITHDRAWN = "consent_withdrawn", _l("Closed: consent withdrawn")

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = (ReferralStatus.REFERRED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED)

# Which status may follow which: a closed referral stays closed.
NEXT_STATUS = {
    ReferralStatus.REFERRED: (
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.SERVICE_RECEIVED,
        ReferralStatus.DECLINED,
        ReferralStatus.UNREACHABLE,
    ),
    ReferralStatus.ACKNOWLEDGED: (
        ReferralStatus.ACCEPTED,
        ReferralStatus.SERVICE_RECEIVED,
        ReferralStatus.DECLINED,
        ReferralStatus.UNREACHABLE,
    ),
    ReferralStatus.ACCEPTED: (
        ReferralStatus.SERVICE_RECEIVED,
        ReferralStatus.DECLINED,
        ReferralStatus.UNREACHABLE,
    ),
}


class Referral(db.Model):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Access follows the member (Member.can_view): no group or province kept here.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("service_providers.id"), index=True)
    service: Mapped[SupportType] = mapped_column(enum_column(SupportType))
    reason: Mapped[str] = mapped_column(Text)  # a note: managers only
    referred_on: Mapped[date] = mapped_column(index=True)  # a period's (reports)
    expected_on: Mapped[date]
    # The consent to share with this provider that was active when the referral was made.
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus), index=True)
    acknowledged_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(Text)  # a note: managers only
    # The provider's own answers (support/services/provider_answers.py): the first day it
    # answered, which stops the referral job chasing; why it declined; the service it recorded.
    provider_answered_on: Mapped[date | None]
    decline_reason: Mapped[str | None] = mapped_column(String(20))
    service_given: Mapped[str | None] = mapped_column(Text)
    served_by: Mapped[str | None] = mapped_column(String(120))
    next_appointment_on: Mapped[date | None]
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    member: Mapped[Member] = relationship()
    provider: Mapped[ServiceProvider] = relationship()
    referred_by: Mapped[User | None] = relationship()
    events: Mapped[list["ReferralEvent"]] = relationship(
        back_populates="referral", order_by="ReferralEvent.at, ReferralEvent.id"
    )
    messages: Mapped[list["ReferralMessage"]] = relationship(
        back_populates="referral", order_by="ReferralMessage.at, ReferralMessage.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One open referral per member, provider and service: a second tap makes none.
        Index(
            "uq_referrals_open",
            "member_id",
            "provider_id",
            "service",
            unique=True,
            sqlite_where=text("status IN ('referred', 'acknowledged', 'accepted')"),
            postgresql_where=text("status IN ('referred', 'acknowledged', 'accepted')"),
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.expected_on < today

    @property
    def follow_up_key(self) -> str:
        """The FollowUp.source_key of this referral's check (support/jobs.py)."""
        return f"referral:{self.id}"

    def can_view(self, user) -> bool:
        """Provider, service, status and dates: staff who may see the member."""
        return user.role != Role.MEMBER and self.member.can_view(user)

    def can_read_notes(self, user) -> bool:
        """The reason, the outcome and the notes on the timeline: coordinators of the
        member's current province and admins."""
        return user.role in Role.MANAGERS and self.member.can_view(user)

    def can_update(self, user) -> bool:
        """Record acknowledgement and outcome: staff who may edit the member, while open."""
        return self.is_open and user.role != Role.MEMBER and self.member.can_edit(user)

    def can_read_messages(self, user) -> bool:
        """The thread with the provider: like the notes, coordinators of the member's
        current province and admins."""
        return self.can_read_notes(user)

    def can_post_message(self, user) -> bool:
        """Write to the provider: those who read the thread, while the referral is open
        (a closed one, or one whose consent was withdrawn, has no provider to answer)."""
        return self.is_open and self.can_read_messages(user)

    def can_print_letter(self, user) -> bool:
        """The letter for the provider carries the reason: those who may read notes, and
        whoever made the referral while they still see the member; nobody once the
        member withdrew the consent it relied on."""
        if self.status == ReferralStatus.CONSENT_WITHDRAWN:
            return False
        if self.can_read_notes(user):
            return True
        return (
            user.role != Role.MEMBER
            and user.id == self.referred_by_id
            and self.member.can_view(user)
        )


class ReferralEvent(db.Model):
    """One step of a referral's timeline: who, when, from which status to which."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    on: Mapped[date]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[ReferralStatus | None] = mapped_column(enum_column(ReferralStatus))
    to_status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus))
    note: Mapped[str | None] = mapped_column(Text)  # managers only
    # "link" or "account" when the provider recorded it itself
    # (support/services/provider_answers.py).
    via: Mapped[str | None] = mapped_column(String(20))

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ReferralMessage(db.Model):
    """One message of the thread between the provider and the case team on a referral
    (issue 26), shown in the referral's timeline. Plain text, escaped when shown."""

    __tablename__ = "referral_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when the provider wrote through the letter's link (it has no account).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "link" or "account": the provider; "staff": the case team.
    via: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)  # emptied on anonymisation

    referral: Mapped[Referral] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()

    @property
    def from_provider(self) -> bool:
        return self.via != "staff"


# The provider's side (issue 26) lives apart; imported here so the tables are known.
from support.models.provider_side import ProviderStaff, ReferralLink  # noqa: E402, F401
