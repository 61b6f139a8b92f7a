from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from accounts.models import Role, User, enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from core.places import Commune, Province
from core.text import fold


class GroupStatus(LabelledEnum):
    FORMING = "forming", _l("Forming")
    ACTIVE = "active", _l("Active")
    PAUSED = "paused", _l("Paused")
    CLOSED = "closed", _l("Closed")


class Cadence(LabelledEnum):
    WEEKLY = "weekly", _l("Every week")
    FORTNIGHTLY = "fortnightly", _l("Every two weeks")
    MONTHLY = "monthly", _l("Once a month (first week)")


WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)

group_facilitators = Table(
    "group_facilitators",
    db.metadata,
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # A facilitator's groups (the primary key starts with the group).
    Index("ix_group_facilitators_user_id_group_id", "user_id", "group_id"),
)


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Derived from name whenever it is set: searched without diacritics, like members.
    search_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), index=True)
    commune_code: Mapped[int] = mapped_column(ForeignKey("communes.code"), index=True)
    village: Mapped[str | None] = mapped_column(String(120))
    founded_on: Mapped[date]
    status: Mapped[GroupStatus] = mapped_column(enum_column(GroupStatus))
    # The day a closed group stopped meeting (set only while it is closed): the figures of
    # earlier periods still expect its meetings up to the day before.
    closed_on: Mapped[date | None]
    # Both None: not set up yet (a group an import made without a schedule): it is not
    # expected to meet, nor overdue, until someone gives it one.
    cadence: Mapped[Cadence | None] = mapped_column(enum_column(Cadence))
    meeting_weekday: Mapped[int | None]  # 0 = Monday … 6 = Sunday
    # The day a group that was not set up was given its schedule: it is expected to meet
    # from then, not from its founding (years before, in an old register). None: from
    # its founding day (groups.services.schedule.schedule_start).
    schedule_from: Mapped[date | None]
    partner: Mapped[str | None] = mapped_column(String(160))
    # The last day the group is not yet overdue for a meeting, None unless it is active:
    # groups.services.groups.meeting_due_by, kept by every writer of its meetings, status,
    # cadence and founding day in the same transaction (checked after every test). Lists and
    # counts of groups overdue today read it through the index below.
    meeting_due_by: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    province: Mapped[Province] = relationship()
    commune: Mapped[Commune] = relationship()
    facilitators: Mapped[list[User]] = relationship(
        secondary=group_facilitators, order_by=User.sort_key
    )

    __table_args__ = (
        Index("ix_groups_province_code_meeting_due_by", "province_code", "meeting_due_by"),
    )
    __mapper_args__ = {"version_id_col": version}

    @validates("name")
    def _keep_search_name(self, _key, value):
        self.search_name = fold(value or "")[:120]
        return value

    @property
    def is_set_up(self) -> bool:
        """The group has a meeting schedule (an imported group may not, yet)."""
        return self.cadence is not None and self.meeting_weekday is not None

    @property
    def weekday_label(self):
        return WEEKDAYS[self.meeting_weekday] if self.is_set_up else "—"

    @property
    def schedule_label(self) -> str:
        """The schedule as one sentence per cadence: "Thứ Hai hằng tuần", "Mondays, every week"."""
        if not self.is_set_up:
            return _("Not set up yet: no meeting schedule")
        weekday = WEEKDAYS[self.meeting_weekday]
        if self.cadence == Cadence.WEEKLY:
            return _("%(weekday)s, every week", weekday=weekday)
        if self.cadence == Cadence.FORTNIGHTLY:
            return _("%(weekday)s, every two weeks", weekday=weekday)
        return _("%(weekday)s of the first week of each month", weekday=weekday)

    def is_facilitated_by(self, user) -> bool:
        return any(f.id == user.id for f in self.facilitators)

    def can_view(self, user) -> bool:
        """Admins; coordinators of the group's province; the group's facilitators."""
        if user.role == Role.FACILITATOR:
            return self.is_facilitated_by(user)
        return user.covers_province(self.province_code)

    def can_manage(self, user) -> bool:
        """Change the group itself (details, status, facilitators): coordinators and admins."""
        return user.role in (Role.ADMIN, Role.COORDINATOR) and user.covers_province(
            self.province_code
        )

    def can_record(self, user) -> bool:
        """Record meetings and keep members: anyone who can view it, while it is open."""
        return self.status != GroupStatus.CLOSED and self.can_view(user)


class DatePrecision(LabelledEnum):
    """How much of a date a register gave: only its year, or its month and year. The
    date kept is the first day of that year or month; it is shown "~2019", "~05/2023"."""

    YEAR = "year", _l("Only the year is known")
    MONTH = "month", _l("Only the month is known")


class Gender(LabelledEnum):
    FEMALE = "female", _l("Female")
    MALE = "male", _l("Male")
    OTHER = "other", _l("Other")
    UNDISCLOSED = "undisclosed", _l("Prefers not to say")


class MemberCategory(LabelledEnum):
    # The label is the full wording: the member form and the profile's protected section only.
    SURVIVOR = "survivor", _l("Returnee in need of support")
    MIGRANT = "migrant", _l("Vulnerable migrant")
    COMMUNITY = "community", _l("Community resident")

    @property
    def neutral_label(self):
        """What lists and filters show: a screen open in the village says nothing."""
        return {
            MemberCategory.SURVIVOR: _l("Category 1"),
            MemberCategory.MIGRANT: _l("Category 2"),
            MemberCategory.COMMUNITY: _l("Category 3"),
        }[self]


class Member(db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Pseudonymous, stable, used wherever a name is not needed: HUE-2026-0042.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Derived from full_name on every change (services.set_name): search and order.
    search_name: Mapped[str] = mapped_column(String(120))
    sort_key: Mapped[str] = mapped_column(String(255))
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    birth_year: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    # The member's own thôn, xóm or tổ (visits need it), from an import.
    village: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[MemberCategory] = mapped_column(enum_column(MemberCategory))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when the personal fields were cleared (on request, or after the retention
    # period): the code, memberships, attendance and grants stay for the counts.
    anonymised_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)
    # The home group (home_membership's group), for SQL: set by triggers on `memberships`
    # in the statement that writes a membership (migration 0022), never by this code.
    # Deferred and fetched: a loaded member does not keep a copy a move makes stale.
    home_group_id: Mapped[int | None] = mapped_column(
        deferred=True, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="member", order_by="Membership.joined_on, Membership.id"
    )
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="member", order_by="Consent.given_on, Consent.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Member lists page in name order; the id breaks ties.
        Index("ix_members_sort_key_id", "sort_key", "id"),
        # A coordinator's scope: the members of some groups, read from the index alone on
        # PostgreSQL (id carried; SQLite's indexes carry the rowid, which is id).
        Index("ix_members_home_group_id", "home_group_id", postgresql_include=["id"]),
        # Search finds a part of a name: a trigram index on PostgreSQL answers
        # `LIKE '%…%'` without reading every member (SQLite keeps a plain index).
        Index(
            "ix_members_search_name",
            "search_name",
            postgresql_using="gin",
            postgresql_ops={"search_name": "gin_trgm_ops"},
        ),
    )

    @property
    def current_membership(self) -> "Membership | None":
        return next((m for m in self.memberships if m.left_on is None), None)

    @property
    def home_membership(self) -> "Membership | None":
        """The membership that decides who sees the member: the current one, or the last
        one once they left. The SQL twin is groups.services.scope.home_memberships()."""
        current = self.current_membership
        if current is not None:
            return current
        return max(self.memberships, key=lambda m: (m.joined_on, m.id), default=None)

    @property
    def province_code(self) -> int | None:
        """The province of the member's current (or last) group: derived, never stored,
        so moving a group or a member moves who may see them."""
        home = self.home_membership
        return home.group.province_code if home is not None else None

    def can_view(self, user) -> bool:
        """Admins; facilitators of the member's current group; coordinators of that
        group's province (of the last group, once the member left). Access follows the
        member's memberships and the group's current province, never a stored copy."""
        if user.role == Role.ADMIN:
            return True
        if user.role == Role.FACILITATOR:
            current = self.current_membership
            return current is not None and current.group.is_facilitated_by(user)
        if user.role == Role.COORDINATOR:
            province = self.province_code
            return province is not None and user.covers_province(province)
        return False

    def can_edit(self, user) -> bool:
        """Change the profile, memberships, consent, login and grants: staff who can see
        the member, until the member is anonymised."""
        return self.anonymised_on is None and self.can_view(user)

    def can_anonymise(self, user) -> bool:
        """Clear the personal fields on request: admins, and coordinators in scope."""
        return (
            self.anonymised_on is None
            and user.role in (Role.ADMIN, Role.COORDINATOR)
            and self.can_view(user)
        )

    def has_consent(self, purpose: "ConsentPurpose") -> bool:
        return any(c.purpose == purpose and c.active for c in self.consents)

    @property
    def has_phone(self) -> bool:
        return bool(self.phone)

    def phone_to_show(self, user) -> str | None:
        """The phone number, for staff who may see the member, and only while the member
        agrees to be contacted by phone. Every page that shows a member's phone asks here."""
        if not self.phone or not self.can_view(user):
            return None
        return self.phone if self.has_consent(ConsentPurpose.PHONE_CONTACT) else None


class GroupRole(LabelledEnum):
    MEMBER = "member", _l("Member")
    LEADER = "leader", _l("Group leader")
    TREASURER = "treasurer", _l("Treasurer")


class Membership(db.Model):
    """One dated stretch of a member in a group with one role. Never overwritten:
    leaving, moving and a new role each close the row and, where needed, open another."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    role: Mapped[GroupRole] = mapped_column(enum_column(GroupRole))
    joined_on: Mapped[date]
    # None: the day is known. A register that gave only a year or a month keeps its
    # first day in joined_on, and says so here.
    joined_precision: Mapped[DatePrecision | None] = mapped_column(enum_column(DatePrecision, 5))
    left_on: Mapped[date | None]
    left_reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship()

    __table_args__ = (
        # A member is in at most one group at a time.
        Index(
            "uq_memberships_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
        Index("ix_memberships_member_id", "member_id"),
        # Who joined in a period (the progress pages).
        Index("ix_memberships_joined_on", "joined_on"),
        # Members who left a group (the member list's status=left): few, so partial.
        Index(
            "ix_memberships_left_member_id",
            "member_id",
            sqlite_where=text("left_on IS NOT NULL"),
            postgresql_where=text("left_on IS NOT NULL"),
        ),
    )

    def covers(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


class ConsentPurpose(LabelledEnum):
    PROGRAMME_DATA = "programme_data", _l("Keeping programme records")
    PHONE_CONTACT = "phone_contact", _l("Contact by phone")
    PROVIDER_SHARING = "provider_sharing", _l("Sharing with a service provider")


class Consent(db.Model):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column(ConsentPurpose))
    provider: Mapped[str | None] = mapped_column(String(160))
    # For sharing: the provider in the directory (support.models.referrals.ServiceProvider) that a
    # referral may go to; `provider` keeps its name as it was written.
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_providers.id", ondelete="SET NULL"), index=True
    )
    given_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_on: Mapped[date | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship(back_populates="consents")

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None








