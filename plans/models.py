"""A case plan per member (issue 26): goals in the screening's dimensions, actions with a
person responsible and a due date, reviews on a schedule.

Access follows the member (Member.can_view: the member's CURRENT group and its province),
as screenings do; nothing here keeps a group or province of its own. Two levels:
- the plan, its goals, actions and review dates: staff who may see the member;
- the protection notes (the plan's and each review's): coordinators of the member's
  province and admins;
- members and provider accounts: nothing.

An action that is a visit owns a FollowUp (source_key "plan:<action id>"), so the due
lists, the sweep's reminders and escalation treat it as any other visit; an action that
is a referral owns a Referral (support), followed by the referral loop. A plain task is
reminded by plans/jobs.py to the person responsible.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User, enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from groups.models import Member
from livelihoods.models import FollowUp, FollowUpStatus
from support.models.referrals import Referral, ReferralStatus
from support.models.screening import Dimension


class PlanStatus(LabelledEnum):
    ACTIVE = "active", _l("In progress")
    CLOSED = "closed", _l("Finished")


class CloseReason(LabelledEnum):
    GOALS_MET = "goals_met", _l("The goals were met")
    MEMBER_DECLINED = "declined", _l("The member no longer wants support")
    MEMBER_LEFT = "left", _l("The member left the programme")
    MOVED = "moved", _l("The member moved away")
    OTHER = "other", _l("Another reason")


class GoalStatus(LabelledEnum):
    OPEN = "open", _l("Working on it")
    MET = "met", _l("Met")
    DROPPED = "dropped", _l("No longer pursued")


class Progress(LabelledEnum):
    """What a review says of one goal."""

    NONE = "none", _l("No progress yet")
    SOME = "some", _l("Some progress")
    MET = "met", _l("Goal met")
    DROPPED = "dropped", _l("No longer pursued")


class ActionKind(LabelledEnum):
    TASK = "task", _l("Something to do")
    VISIT = "visit", _l("A home visit")
    REFERRAL = "referral", _l("A referral to a service")


class ActionStatus(LabelledEnum):
    OPEN = "open", _l("To do")
    DONE = "done", lazy_pgettext("plan action", "Done")
    DROPPED = "dropped", _l("Dropped")


class CasePlan(db.Model):
    __tablename__ = "case_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Access follows the member (Member.can_view): no group or province kept here.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus))
    opened_on: Mapped[date]
    next_review_on: Mapped[date]
    closed_on: Mapped[date | None]
    close_reason: Mapped[CloseReason | None] = mapped_column(enum_column(CloseReason))
    notes: Mapped[str | None] = mapped_column(Text)  # protection notes: managers only
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    member: Mapped[Member] = relationship()
    created_by: Mapped[User | None] = relationship()
    goals: Mapped[list["PlanGoal"]] = relationship(
        back_populates="plan", order_by="PlanGoal.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list["PlanReview"]] = relationship(
        back_populates="plan",
        order_by="PlanReview.reviewed_on, PlanReview.id",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One plan in progress per member: a second "open" (a double tap) makes none.
        Index(
            "uq_case_plans_active_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # The reminders and the due lists read plans in progress by review date.
        Index("ix_case_plans_status_next_review_on", "status", "next_review_on"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE

    def review_overdue(self, today: date) -> bool:
        return self.is_active and self.next_review_on < today

    @property
    def last_review(self) -> "PlanReview | None":
        return self.reviews[-1] if self.reviews else None

    @property
    def actions(self) -> list["PlanAction"]:
        return [a for g in self.goals for a in g.actions]

    def can_view(self, user) -> bool:
        """Goals, actions and dates: staff who may see the member."""
        return user.role in Role.STAFF and self.member.can_view(user)

    def can_edit(self, user) -> bool:
        """Add goals and actions, record reviews: staff who may edit the member, while
        the plan is in progress."""
        return self.is_active and user.role in Role.STAFF and self.member.can_edit(user)

    def can_read_notes(self, user) -> bool:
        """The protection notes of the plan and its reviews, and the screening scores
        beside the goals: coordinators of the member's current province and admins."""
        return user.role in Role.MANAGERS and self.member.can_view(user)

    def can_close(self, user) -> bool:
        """Close the plan: a coordinator of the member's province or an admin."""
        return self.is_active and user.role in Role.MANAGERS and self.member.can_edit(user)


class PlanGoal(db.Model):
    __tablename__ = "plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("case_plans.id", ondelete="CASCADE"), index=True
    )
    dimension: Mapped[Dimension] = mapped_column(enum_column(Dimension))
    description: Mapped[str] = mapped_column(String(300))
    target_on: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(enum_column(GoalStatus))
    # The day of the review that found it met (or dropped).
    settled_on: Mapped[date | None]
    set_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[CasePlan] = relationship(back_populates="goals")
    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="goal", order_by="PlanAction.due_on, PlanAction.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status == GoalStatus.OPEN


class PlanAction(db.Model):
    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("plan_goals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActionKind] = mapped_column(enum_column(ActionKind))
    description: Mapped[str] = mapped_column(String(300))
    # A staff member for tasks and visits; a referral's provider answers for it.
    responsible_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date]
    # Kept for tasks; a visit's or referral's comes from its record (current_status).
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus))
    done_on: Mapped[date | None]
    follow_up_id: Mapped[int | None] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="SET NULL"), unique=True
    )
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="SET NULL"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    goal: Mapped[PlanGoal] = relationship(back_populates="actions")
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    follow_up: Mapped[FollowUp | None] = relationship()
    referral: Mapped[Referral | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    # The due lists and reminders read open tasks by due date.
    __table_args__ = (Index("ix_plan_actions_kind_status_due_on", "kind", "status", "due_on"),)

    @property
    def plan(self) -> CasePlan:
        return self.goal.plan

    @property
    def current_status(self) -> ActionStatus:
        """A task's own status; a visit's from its follow-up, a referral's from the
        referral (served is done; declined, unreachable or withdrawn is dropped)."""
        if self.kind == ActionKind.VISIT and self.follow_up is not None:
            return {
                FollowUpStatus.DONE: ActionStatus.DONE,
                FollowUpStatus.CANCELLED: ActionStatus.DROPPED,
            }.get(self.follow_up.status, ActionStatus.OPEN)
        if self.kind == ActionKind.REFERRAL and self.referral is not None:
            if self.referral.is_open:
                return ActionStatus.OPEN
            if self.referral.status == ReferralStatus.SERVICE_RECEIVED:
                return ActionStatus.DONE
            return ActionStatus.DROPPED
        return self.status

    def is_overdue(self, today: date) -> bool:
        return self.current_status == ActionStatus.OPEN and self.due_on < today

    def can_update(self, user) -> bool:
        """Mark a task done or dropped, or drop a visit: staff who may edit the plan."""
        return (
            self.kind != ActionKind.REFERRAL
            and self.current_status == ActionStatus.OPEN
            and self.plan.can_edit(user)
        )


class PlanReview(db.Model):
    """A review of the plan: progress per goal, and the next review's date."""

    __tablename__ = "plan_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("case_plans.id", ondelete="CASCADE"), index=True
    )
    reviewed_on: Mapped[date]
    # The review date it answered: on time when reviewed_on <= due_on (the figures).
    due_on: Mapped[date]
    next_review_on: Mapped[date | None]  # None: the review that closed nothing further
    notes: Mapped[str | None] = mapped_column(Text)  # managers only
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[CasePlan] = relationship(back_populates="reviews")
    reviewed_by: Mapped[User | None] = relationship()
    progress: Mapped[list["GoalProgress"]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("plan_id", "reviewed_on"),)

    @property
    def on_time(self) -> bool:
        return self.reviewed_on <= self.due_on


class GoalProgress(db.Model):
    __tablename__ = "plan_goal_progress"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("plan_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("plan_goals.id", ondelete="CASCADE"), primary_key=True
    )
    progress: Mapped[Progress] = mapped_column(enum_column(Progress))

    review: Mapped[PlanReview] = relationship(back_populates="progress")
    goal: Mapped[PlanGoal] = relationship()
