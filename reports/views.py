from datetime import timedelta

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.models import Role, User
from core import audit
from core.clock import today
from core.db import db
from core.keyset import count_up_to
from groups.models import Group, GroupStatus, Member
from groups.services import figures
from groups.services.groups import list_groups, visible_groups
from groups.services.schedule import is_overdue, next_meeting_on
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus, Grant, GrantStatus
from livelihoods.services.follow_ups import list_due
from livelihoods.services.grants import visible_grants
from plans.services import active_plan
from support.services.referrals import member_referrals

bp = Blueprint("reports", __name__)


def group_overview(groups):
    """Per open group: (group, next meeting day, overdue?), with two queries in all."""
    ids = [g.id for g in groups]
    last = figures.last_regular_meetings(ids)
    day = today()
    return [
        (g, next_meeting_on(g, last.get(g.id), day), is_overdue(g, last.get(g.id), day))
        for g in groups
    ]


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


# The coordinator's counts stop here ("99+"): past it, the number is no longer read to
# decide anything, and counting a whole region's rows grows with the region.
HOME_COUNT_CAP = 99


@bp.get("/")
def home():
    """Each role's start page: what this person does next."""
    if current_user.role == Role.ADMIN:
        counts = dict(
            db.session.execute(
                select(User.role, func.count()).where(User.active).group_by(User.role)
            ).all()
        )
        return render_template("reports/home_admin.html", counts=counts, roles=list(Role))
    if current_user.role == Role.COORDINATOR:
        return coordinator_home()
    if current_user.role == Role.FACILITATOR:
        groups = db.session.scalars(
            visible_groups(current_user)
            .where(Group.status != GroupStatus.CLOSED)
            .options(selectinload(Group.commune), selectinload(Group.facilitators))
            .order_by(Group.code)
        ).all()
        overview = group_overview(groups)
        overdue = [g for g, _next, late in overview if late]
        day = today()
        sunday = day + timedelta(days=6 - day.weekday())
        # Today's meetings first, then by the next meeting's day.
        overview.sort(key=lambda row: (row[1] is None, row[1] or day, row[0].code))
        absences = figures.repeated_absences([g.id for g in groups])
        if absences:  # names are shown
            audit.note_read("list", object_type="members", detail="absences")
        return render_template(
            "reports/home_facilitator.html",
            today=day,
            overview=overview,
            overdue=overdue,
            absences=absences,
            groups_by_id={g.id: g for g in groups},
            due_visits=count(list_due(current_user, until=sunday)),
        )
    return member_home()


OVERDUE_SHOWN = 10


def coordinator_home():
    """Counts for the coordinator's provinces and the groups most overdue for a meeting.

    Everything is counted in SQL, each count up to HOME_COUNT_CAP rows, so the page does
    not read a whole region's visits and grants. Overdue groups are read through the
    index (province_code, meeting_due_by): the count reads at most HOME_COUNT_CAP + 1
    index entries, the list the OVERDUE_SHOWN longest overdue."""
    day = today()
    not_closed = visible_groups(current_user).where(Group.status != GroupStatus.CLOSED)
    overdue = list_groups(current_user, overdue_on=day)
    return render_template(
        "reports/home_coordinator.html",
        provinces=current_user.provinces,
        open_groups=count(not_closed),
        overdue_count=count_up_to(overdue.with_only_columns(Group.id), HOME_COUNT_CAP),
        overdue=db.session.scalars(
            overdue.options(selectinload(Group.commune), selectinload(Group.facilitators))
            .order_by(None)
            .order_by(Group.meeting_due_by, Group.code)
            .limit(OVERDUE_SHOWN)
        ).all(),
        late_visits=count_up_to(
            list_due(current_user, until=day, overdue_only_before=day), HOME_COUNT_CAP
        ),
        waiting=count_up_to(
            visible_grants(current_user).where(Grant.status == GrantStatus.SUBMITTED),
            HOME_COUNT_CAP,
        ),
    )


# What a member reads about their own support: everyday words, one short sentence each,
# never the staff status labels ("Draft", "Sent back for correction", "Paid out").
MEMBER_STATUS = {
    GrantStatus.DRAFT: (
        _l("Application being prepared"),
        _l("Your facilitator is making the application with you."),
    ),
    GrantStatus.SUBMITTED: (
        _l("Waiting for an answer"),
        _l("Your application is being looked at. Your facilitator will tell you."),
    ),
    GrantStatus.RETURNED: (
        _l("Your application needs more information"),
        _l("Your facilitator will add it with you."),
    ),
    GrantStatus.APPROVED: (
        _l("Your application is approved"),
        _l("Your facilitator will tell you when you receive the support."),
    ),
    GrantStatus.REJECTED: (
        _l("Not approved this time"),
        _l("Talk with your facilitator about other help."),
    ),
    GrantStatus.DISBURSED: (
        _l("You have received the support"),
        _l("Your facilitator will visit to see how your work is going."),
    ),
    GrantStatus.CLOSED: (
        _l("This support is finished"),
        _l("If you need help, you can still call your facilitator."),
    ),
}


def member_home():
    """A member's own page: their support's status and next step, the next visit, the
    group's next meeting and who to contact. Nothing about anyone else; no amounts."""
    member = db.session.get(Member, current_user.member_id or -1)
    if member is None:  # a member account whose record was removed
        return render_template(
            "reports/home_member.html",
            status=None,
            next_visit=None,
            visit_late=False,
            next_meeting=None,
            today=today(),
            contacts=[],
            referrals=[],
            plan_review=None,
        )
    grant = db.session.scalar(
        select(Grant)
        .where(Grant.member_id == member.id)
        .order_by(Grant.created_at.desc(), Grant.id.desc())
        .limit(1)
    )
    next_visit = db.session.scalar(
        select(FollowUp)
        .where(
            FollowUp.member_id == member.id,
            FollowUp.status == FollowUpStatus.SCHEDULED,
            # A referral's check is staff work: a member sees nothing of a referral.
            FollowUp.kind != FollowUpKind.REFERRAL_CHECK,
        )
        .order_by(FollowUp.due_on)
        .limit(1)
    )
    current = member.current_membership
    next_meeting, contacts = None, []
    if current is not None:
        group = current.group
        last = figures.last_regular_meetings([group.id]).get(group.id)
        next_meeting = next_meeting_on(group, last, today())
        contacts = [u for u in group.facilitators if u.active]
    day = today()
    return render_template(
        "reports/home_member.html",
        status=MEMBER_STATUS[grant.status] if grant else None,
        # A visit whose day has passed is not "the next visit": a new day will be arranged.
        next_visit=next_visit.due_on if next_visit and next_visit.due_on >= day else None,
        visit_late=next_visit is not None and next_visit.due_on < day,
        next_meeting=next_meeting,
        today=day,
        contacts=contacts,
        referrals=member_referrals(member.id),
        # Only that a plan is in progress and when it is next looked at together: no
        # goal, action or note (a shared phone).
        plan_review=plan_review_day(member),
    )


def plan_review_day(member: Member):
    """The next review day of the member's plan in progress, if any and still ahead."""
    plan = active_plan(member)
    return plan.next_review_on if plan is not None and plan.next_review_on >= today() else None
