"""What the figures count, each written once: what a group-month fact is made of (a
meeting "held", "recorded on time", "attended") and the rules the live figures and the
scorecard share (a visit "due" and "on time", a business "running"). The indicators and
the review pages read these expressions; none writes its own."""

from datetime import date

from sqlalchemy import and_, case, func, select

from core.db import db
from groups.meeting_models import Meeting, MeetingKind
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus, Outcome, Visit
from reports.definitions import OUTCOME_MONTHS
from reports.sql import day_number, in_keys, local_day_number, month_start

# A meeting is recorded on time when it is saved at most this many days after it was held.
TIMELY_DAYS = 3
# A follow-up visit is on time when it is made at most this many days after its due day.
VISIT_GRACE_DAYS = 7
# A business is running when a check finds it operating or struggling (not stopped).
RUNNING = (Outcome.OPERATING, Outcome.STRUGGLING)

REGULAR = Meeting.kind == MeetingKind.REGULAR
# Both days in Viet Nam: typed in at 00:30 on the 4th day after is late (issue 22).
TIMELY = local_day_number(Meeting.created_at) - day_number(Meeting.held_on) <= TIMELY_DAYS

# Over follow_ups joined to their visit (outer: a visit not made is not on time).
VISIT_ON_TIME = and_(
    FollowUp.status == FollowUpStatus.DONE,
    day_number(Visit.visited_on) <= day_number(FollowUp.due_on) + VISIT_GRACE_DAYS,
)
BUSINESS_RUNNING = Visit.business_status.in_(RUNNING)
# A follow-up visit counts as due on its due day unless it was cancelled.
VISIT_COUNTED = FollowUp.status != FollowUpStatus.CANCELLED
# A livelihood check at 3, 6 or 12 months that found a business status (over visits
# joined to their follow-up), counted on the day of the visit.
OUTCOME_CHECK = and_(
    FollowUp.kind == FollowUpKind.GRANT_CHECK,
    FollowUp.months_after.in_(OUTCOME_MONTHS),
    Visit.business_status.is_not(None),
)
# The checks whose income (and the plan's expected income) the medians are over.
SIX_MONTH_CHECK = and_(FollowUp.kind == FollowUpKind.GRANT_CHECK, FollowUp.months_after == 6)


def visits_due(start: date, end: date):
    """Follow-up visits due in the period, not counting cancelled ones."""
    return and_(FollowUp.due_on.between(start, end), VISIT_COUNTED)


def outcome_checks(start: date, end: date):
    """Livelihood checks at 3, 6 or 12 months made in the period that found a business
    status (over visits joined to their follow-up)."""
    return and_(OUTCOME_CHECK, Visit.visited_on.between(start, end))


def meeting_sums():
    """The sums of a group-month, over any selection of `meetings` rows: regular meetings
    held, of those recorded on time, and every meeting's attendance tallies."""
    return (
        func.sum(case((REGULAR, 1), else_=0)).label("held"),
        func.sum(case((and_(REGULAR, TIMELY), 1), else_=0)).label("on_time"),
        func.sum(Meeting.present_count).label("present"),
        func.sum(Meeting.marked_count).label("marks"),
    )


def group_month_rows(keys: list[tuple[int, date]]) -> list[tuple]:
    """(group_id, month, held, on_time, present, marks) of the given (group, month) keys
    that have meetings: one statement."""
    if not keys:
        return []
    month = month_start(Meeting.held_on)
    first = min(m for _g, m in keys)
    return [
        tuple(row)
        for row in db.session.execute(
            select(Meeting.group_id, month.label("month"), *meeting_sums())
            .where(
                Meeting.group_id.in_({g for g, _m in keys}),
                Meeting.held_on >= first,
                in_keys(Meeting.group_id, month, keys),
            )
            .group_by(Meeting.group_id, month)
        )
    ]
