"""What every plan write checks: the days it is given (not before the member joined, not
in the past when planned, not in the future when it happened), its texts, that the plan
is still in progress."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.dates import PLAN_DAYS, Day, check_day, not_before
from core.db import db
from core.errors import DomainError
from core.forms import at_most
from core.saving import on_duplicate
from groups.models import Member, Membership
from plans.models import (
    CasePlan,
)

ALREADY_OPEN = _l(
    "This member already has a support plan in progress. Nothing new was opened: "
    "add goals to the one below."
)
on_duplicate("uq_case_plans_active_member", ALREADY_OPEN)
REVIEWED_THAT_DAY = _l("A review of this plan on that day is already recorded.")
on_duplicate("uq_plan_reviews_plan_id_reviewed_on", REVIEWED_THAT_DAY, "reviewed_on")

BEFORE_JOINING = _l("The date (%(day)s) is before the member joined the programme (%(joined)s).")
BEFORE_OPENED = _l("The date (%(day)s) is before the plan was opened (%(opened)s).")
BEFORE_LAST_REVIEW = _l("The date (%(day)s) is before the plan's last review (%(reviewed)s).")


# Dates ---------------------------------------------------------------------------------


def joined_on(member: Member) -> date | None:
    """The day the member first joined a group: nothing of theirs is dated before it."""
    return db.session.scalar(
        select(func.min(Membership.joined_on)).where(Membership.member_id == member.id)
    )


def check_planned_day(day: date, today: date, field: str, earliest: date | None = None) -> None:
    """A planned date: not in the past, at most PLAN_DAYS ahead."""
    if day < today:
        raise DomainError(
            _l("%(day)s is in the past: today is %(today)s.", day=Day(day), today=Day(today)),
            field,
        )
    check_day(day, today, field, ahead_days=PLAN_DAYS)
    if earliest is not None:
        not_before(day, earliest, BEFORE_OPENED, field)


def check_effective_day(plan: CasePlan, day: date, today: date, field: str) -> None:
    """The day something happened to the plan: not in the future, not before it opened
    or before its last review."""
    check_day(day, today, field)
    not_before(day, plan.opened_on, BEFORE_OPENED, field)
    last = plan.last_review
    not_before(day, last.reviewed_on if last else None, BEFORE_LAST_REVIEW, field)


def clean_text(value: str | None, field: str, message, limit: int = 300) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field)
    if len(value) > limit:
        raise DomainError(at_most(limit).message, field)
    return value


def require_active(plan: CasePlan) -> None:
    if not plan.is_active:
        raise DomainError(_l("This plan is closed. Nothing was changed."))
