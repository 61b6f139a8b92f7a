"""What a group-month fact is made of: the one place that says what a meeting "held",
"recorded on time" and "attended" count as (the live figures read the same expressions)."""

from datetime import date

from sqlalchemy import and_, case, func, select, tuple_

from core.db import db
from groups.models import Meeting, MeetingKind
from reports.sql import day_number, local_day_number, month_start

# A meeting is recorded on time when it is saved at most this many days after it was held.
TIMELY_DAYS = 3

REGULAR = Meeting.kind == MeetingKind.REGULAR
# Both days in Viet Nam: typed in at 00:30 on the 4th day after is late (issue 22).
TIMELY = local_day_number(Meeting.created_at) - day_number(Meeting.held_on) <= TIMELY_DAYS


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
                tuple_(Meeting.group_id, month).in_(keys),
            )
            .group_by(Meeting.group_id, month)
        )
    ]
