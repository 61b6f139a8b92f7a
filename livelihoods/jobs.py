"""Scheduled jobs of follow-ups: the daily sweep, escalation and the weekly digest.

Each is a plain function of a date, run by the scheduler process, by `flask followups
…` with --today, and by tests. Each claims (job, period) in its own transaction and
inserts notifications with unique keys, so a second run, or a run in another process at
the same time, notifies nobody twice. State is derived from dates, so the first run
after the scheduler was down catches up on what the missed days would have sent.
"""

import json
import logging
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select

from accounts.models import Role, User, user_provinces
from core.db import db, dialect_insert, inserted, sql_now, sql_text, utcnow
from core.jobs import claim
from groups.models import Group, GroupStatus, group_facilitators
from groups.services.figures import repeated_absence_rows
from groups.services.schedule import due_by_passed
from groups.services.scope import current_groups, home_memberships
from inbox import services as notify
from inbox.models import Notification
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus, Grant, GrantStatus

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 3
ESCALATE_AFTER_DAYS = 14
HOME_VISIT_AFTER_DAYS = 7


def _plus_days(column, days: int):
    if db.session.get_bind().dialect.name == "postgresql":
        return column + days  # date + integer is a date
    return func.date(column, f"+{days} days")


def schedule_home_visits(today: date) -> int:
    """Open a home visit for each member absent twice in a row: once per absence, and
    not while an earlier home visit for them is still open."""
    # Two absences in the last 90 days; older history cannot start a visit now.
    rows = repeated_absence_rows(since=today - timedelta(days=90))
    open_visit = (
        select(FollowUp.id)
        .where(
            FollowUp.member_id == rows.c.member_id,
            FollowUp.kind == FollowUpKind.HOME_VISIT,
            FollowUp.status == FollowUpStatus.SCHEDULED,
        )
        .exists()
    )
    source = (
        select(
            literal(FollowUpKind.HOME_VISIT.value),
            sql_text("home:", rows.c.member_id, ":", rows.c.absent_on),
            rows.c.member_id,
            rows.c.absent_on,
            _plus_days(rows.c.absent_on, HOME_VISIT_AFTER_DAYS),
            literal(FollowUpStatus.SCHEDULED.value),
            sql_now(),
        )
        .join(Group, Group.id == rows.c.group_id)
        .where(Group.status == GroupStatus.ACTIVE, rows.c.absent_on <= today, ~open_visit)
    )
    stmt = (
        dialect_insert(FollowUp)
        .from_select(
            [
                "kind",
                "source_key",
                "member_id",
                "source_on",
                "due_on",
                "status",
                "created_at",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["source_key"])
    )
    return inserted(stmt)


def daily_sweep(today: date) -> dict[str, int]:
    """Open home visits after repeated absences; remind the facilitators of each
    member's current group of visits due within three days, due today and overdue,
    once per visit, stage and facilitator (a member who moved: the new facilitators)."""
    if not claim("followups.sweep", today.isoformat()):
        logger.info("sweep for %s already ran", today)
        return {"skipped": 1}
    home_visits = schedule_home_visits(today)
    current = current_groups()
    stage = case(
        (FollowUp.due_on < today, literal("overdue")),
        (FollowUp.due_on == today, literal("due_today")),
        else_=literal("due_soon"),
    )
    source = (
        select(
            group_facilitators.c.user_id,
            sql_text(
                "fu:",
                FollowUp.id,
                ":",
                FollowUp.due_on,
                ":",
                stage,
                ":",
                group_facilitators.c.user_id,
            ),
            stage,
            FollowUp.id,
            sql_now(),
        )
        .join(current, current.c.member_id == FollowUp.member_id)
        .join(group_facilitators, group_facilitators.c.group_id == current.c.group_id)
        .join(User, User.id == group_facilitators.c.user_id)
        .where(
            FollowUp.status == FollowUpStatus.SCHEDULED,
            FollowUp.due_on <= today + timedelta(days=DUE_SOON_DAYS),
            User.active,
        )
    )
    reminded = inserted(
        notify.insert_statement().from_select(
            ["user_id", "key", "kind", "object_id", "created_at"], source
        )
    )
    db.session.commit()
    return {"home_visits": home_visits, "reminders": reminded}


def escalate_overdue(today: date) -> dict[str, int]:
    """Tell the coordinators of the province of each member's current (or last) group
    about visits overdue by more than 14 days."""
    if not claim("followups.escalate", today.isoformat()):
        return {"skipped": 1}
    home = home_memberships()
    source = (
        select(
            user_provinces.c.user_id,
            sql_text("esc:", FollowUp.id, ":", FollowUp.due_on, ":", user_provinces.c.user_id),
            literal("escalated"),
            FollowUp.id,
            sql_now(),
        )
        .join(home, home.c.member_id == FollowUp.member_id)
        .join(Group, Group.id == home.c.group_id)
        .join(user_provinces, user_provinces.c.province_code == Group.province_code)
        .join(User, User.id == user_provinces.c.user_id)
        .where(
            FollowUp.status == FollowUpStatus.SCHEDULED,
            FollowUp.due_on < today - timedelta(days=ESCALATE_AFTER_DAYS),
            User.active,
            User.role == Role.COORDINATOR,
        )
    )
    escalated = inserted(
        notify.insert_statement().from_select(
            ["user_id", "key", "kind", "object_id", "created_at"], source
        )
    )
    db.session.commit()
    return {"escalated": escalated}


def weekly_digest(today: date) -> dict[str, int]:
    """Once a week per coordinator: overdue visits, groups behind on meetings and grants
    waiting for a decision in their provinces. Runs daily; the ISO week in the key makes
    Monday's digest go out on the first run of the week."""
    year, week, _ = today.isocalendar()
    period = f"{year}-W{week:02d}"
    if not claim("followups.digest", period):
        return {"skipped": 1}
    home = home_memberships()
    overdue = dict(
        db.session.execute(
            select(Group.province_code, func.count())
            .select_from(FollowUp)
            .join(home, home.c.member_id == FollowUp.member_id)
            .join(Group, Group.id == home.c.group_id)
            .where(FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.due_on < today)
            .group_by(Group.province_code)
        ).all()
    )
    waiting = dict(
        db.session.execute(
            select(Group.province_code, func.count())
            .select_from(Grant)
            .join(home, home.c.member_id == Grant.member_id)
            .join(Group, Group.id == home.c.group_id)
            .where(Grant.status == GrantStatus.SUBMITTED)
            .group_by(Group.province_code)
        ).all()
    )
    behind = dict(
        db.session.execute(
            select(Group.province_code, func.count())
            .where(due_by_passed(today))
            .group_by(Group.province_code)
        ).all()
    )
    coordinators = db.session.execute(
        select(User.id, user_provinces.c.province_code)
        .join(user_provinces, user_provinces.c.user_id == User.id)
        .where(User.role == Role.COORDINATOR, User.active)
    ).all()
    totals: dict[int, dict[str, int]] = {}
    for user_id, province_code in coordinators:
        t = totals.setdefault(user_id, {"overdue": 0, "behind": 0, "waiting": 0})
        t["overdue"] += overdue.get(province_code, 0)
        t["behind"] += behind.get(province_code, 0)
        t["waiting"] += waiting.get(province_code, 0)
    rows = [
        {
            "user_id": user_id,
            "key": f"digest:{period}:{user_id}",
            "kind": "digest",
            "payload": json.dumps({**t, "week": period, "on": today.isoformat()}),
            "created_at": utcnow(),
        }
        for user_id, t in totals.items()
    ]
    # One INSERT for every coordinator; RETURNING counts what was new.
    sent = (
        len(db.session.execute(notify.insert_statement().returning(Notification.id), rows).all())
        if rows
        else 0
    )
    db.session.commit()
    return {"digests": sent}
