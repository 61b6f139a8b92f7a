"""Programme indicators for a scope and a period, each beside the period before.

Every figure is defined once, in reports/definitions.py (FIGURES): its label and how it
is counted (the text the "how each figure is counted" page shows, translated). The
functions below compute whole sections in SQL, one aggregate statement each (two for
members and outcomes), whatever the number of groups: nothing loops over groups or
members in Python.

Scope: the groups a user may see (groups.services.groups.visible_groups), narrowed to a
province, a commune or a group. Figures about members, grants and visits follow the
member's home group (groups.services.scope.home_memberships), the same rule that decides
who may see them, so a coordinator never counts anyone outside their provinces, also
after a group moved province.

What is not kept, and so not counted: the days a group was paused (only its status
now; the day a closed group closed is kept). The income a plan expects is counted where
the application gave it (grants.planned_income).
Screening and referral figures belong in definitions.SECTIONS (and a function here) once
the support package has them.
"""

from dataclasses import astuple, dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from accounts.models import Role, User
from core.db import db
from groups.models import (
    Cadence,
    Gender,
    Group,
    GroupStatus,
    Meeting,
    MeetingKind,
    Member,
    MemberCategory,
    Membership,
)
from groups.services.groups import visible_groups
from groups.services.schedule import due_by_passed, overdue_clause
from groups.services.scope import home_memberships
from livelihoods.models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantEvent,
    GrantStatus,
    Outcome,
    Tranche,
    Visit,
)
from reports.definitions import FIGURES, OUTCOME_MONTHS, SECTIONS, Figure, Section, age_band_labels
from reports.periods import Period
from reports.sql import checked_only, day_number, days, median_of, moment_in, ratio, utc_start

# A meeting is recorded on time when it is saved at most this many days after it was held.
TIMELY_DAYS = 3
# A follow-up visit is on time when it is made at most this many days after its due day.
VISIT_GRACE_DAYS = 7
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 49), (50, 200))

# The aliases of the statements below, made once (see groups.services.scope: an alias
# builds a proxy of every column of its table on first use, which cost more than some of
# the statements take to run). Each subquery says what it correlates to, so sharing an
# alias between statements, or between two tests in one statement, changes nothing.
_SCOPE_MEMBER = aliased(Member, name="figure_member")
_SCOPE_GRANT = aliased(Grant, name="figure_grant")
_FIRST, _OTHER = aliased(Membership, name="first_joined"), aliased(Membership, name="other")
_LAST, _AFTER = aliased(Membership, name="last_left"), aliased(Membership, name="joined_after")
_EARLIER = aliased(GrantEvent, name="earlier")
_DECISION = aliased(GrantEvent, name="decision")


# Scope ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose figures: what `user` may see, narrowed to a province, commune or group."""

    user: User
    province_code: int | None = None
    commune_code: int | None = None
    group_id: int | None = None
    provinces: tuple[int, ...] = ()  # a set of provinces (the donor report)

    @cached_property
    def group_ids_stmt(self):
        return self._group_ids()

    def group_ids(self):
        """select(Group.id) of the groups in scope: never wider than the user may see.
        Built once per scope: building statements is most of a page's time."""
        return self.group_ids_stmt

    def _group_ids(self):
        stmt = visible_groups(self.user).with_only_columns(Group.id)
        if self.province_code is not None:
            stmt = stmt.where(Group.province_code == self.province_code)
        if self.commune_code is not None:
            stmt = stmt.where(Group.commune_code == self.commune_code)
        if self.group_id is not None:
            stmt = stmt.where(Group.id == self.group_id)
        if self.provinces:
            stmt = stmt.where(Group.province_code.in_(self.provinces))
        return stmt

    @cached_property
    def member_ids_stmt(self):
        home = home_memberships()
        return select(home.c.member_id).where(home.c.group_id.in_(self.group_ids()))

    def member_ids(self):
        """select(member_id) of members whose home group is in scope (who may be seen)."""
        return self.member_ids_stmt

    @cached_property
    def grant_ids_stmt(self):
        return select(Grant.id).where(Grant.member_id.in_(self.member_ids()))

    def grant_ids(self):
        """select(Grant.id) of the grants of members in scope."""
        return self.grant_ids_stmt

    @property
    def wide(self) -> bool:
        """Provinces or the country: thousands of members, more than a period's rows."""
        return (
            self.user.role != Role.FACILITATOR
            and self.commune_code is None
            and self.group_id is None
        )

    def has_group(self, group_id) -> ColumnElement[bool]:
        """SQL: the group whose id is `group_id` (a column, never NULL) is in scope. The
        whole country checks nothing: every row's group is one of the country's, and the
        IN list of all 3,000 groups cost PostgreSQL a hash join in every figure."""
        if self.whole_country:
            return true()
        return group_id.in_(self.group_ids())

    def has_member(self, member_id) -> ColumnElement[bool]:
        """SQL: the member whose id is `member_id` (a column) is in scope.

        A facilitator's or a commune's few members are the better start (an IN list); a
        wide scope's list is tens of thousands long, so each row the period's dates select
        is checked on its own: the member's kept home group, then the group."""
        if self.whole_country:  # every member is in (or was last in) one of its groups
            return true()
        if not self.wide:
            return member_id.in_(self.member_ids())
        member = _SCOPE_MEMBER
        return (
            exists()
            .where(
                member.id == checked_only(member_id),
                member.home_group_id.in_(self.group_ids()),
            )
            .correlate_except(member)
        )

    def has_grant(self, grant_id) -> ColumnElement[bool]:
        """SQL: the grant whose id is `grant_id` (a column) is of a member in scope."""
        if self.whole_country:
            return true()
        if not self.wide:
            return grant_id.in_(self.grant_ids())
        grant, member = _SCOPE_GRANT, _SCOPE_MEMBER
        return (
            exists()
            .where(
                grant.id == checked_only(grant_id),
                member.id == grant.member_id,
                member.home_group_id.in_(self.group_ids()),
            )
            .correlate_except(grant, member)
        )

    @property
    def whole_country(self) -> bool:
        """An admin's scope, not narrowed: nothing to check a row against."""
        return self.user.role == Role.ADMIN and not (
            self.province_code or self.commune_code or self.group_id or self.provinces
        )

    @property
    def level(self) -> str:
        if self.group_id is not None:
            return "group"
        if self.commune_code is not None:
            return "commune"
        if self.province_code is not None:
            return "province"
        return "nation" if self.user.role == Role.ADMIN else "mine"


# Groups --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def expected_meetings(period: Period, today: date):
    """SQL over `groups`: the meeting days the group's schedule sets in the period (from
    its founding day, up to today and, for a closed group, up to the day before it
    closed), as groups.services.groups.expected_dates counts them; 0 for a paused group
    (the days a group was paused are not kept: its status now decides).

    Kept for each (period, today) it was asked for: it names the meeting days of every
    month and weekday, and building it took longer than the statement that reads it. An
    SQL expression is never changed once made, so one serves every statement."""
    end = min(period.end, today)
    if end < period.start:
        return literal(0)
    start_n, end_n = days(period.start), days(end)
    founded = day_number(Group.founded_on)
    closed = day_number(Group.closed_on)
    last_n = case(
        (and_(Group.closed_on.is_not(None), closed - 1 < end_n), closed - 1), else_=literal(end_n)
    )
    # The first meeting weekday on or after the founding day (1970-01-01 was a Thursday).
    anchor = founded + ((Group.meeting_weekday - (founded + 3) % 7) + 7) % 7

    def every(step: int):
        begin = case((founded > start_n, founded), else_=literal(start_n))
        gap = begin - anchor
        first = case((gap <= 0, anchor), else_=anchor + ((gap + step - 1) // step) * step)
        return case((first <= last_n, (last_n - first) // step + 1), else_=0)

    # Monthly: the first such weekday of each month; a short list per weekday.
    firsts: dict[int, list[int]] = {w: [] for w in range(7)}
    for month in period.months():
        for w in range(7):
            day = month + timedelta(days=(w - month.weekday()) % 7)
            if period.start <= day <= end:
                firsts[w].append(days(day))
    monthly = case(
        *[
            (
                Group.meeting_weekday == w,
                sum(
                    (
                        case(
                            (and_(founded <= n, or_(Group.closed_on.is_(None), closed > n)), 1),
                            else_=0,
                        )
                        for n in ns
                    ),
                    literal(0),
                ),
            )
            for w, ns in firsts.items()
        ],
        else_=0,
    )
    return case(
        (Group.status == GroupStatus.PAUSED, 0),
        (and_(Group.status == GroupStatus.CLOSED, Group.closed_on.is_(None)), 0),
        (Group.cadence == Cadence.WEEKLY, every(7)),
        (Group.cadence == Cadence.FORTNIGHTLY, every(14)),
        else_=monthly,
    )


def group_rows(scope: Scope, period: Period, today: date):
    """A subquery, one row per group in scope: id, expected, held, held_on_time,
    present, marks, behind (1/0). The groups section, the scorecard and the group
    comparison all read it."""
    regular = Meeting.kind == MeetingKind.REGULAR
    timely = day_number(Meeting.created_at) - day_number(Meeting.held_on) <= TIMELY_DAYS
    # One pass over the period's meetings: regular ones held and recorded on time, and
    # every meeting's tallies of its attendance marks (present_count, marked_count).
    meetings = (
        select(
            Meeting.group_id,
            func.sum(case((regular, 1), else_=0)).label("held"),
            func.sum(case((and_(regular, timely), 1), else_=0)).label("on_time"),
            func.sum(Meeting.present_count).label("present"),
            func.sum(Meeting.marked_count).label("marks"),
        )
        .where(
            Meeting.held_on.between(period.start, period.end),
            scope.has_group(Meeting.group_id),
        )
        .group_by(Meeting.group_id)
        .subquery()
    )
    # Behind at the period's end; for a period not over yet, today, which the kept
    # meeting_due_by answers without reading each group's meetings.
    behind = due_by_passed(today) if period.end >= today else overdue_clause(period.end)
    return (
        select(
            Group.id.label("group_id"),
            Group.status.label("status"),
            Group.founded_on.label("founded_on"),
            Group.closed_on.label("closed_on"),
            expected_meetings(period, today).label("expected"),
            func.coalesce(meetings.c.held, 0).label("held"),
            func.coalesce(meetings.c.on_time, 0).label("on_time"),
            func.coalesce(meetings.c.present, 0).label("present"),
            func.coalesce(meetings.c.marks, 0).label("marks"),
            case((behind, 1), else_=0).label("behind"),
        )
        .outerjoin(meetings, meetings.c.group_id == Group.id)
        .where(scope.has_group(Group.id))
        .subquery()
    )


@dataclass(frozen=True)
class GroupSums:
    """The meeting figures of some groups, as sums: what group_figures and the drill-down
    rows are made of."""

    groups: int = 0
    active: int = 0
    expected: int = 0
    held: int = 0
    capped: int = 0  # held, counting no group beyond what it was expected to hold
    on_time: int = 0
    present: int = 0
    marks: int = 0
    behind: int = 0

    def __add__(self, other: "GroupSums") -> "GroupSums":
        return GroupSums(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def completeness(self):
        return ratio(self.capped, self.expected)

    @property
    def attendance(self):
        return ratio(self.present, self.marks)

    def figures(self) -> dict:
        return {
            "active_groups": self.active,
            "meetings_expected": self.expected,
            "meetings_held": self.held,
            "completeness": self.completeness,
            "timeliness": ratio(self.on_time, self.held),
            "attendance": self.attendance,
            "behind": self.behind,
        }


def group_sums(scope: Scope, period: Period, today: date, by=None) -> list[tuple]:
    """(key, GroupSums) of the groups in scope, one row per value of `by` (a column of
    `groups`, such as Group.province_code), or one row (key None) without: one statement.
    Active groups are those active now, or closed after the period began."""
    rows = group_rows(scope, period, today)
    capped = case((rows.c.held < rows.c.expected, rows.c.held), else_=rows.c.expected)
    active = and_(
        rows.c.founded_on <= period.end,
        or_(
            rows.c.status == GroupStatus.ACTIVE,
            and_(rows.c.status == GroupStatus.CLOSED, rows.c.closed_on > period.start),
        ),
    )
    sums = [
        func.count(),
        func.sum(case((active, 1), else_=0)),
        func.sum(rows.c.expected),
        func.sum(rows.c.held),
        func.sum(capped),
        func.sum(rows.c.on_time),
        func.sum(rows.c.present),
        func.sum(rows.c.marks),
        func.sum(rows.c.behind),
    ]
    if by is None:
        stmt = select(literal(None), *sums).select_from(rows)
    else:
        stmt = (
            select(by, *sums)
            .select_from(rows)
            .join(Group, Group.id == rows.c.group_id)
            .group_by(by)
        )
    return [
        (row[0], GroupSums(*(int(v or 0) for v in row[1:])))
        for row in db.session.execute(stmt)
        if row[1]  # no group at all: no row
    ]


def group_figures(scope: Scope, period: Period, today: date) -> dict:
    """Active groups, meetings expected and held, completeness, timeliness, attendance,
    groups behind: one statement."""
    return sum((s for _key, s in group_sums(scope, period, today)), GroupSums()).figures()


# Members -------------------------------------------------------------------------------


def _age_band(birth_year, year: int):
    age = year - birth_year
    return case(
        *[(age.between(low, high), i) for i, (low, high) in enumerate(AGE_BANDS)],
        else_=None,
    )


def member_figures(scope: Scope, period: Period) -> dict:
    """Members in a group in the period (by category, sex and age band), joined and
    left: two statements."""
    in_period = select(Membership.member_id).where(
        scope.has_group(Membership.group_id),
        Membership.joined_on <= period.end,
        or_(Membership.left_on.is_(None), Membership.left_on > period.start),
    )
    band = _age_band(Member.birth_year, period.end.year)
    breakdown = db.session.execute(
        select(Member.category, Member.gender, band, func.count())
        .where(Member.id.in_(in_period))
        .group_by(Member.category, Member.gender, band)
    ).all()
    by_category = dict.fromkeys(MemberCategory, 0)
    by_gender = dict.fromkeys(Gender, 0)
    by_age: dict[int | None, int] = dict.fromkeys([*range(len(AGE_BANDS)), None], 0)
    for category, gender, age, n in breakdown:
        by_category[category] += n
        by_gender[gender] += n
        by_age[age] += n

    first, other = _FIRST, _OTHER
    joined = (
        select(func.count(func.distinct(first.member_id)))
        .where(
            scope.has_group(first.group_id),
            first.joined_on.between(period.start, period.end),
            ~exists()
            .where(other.member_id == first.member_id, other.joined_on < first.joined_on)
            .correlate_except(other),
        )
        .scalar_subquery()
    )
    last, after = _LAST, _AFTER
    left = (
        select(func.count(func.distinct(last.member_id)))
        .where(
            scope.has_group(last.group_id),
            last.left_on.between(period.start, period.end),
            ~exists()
            .where(
                after.member_id == last.member_id,
                after.id != last.id,
                after.joined_on <= last.left_on,
                or_(after.left_on.is_(None), after.left_on > last.left_on),
            )
            .correlate_except(after),
        )
        .scalar_subquery()
    )
    joined_n, left_n = db.session.execute(select(joined, left)).one()
    return {
        "active_members": sum(by_category.values()),
        "joined": int(joined_n or 0),
        "left": int(left_n or 0),
        "by_category": by_category,
        "by_gender": by_gender,
        "by_age": by_age,
    }


# Grants --------------------------------------------------------------------------------


def _events(action: str, period: Period, scope: Scope):
    return select(GrantEvent.grant_id).where(
        GrantEvent.action == action,
        moment_in(GrantEvent.at, period.start, period.end),
        scope.has_grant(GrantEvent.grant_id),
    )


def grant_figures(scope: Scope, period: Period) -> dict:
    """Applications submitted, approved, not approved; payments; still to pay out;
    median days to a decision and to the first payment: one statement."""
    in_scope = scope.has_member(Grant.member_id)
    earlier = _EARLIER
    first_submitted = _events("submitted", period, scope).where(
        ~exists()
        .where(
            earlier.grant_id == GrantEvent.grant_id,
            earlier.action == "submitted",
            earlier.at < GrantEvent.at,
        )
        .correlate_except(earlier)
    )

    def count_and_sum(ids, amount):
        return (
            select(func.count(), func.coalesce(func.sum(amount), 0))
            .where(Grant.id.in_(ids))
            .subquery()
        )

    requested = count_and_sum(first_submitted, Grant.amount_requested)
    approved = count_and_sum(_events("approved", period, scope), Grant.amount_approved)
    rejected = (
        select(func.count(func.distinct(GrantEvent.grant_id)))
        .where(GrantEvent.grant_id.in_(_events("rejected", period, scope)))
        .scalar_subquery()
    )
    paid = (
        select(
            func.count(func.distinct(Tranche.grant_id)), func.coalesce(func.sum(Tranche.amount), 0)
        )
        .join(Grant, Grant.id == Tranche.grant_id)
        .where(Tranche.paid_on.between(period.start, period.end), in_scope)
        .subquery()
    )
    # Still to pay out at the end of the period: what the grants approved and not closed
    # by then had not been paid by then. It is what they lack now (the kept
    # grants.paid_vnd, read through the index on what each lacks, ix_grants_lacking) plus
    # what was paid to them after the period, so no grant's whole history is summed. A
    # grant closed after the period was still open at its end.
    def by_then(action: str):
        return exists().where(
            GrantEvent.grant_id == Grant.id,
            GrantEvent.action == action,
            GrantEvent.at < _next_day(period.end),
        )

    # A test on the few rows found, not a start: through ix_grants_status SQLite read
    # every paid-out grant of the country.
    status = checked_only(Grant.status)
    open_approved = and_(
        in_scope,
        or_(
            status.in_((GrantStatus.APPROVED, GrantStatus.DISBURSED)),
            and_(status == GrantStatus.CLOSED, ~by_then("closed")),
        ),
        by_then("approved"),
    )
    lacking = Grant.amount_approved - Grant.paid_vnd
    lacking_now = (
        select(func.coalesce(func.sum(lacking), 0))
        .where(or_(lacking > 0, lacking < 0), open_approved)
        .scalar_subquery()
    )
    paid_after = (
        select(func.coalesce(func.sum(Tranche.amount), 0))
        .join(Grant, Grant.id == Tranche.grant_id)
        .where(Tranche.paid_on > period.end, open_approved)
        .scalar_subquery()
    )
    remaining = lacking_now + paid_after
    decision = _DECISION
    submitted_before = (
        select(func.max(day_number(GrantEvent.at)))
        .where(
            GrantEvent.grant_id == decision.grant_id,
            GrantEvent.action == "submitted",
            GrantEvent.at <= decision.at,
        )
        .scalar_subquery()
    )
    to_decision = median_of(
        select(day_number(decision.at) - submitted_before).where(
            decision.action.in_(("approved", "rejected")),
            moment_in(decision.at, period.start, period.end),
            scope.has_grant(decision.grant_id),
        )
    )
    # The grants first paid in the period: their first payment day is kept on the grant
    # (grants.first_tranche_on, by triggers on `tranches`, migration 0025), a range of its
    # index, instead of every payment of every grant paid in the period grouped.
    approval = (
        select(func.min(day_number(GrantEvent.at)))
        .where(GrantEvent.grant_id == Grant.id, GrantEvent.action == "approved")
        .scalar_subquery()
    )
    to_payment = median_of(
        select(day_number(Grant.first_tranche_on) - approval).where(
            Grant.first_tranche_on.between(period.start, period.end),
            scope.has_member(Grant.member_id),
        )
    )
    row = db.session.execute(
        select(
            requested.c[0],
            requested.c[1],
            approved.c[0],
            approved.c[1],
            rejected,
            paid.c[0],
            paid.c[1],
            remaining,
            to_decision,
            to_payment,
        )
        .select_from(requested)
        .join(approved, literal(True))
        .join(paid, literal(True))
    ).one()
    return {
        "requested": int(row[0]),
        "requested_vnd": int(row[1]),
        "approved": int(row[2]),
        "approved_vnd": int(row[3]),
        "rejected": int(row[4] or 0),
        "disbursed": int(row[5]),
        "disbursed_vnd": int(row[6]),
        "remaining_vnd": int(row[7] or 0),
        "days_to_decision": _round(row[8]),
        "days_to_payment": _round(row[9]),
    }


def _next_day(day: date):
    return utc_start(day + timedelta(days=1))


def _round(value):
    return None if value is None else round(float(value), 1)


# Outcomes ------------------------------------------------------------------------------


def outcome_figures(scope: Scope, period: Period, today: date, *, of_today=True) -> dict:
    """Business status at 3, 6 and 12 months, median income at 6 months, visits due and
    made on time, visits overdue today (None when not `of_today`: a figure of today has
    no period before, definitions.Figure.comparable): two statements."""
    in_scope = scope.has_member(FollowUp.member_id)
    statuses = db.session.execute(
        select(FollowUp.months_after, Visit.business_status, func.count())
        .join(Visit, Visit.follow_up_id == FollowUp.id)
        .where(
            in_scope,
            FollowUp.kind == FollowUpKind.GRANT_CHECK,
            FollowUp.months_after.in_(OUTCOME_MONTHS),
            Visit.business_status.is_not(None),
            Visit.visited_on.between(period.start, period.end),
        )
        .group_by(FollowUp.months_after, Visit.business_status)
    ).all()
    by_months = {m: dict.fromkeys(Outcome, 0) for m in OUTCOME_MONTHS}
    for months, status, n in statuses:
        by_months[months][status] += n
    six_months = (
        in_scope,
        FollowUp.kind == FollowUpKind.GRANT_CHECK,
        FollowUp.months_after == 6,
        Visit.visited_on.between(period.start, period.end),
    )
    income = median_of(
        select(Visit.monthly_income)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .where(*six_months)
    )
    planned = median_of(
        select(Grant.planned_income)
        .select_from(Visit)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .join(Grant, Grant.id == FollowUp.grant_id)
        .where(*six_months, Grant.planned_income.is_not(None))
    )
    due = and_(
        in_scope,
        FollowUp.due_on.between(period.start, period.end),
        FollowUp.status != FollowUpStatus.CANCELLED,
    )
    on_time = and_(
        FollowUp.status == FollowUpStatus.DONE,
        day_number(Visit.visited_on) <= day_number(FollowUp.due_on) + VISIT_GRACE_DAYS,
    )
    visits = (
        select(func.count(), func.coalesce(func.sum(case((on_time, 1), else_=0)), 0))
        .select_from(FollowUp)
        .outerjoin(Visit, Visit.follow_up_id == FollowUp.id)
        .where(due)
        .subquery()
    )
    overdue = (
        select(func.count())
        .where(in_scope, FollowUp.status == FollowUpStatus.SCHEDULED, FollowUp.due_on < today)
        .scalar_subquery()
        if of_today
        else literal(None)
    )
    due_n, on_time_n, income_v, planned_v, overdue_n = db.session.execute(
        select(visits.c[0], visits.c[1], income, planned, overdue)
    ).one()
    out = {
        f"running_{m}": ratio(
            counts[Outcome.OPERATING] + counts[Outcome.STRUGGLING], sum(counts.values())
        )
        for m, counts in by_months.items()
    }
    out.update(
        income_6=None if income_v is None else int(round(float(income_v))),
        planned_income_6=None if planned_v is None else int(round(float(planned_v))),
        visits_due=int(due_n),
        visits_on_time=ratio(int(on_time_n), int(due_n)),
        overdue_now=None if overdue_n is None else int(overdue_n),
        by_months=by_months,
    )
    return out


# Together ------------------------------------------------------------------------------


def compute(
    scope: Scope, period: Period, today: date, groups: dict | None = None, *, of_today=True
) -> dict:
    """Every figure of every section for one period (six statements; five when the
    group figures are given, summed from the drill-down's rows). Without `of_today`, the
    figures of today (not comparable) are None: the period before does not count them."""
    return {
        **(groups if groups is not None else group_figures(scope, period, today)),
        **member_figures(scope, period),
        **grant_figures(scope, period),
        **outcome_figures(scope, period, today, of_today=of_today),
    }


@dataclass
class Report:
    scope: Scope
    period: Period
    current: dict
    previous: dict

    def section_rows(self, section: Section):
        """(figure, value now, value in the period before) for each figure of a section."""
        return [
            (f, self.current.get(f.key), self.previous.get(f.key) if f.comparable else None)
            for f in section.figures
        ]


def report(scope: Scope, period: Period, today: date, groups: dict | None = None) -> Report:
    """The figures for a period and for the period of the same length before it; `groups`,
    when given, are the period's group figures already counted (GroupSums.figures)."""
    return Report(
        scope,
        period,
        compute(scope, period, today, groups),
        compute(scope, period.previous(), today, of_today=False),
    )


def section_table(report_: Report, section_key: str):
    """(columns, rows) of one section, for an export: labels are lazy strings; values
    are numbers (a share between 0 and 1), đồng or None."""
    section = next(s for s in SECTIONS if s.key == section_key)
    columns = [
        _l("Figure"),
        _l("This period (%(period)s)", period=report_.period.label),
        _l("Period before (%(period)s)", period=report_.period.previous().label),
    ]
    rows = [[f.label, now, before] for f, now, before in report_.section_rows(section)]
    return columns, rows


def breakdown_table(report_: Report):
    """(columns, rows): members in a group in the period by category, sex and age band."""
    now, before = report_.current, report_.previous
    rows = [
        [c.neutral_label, now["by_category"][c], before["by_category"][c]] for c in MemberCategory
    ]
    rows += [[g.label, now["by_gender"][g], before["by_gender"][g]] for g in Gender]
    labels = age_band_labels()
    rows += [[labels[i], now["by_age"][i], before["by_age"][i]] for i in range(len(AGE_BANDS))]
    rows.append([_l("Birth year not known"), now["by_age"][None], before["by_age"][None]])
    return [_l("Members"), _l("This period"), _l("Period before")], rows


__all__ = [
    "FIGURES",
    "OUTCOME_MONTHS",
    "SECTIONS",
    "Figure",
    "Report",
    "Scope",
    "Section",
    "age_band_labels",
]
