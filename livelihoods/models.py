from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import FetchedValue, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User, enum_column
from core import clock
from core.db import db, utcnow
from core.enums import LabelledEnum
from groups.models import Member


class Activity(LabelledEnum):
    LIVESTOCK = "livestock", _l("Livestock")
    CROPS = "crops", _l("Crops")
    SMALL_TRADE = "small_trade", _l("Small trade")
    TAILORING = "tailoring", _l("Tailoring")
    SERVICES = "services", lazy_pgettext("livelihood activity", "Services")
    OTHER = "other", _l("Other")


class GrantStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Waiting for a decision")
    RETURNED = "returned", _l("Sent back for correction")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Not approved")
    DISBURSED = "disbursed", _l("Paid out")  # at least one tranche paid
    CLOSED = "closed", _l("Completed")


class Outcome(LabelledEnum):
    OPERATING = "operating", _l("Operating")
    STRUGGLING = "struggling", _l("Struggling")
    STOPPED = "stopped", _l("Stopped")


PREPARING = ("drafted", "edited", "submitted")


class Grant(db.Model):
    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who may see and decide a grant follows its member (Member.can_view): the grant
    # keeps no group or province of its own, so it moves when the member or group does.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    activity: Mapped[Activity] = mapped_column(enum_column(Activity))
    plan: Mapped[str] = mapped_column(Text)
    amount_requested: Mapped[int]
    # The monthly income (đồng) the plan expects once the business runs, if it says: the
    # progress pages put the income reported at 6 months beside it.
    planned_income: Mapped[int | None]
    amount_approved: Mapped[int | None]
    status: Mapped[GrantStatus] = mapped_column(enum_column(GrantStatus), index=True)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The sum of its tranches, for SQL: kept by triggers on `tranches` in the statement
    # that writes a payment (migration 0023), never by this code; Grant.paid in Python.
    paid_vnd: Mapped[int] = mapped_column(
        deferred=True, server_default=text("0"), server_onupdate=FetchedValue()
    )
    # The day of its earliest tranche, for SQL: kept by triggers on `tranches` the same way
    # (migration 0025); the progress pages' days from approval to first payment. In
    # Python, Grant.first_paid_on.
    first_tranche_on: Mapped[date | None] = mapped_column(
        deferred=True, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )

    member: Mapped[Member] = relationship()

    __table_args__ = (
        # The grant list pages newest first.
        Index("ix_grants_created_at_id", "created_at", "id"),
        # What a grant lacks of its approved amount: the progress pages' "still to pay
        # out" reads the few grants where it is not 0.
        Index("ix_grants_lacking", text("(amount_approved - paid_vnd)")),
        Index("ix_grants_first_tranche_on", "first_tranche_on"),
    )
    tranches: Mapped[list["Tranche"]] = relationship(
        back_populates="grant", order_by="Tranche.paid_on, Tranche.id"
    )
    events: Mapped[list["GrantEvent"]] = relationship(
        back_populates="grant", order_by="GrantEvent.at, GrantEvent.id"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="grant", order_by="FollowUp.due_on, FollowUp.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def paid(self) -> int:
        return sum(t.amount for t in self.tranches)

    @property
    def remaining(self) -> int:
        return (self.amount_approved or 0) - self.paid

    @property
    def first_paid_on(self) -> date | None:
        return min((t.paid_on for t in self.tranches), default=None)

    def last_day_of(self, action: str) -> date | None:
        """The day (in Viet Nam) this grant last went through `action` ("approved"…)."""
        return max((e.day for e in self.events if e.action == action), default=None)

    def can_view(self, user) -> bool:
        """Staff who may see the member now; the member it belongs to."""
        if user.role == Role.MEMBER:
            return user.member_id == self.member_id
        return self.member.can_view(user)

    def can_edit(self, user) -> bool:
        """Change the application: staff in scope, while it is a draft or sent back."""
        return (
            user.role != Role.MEMBER
            and self.status in (GrantStatus.DRAFT, GrantStatus.RETURNED)
            and self.can_view(user)
        )

    def can_decide(self, user) -> bool:
        """Approve, reject or send back: a coordinator of the province (or an admin) who
        never drafted or submitted it - also not an earlier version sent back since."""
        return (
            user.role in (Role.COORDINATOR, Role.ADMIN)
            and self.member.can_view(user)
            and user.id not in self.preparers
        )

    @property
    def preparers(self) -> set[int]:
        """Everyone who drafted, corrected or submitted this application at any point."""
        ids = {self.drafted_by_id, self.submitted_by_id}
        ids.update(e.actor_id for e in self.events if e.action in PREPARING)
        return ids - {None}

    def can_disburse(self, user) -> bool:
        """Record and correct payments, close: a coordinator of the member's province."""
        return user.role in (Role.COORDINATOR, Role.ADMIN) and self.member.can_view(user)

    def can_follow_up(self, user) -> bool:
        """Record visits: anyone on staff who can see it."""
        return user.role != Role.MEMBER and self.can_view(user)


class GrantEvent(db.Model):
    """One step of a grant's timeline: who did what, when and why."""

    __tablename__ = "grant_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)  # when it was recorded
    # The day it happened, in Viet Nam: a decision taken at Monday's meeting and typed in
    # on Thursday is Monday's (issue 22). The progress pages count by it.
    on: Mapped[date] = mapped_column(default=clock.today)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[GrantStatus] = mapped_column(enum_column(GrantStatus))
    note: Mapped[str | None] = mapped_column(Text)

    grant: Mapped[Grant] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    # The progress pages count grants by what happened to them in a period.
    __table_args__ = (
        Index("ix_grant_events_action_at", "action", "at"),
        Index("ix_grant_events_action_on", "action", "on"),
    )

    @property
    def day(self) -> date:
        """The day it happened, in Viet Nam (today while not yet saved)."""
        return self.on or clock.today()

    @property
    def label(self):
        return GRANT_STEPS.get(self.action, self.to_status.label)


# A step of a grant's timeline in words: its timeline and the audit viewer say it so.
GRANT_STEPS = {
    "drafted": _l("Application drafted"),
    "edited": _l("Application corrected"),
    "submitted": _l("Submitted for a decision"),
    # The same English words as the statuses, but read as what was done.
    "returned": lazy_pgettext("grant event", "Sent back for correction"),
    "approved": lazy_pgettext("grant event", "Approved"),
    "rejected": lazy_pgettext("grant event", "Not approved"),
    "disbursed": _l("Disbursement recorded"),
    "corrected": _l("Disbursement corrected"),
    "visited": _l("Visit recorded"),
    "closed": lazy_pgettext("grant event", "Completed"),
}


class Method(LabelledEnum):
    CASH = "cash", _l("Cash")
    BANK_TRANSFER = "bank_transfer", _l("Bank transfer")
    IN_KIND = "in_kind", _l("In kind")


class Tranche(db.Model):
    __tablename__ = "tranches"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    paid_on: Mapped[date] = mapped_column(index=True)
    amount: Mapped[int]
    method: Mapped[Method] = mapped_column(enum_column(Method))
    purchased: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    grant: Mapped[Grant] = relationship(back_populates="tranches")


class FollowUpKind(LabelledEnum):
    GRANT_CHECK = "grant_check", _l("Livelihood check")
    HOME_VISIT = "home_visit", _l("Home visit")
    REFERRAL_CHECK = "referral_check", _l("Service check")


class FollowUpStatus(LabelledEnum):
    SCHEDULED = "scheduled", _l("Scheduled")
    DONE = "done", _l("Done")
    MISSED = "missed", _l("Missed")
    CANCELLED = "cancelled", _l("Cancelled")


class FollowUp(db.Model):
    """A visit due on a date derived from its source: the first disbursement plus N
    months, or the second absence in a row. Overdue is derived, never stored."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FollowUpKind] = mapped_column(enum_column(FollowUpKind))
    # One per source: grant:<id>:<months>, home:<member id>:<date of the absence> or
    # referral:<id> (support/jobs.py).
    source_key: Mapped[str] = mapped_column(String(60), unique=True)
    # Who sees it and who is reminded follow the member's current group (Member.can_view,
    # groups.services.scope): no group or province is stored here.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("grants.id", ondelete="CASCADE"), index=True
    )
    months_after: Mapped[int | None]
    source_on: Mapped[date]
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[FollowUpStatus] = mapped_column(enum_column(FollowUpStatus), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two saves of one follow-up (a visit, "missed", the grant closed) cannot both pass:
    # the second one's UPDATE matches no row. The jobs insert with the server default.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # When a visit could not happen: why, on which (local) day and by whom; undone the same day.
    missed_reason: Mapped[str | None] = mapped_column(Text)
    missed_on: Mapped[date | None]  # the day the visit could not happen
    missed_at: Mapped[datetime | None]  # when that was recorded
    missed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship()
    grant: Mapped[Grant | None] = relationship(back_populates="follow_ups")
    missed_by: Mapped[User | None] = relationship()

    # The sweep and the due lists read open follow-ups by due date.
    __table_args__ = (Index("ix_follow_ups_status_due_on", "status", "due_on"),)
    __mapper_args__ = {"version_id_col": version}
    visit: Mapped["Visit | None"] = relationship(back_populates="follow_up")

    def is_overdue(self, today: date) -> bool:
        return self.status == FollowUpStatus.SCHEDULED and self.due_on < today

    @property
    def referral_id(self) -> int | None:
        """The referral a REFERRAL_CHECK follows (support/jobs.py), from its source key."""
        if self.kind != FollowUpKind.REFERRAL_CHECK:
            return None
        return int(self.source_key.split(":")[1])

    def can_undo_missed(self, user, today: date) -> bool:
        """Whoever marked a visit as missed may take it back the day they marked it."""
        marked = clock.day_of(self.missed_at) if self.missed_at is not None else self.missed_on
        return (
            self.status == FollowUpStatus.MISSED
            and marked == today
            and self.missed_by_id == user.id
            and self.can_view(user)
        )

    def can_view(self, user) -> bool:
        """Staff who may see the member now; never a member."""
        return user.role != Role.MEMBER and self.member.can_view(user)


class Visit(db.Model):
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="SET NULL"), unique=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("grants.id", ondelete="CASCADE"), index=True
    )
    visited_on: Mapped[date] = mapped_column(index=True)
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    business_status: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    monthly_income: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    follow_up: Mapped[FollowUp | None] = relationship(back_populates="visit")
    visitor: Mapped[User | None] = relationship()
