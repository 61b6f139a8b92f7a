"""Review pages: the group scorecard, the facilitators' workload, the grant portfolio.

Each is a paged list whose figures come from grouped statements, so a page costs the
same for one province or the country.
"""

from datetime import date, timedelta

from flask import render_template
from flask_login import current_user
from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting
from groups.models import Group, GroupStatus, group_facilitators
from groups.services.scope import home_memberships
from livelihoods.models import (
    FollowUp,
    FollowUpStatus,
    Grant,
    GrantEvent,
    GrantStatus,
)
from livelihoods.services.follow_ups import member_card
from livelihoods.services.grants import visible_grants
from reports.charts import weeks_ahead
from reports.definitions import SCORE_PARTS
from reports.facts.outcomes import checks, running
from reports.indicators.groups import group_rows
from reports.indicators.outcome_facts import outcome_rows
from reports.indicators.scope import Scope
from reports.pages.common import bp, load_period, load_scope, paginate_rows, scope_args
from reports.periods import KINDS, Period


def _share(part, whole):
    return case((whole > 0, cast(part, Float) / whole), else_=None)


def scorecard_rows(scope: Scope, period: Period, day: date):
    """select(Group, regularity, attendance, visits, businesses, score, behind) for the
    open groups in scope, worst score first (groups with nothing to judge last).

    The score is the mean of the parts that have something to count in the period."""
    rows = group_rows(scope, period, day)
    # Visits due and on time, checks made and businesses running, per home group: the
    # progress page's figures, from the same facts (reports.indicators.outcome_facts).
    outcomes = outcome_rows(scope, period)
    capped = case((rows.c.held < rows.c.expected, rows.c.held), else_=rows.c.expected)
    parts = [
        _share(capped, rows.c.expected),
        _share(rows.c.present, rows.c.marks),
        _share(func.coalesce(outcomes.c.on_time, 0), func.coalesce(outcomes.c.due, 0)),
        _share(func.coalesce(running(outcomes.c), 0), func.coalesce(checks(outcomes.c), 0)),
    ]
    total = sum((func.coalesce(p, 0.0) for p in parts), cast(0.0, Float))
    counted = sum(case((p.is_(None), 0), else_=1) for p in parts)
    score = case((counted > 0, total / counted), else_=None)
    return (
        select(Group, *[p.label(k) for p, (k, _label) in zip(parts, SCORE_PARTS, strict=True)])
        .add_columns(score.label("score"), rows.c.behind)
        .join(rows, rows.c.group_id == Group.id)
        .outerjoin(outcomes, outcomes.c.group_id == Group.id)
        .where(Group.status != GroupStatus.CLOSED)
        .order_by(case((score.is_(None), 1), else_=0), score, rows.c.behind.desc(), Group.code)
    )


@bp.get("/scorecard")
def scorecard():
    """Open groups in scope ranked worst first: which group needs a visit. Three
    statements a page (the count, the page, the groups' communes)."""
    scope, crumbs = load_scope()
    period, period_error = load_period()
    stmt = scorecard_rows(scope, period, today()).options(selectinload(Group.commune))
    page = paginate_rows(stmt)
    return render_template(
        "reports/scorecard.html",
        page=page,
        parts=SCORE_PARTS,
        crumbs=crumbs,
        period=period,
        period_error=period_error,
        kinds=KINDS,
        here=scope_args(scope),
    )


# Workload ------------------------------------------------------------------------------


def workload_rows(scope: Scope, day: date):
    """select(User, overdue, week 1…4) of the facilitators of groups in scope: their
    open visits overdue today and due in each of the next four weeks (this week first),
    most overdue first. Visits follow the member's current (or last) group."""
    weeks = weeks_ahead(day)
    home = home_memberships()
    due = FollowUp.due_on
    counts = [func.sum(case((due < day, 1), else_=0)).label("overdue")] + [
        func.sum(case((and_(due >= max(start, day), due <= end), 1), else_=0)).label(f"w{i}")
        for i, (start, end) in enumerate(weeks)
    ]
    per_user = (
        select(group_facilitators.c.user_id, *counts)
        .select_from(FollowUp)
        .join(home, home.c.member_id == FollowUp.member_id)
        .join(group_facilitators, group_facilitators.c.group_id == home.c.group_id)
        .where(
            FollowUp.status == FollowUpStatus.SCHEDULED,
            FollowUp.due_on <= weeks[-1][1],
            *_in_scope(scope, home),
        )
        .group_by(group_facilitators.c.user_id)
        .subquery()
    )
    return (
        select(User, per_user.c.overdue, *[per_user.c[f"w{i}"] for i in range(len(weeks))])
        .join(per_user, per_user.c.user_id == User.id)
        .order_by(per_user.c.overdue.desc(), User.sort_key, User.id)
    ), weeks


def _in_scope(scope: Scope, home) -> list:
    """The open visits' test of scope. The whole country needs none (started from the
    groups, it read every member of the country: 15× growth). Elsewhere the groups'
    members are the start, through the kept home group (from every open visit of the
    country, provinces took twice as long); a facilitator's or a commune's few members
    by their ids (the facilitator's workload grew 6.9× from 0.1 to 1 without)."""
    test = [scope.has_group(home.c.group_id)]
    return test if scope.wide else [*test, FollowUp.member_id.in_(scope.member_ids())]


@bp.get("/workload")
def workload():
    """Visits overdue and due in the next four weeks, per facilitator (two statements)."""
    scope, crumbs = load_scope()
    day = today()
    stmt, weeks = workload_rows(scope, day)
    return render_template(
        "reports/workload.html",
        page=paginate_rows(stmt),
        weeks=weeks,
        crumbs=crumbs,
        today=day,
    )


# Grant portfolio -----------------------------------------------------------------------


def portfolio_totals(scope: Scope) -> dict:
    """Approved, paid out and still to pay, over every grant in scope: one pass over the
    grants, whose kept paid_vnd is the sum of their tranches (no tranche is read)."""
    decided = (GrantStatus.APPROVED, GrantStatus.DISBURSED, GrantStatus.CLOSED)
    open_ = (GrantStatus.APPROVED, GrantStatus.DISBURSED)
    approved, remaining, waiting, n_approved, paid = db.session.execute(
        select(
            func.coalesce(func.sum(case((Grant.status.in_(decided), Grant.amount_approved))), 0),
            func.coalesce(
                func.sum(case((Grant.status.in_(open_), Grant.amount_approved - Grant.paid_vnd))),
                0,
            ),
            func.sum(case((Grant.status == GrantStatus.SUBMITTED, 1), else_=0)),
            func.sum(case((Grant.status.in_(decided), 1), else_=0)),
            func.coalesce(func.sum(Grant.paid_vnd), 0),
        ).where(*_grants_in(scope))
    ).one()
    return {
        "approved": int(approved),
        "approved_count": int(n_approved or 0),
        "paid": int(paid),
        "remaining": int(remaining),
        "waiting": int(waiting or 0),
    }


def _grants_in(scope: Scope) -> list:
    """The test that a grant's member is in scope, none for the whole country."""
    return [] if scope.whole_country else [Grant.member_id.in_(scope.member_ids())]


def beside_queue(member_ids, grant_ids, day: date) -> tuple[dict, dict]:
    """For the members on a page: attendance over the last 6 months, and their other
    grants (count, amount approved): two grouped statements, not one per row."""
    if not member_ids:
        return {}, {}
    since = day - timedelta(days=183)
    attendance = {
        m: (int(p or 0), n)
        for m, p, n in db.session.execute(
            select(
                Attendance.member_id,
                func.sum(case((Attendance.status == AttendanceStatus.PRESENT, 1), else_=0)),
                func.count(),
            )
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Attendance.member_id.in_(member_ids), Meeting.held_on >= since)
            .group_by(Attendance.member_id)
        )
    }
    earlier = {
        m: (n, int(a or 0))
        for m, n, a in db.session.execute(
            select(Grant.member_id, func.count(), func.sum(Grant.amount_approved))
            .where(
                Grant.member_id.in_(member_ids),
                Grant.id.not_in(grant_ids),
                Grant.status.not_in((GrantStatus.DRAFT,)),
            )
            .group_by(Grant.member_id)
        )
    }
    return attendance, earlier


@bp.get("/grants")
def portfolio():
    """The queue of applications waiting for a decision, oldest first, with each
    member's attendance and earlier grants beside it; totals for the scope."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    scope, crumbs = load_scope()
    # The day it was sent (issue 22: the day it happened, not when it was typed in).
    submitted_on = (
        select(func.max(GrantEvent.on))
        .where(GrantEvent.grant_id == Grant.id, GrantEvent.action == "submitted")
        .scalar_subquery()
    )
    stmt = (
        visible_grants(current_user)
        # The few applications waiting, each checked (scope.has_member), not a list of
        # every member in scope built first.
        .where(Grant.status == GrantStatus.SUBMITTED, scope.has_member(Grant.member_id))
        .add_columns(submitted_on.label("submitted_on"))
        .options(*member_card(Grant.member))
        .order_by(submitted_on, Grant.id)
    )
    page = paginate_rows(stmt)
    grants = [row[0] for row in page.items]
    if grants:  # names are shown
        audit.note_read("list", object_type="grants", detail="portfolio")
    attendance, earlier = beside_queue(
        [g.member_id for g in grants], [g.id for g in grants], today()
    )
    return render_template(
        "reports/portfolio.html",
        page=page,
        attendance=attendance,
        earlier=earlier,
        totals=portfolio_totals(scope),
        crumbs=crumbs,
        here=scope_args(scope),
    )
