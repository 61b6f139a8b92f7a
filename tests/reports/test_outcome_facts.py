"""The visit and check facts: marked by any write to a follow-up, its visit, a grant's
planned income or a member's home group, and always giving the live figures, on the
progress page and on the scorecard (a property-based test over random follow-ups due,
visits made, edited and undone, cancellations, moves and folds, on either database).

TULUC_FACTS_EXAMPLES sets how many random sequences: 4 here, to keep the suite quick;
`make facts-property` (bench/facts_property.py) runs 200."""

import os
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from groups.models import GroupRole, Membership
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantStatus,
    Outcome,
    Visit,
)
from reports.facts import refresh
from reports.facts.models import DirtyKey, OutcomeMonth
from reports.indicators import groups as group_indicators
from reports.indicators.outcomes import outcome_figures
from reports.indicators.scope import Scope
from reports.pages.review import scorecard_rows
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, stale_facts

START = date(2025, 1, 6)
TODAY = date(2025, 12, 20)
DAY = st.integers(min_value=0, max_value=330)
LATE = st.integers(min_value=-3, max_value=20)
STATUS = st.sampled_from([None, *Outcome])
INCOME = st.sampled_from([None, 0, 1, 2, 3])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("due"), st.integers(0, 3), st.sampled_from([0, 1, 3, 6, 12]), DAY),
        st.tuples(st.just("visit"), st.integers(0, 30), LATE, STATUS, INCOME),
        st.tuples(st.just("edit"), st.integers(0, 30), LATE, STATUS, INCOME),
        st.tuples(st.just("unvisit"), st.integers(0, 30)),
        st.tuples(st.just("cancel"), st.integers(0, 30), st.booleans()),
        st.tuples(st.just("redue"), st.integers(0, 30), DAY),
        st.tuples(st.just("drop"), st.integers(0, 30)),
        st.tuples(st.just("plan"), st.integers(0, 3), INCOME),
        st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 2), DAY),
        st.tuples(st.just("fold"), st.sampled_from([None, 1, 3])),
    ),
    max_size=30,
)
PERIODS = [
    Period.containing("month", date(2025, 3, 1)),
    Period.containing("quarter", date(2025, 2, 1)),
    Period.containing("quarter", date(2025, 5, 1)),
    Period.containing("year", date(2025, 1, 1)),
    Period("custom", date(2025, 2, 10), date(2025, 4, 20)),
]
PROPERTY = settings(
    max_examples=int(os.environ.get("TULUC_FACTS_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MILLION = 1_000_000
# Run first, whatever is drawn: each kind of write, on time and late, a check of each
# age and status, incomes at 6 months, a plan's income changed, a visit undone and a
# follow-up deleted, a member moving, partial folds.
EVERY_KIND = [
    ("due", 0, 6, 40),  # follow-up 0: 6-month check due 2025-02-15
    ("due", 1, 3, 50),  # 1
    ("due", 2, 0, 60),  # 2: a home visit
    ("due", 0, 12, 70),  # 3
    ("fold", 1),
    ("visit", 0, 2, Outcome.OPERATING, 2),  # on time
    ("visit", 1, 12, Outcome.STOPPED, None),  # late
    ("visit", 2, 0, None, None),
    ("plan", 0, 3),
    ("fold", 3),
    ("edit", 0, 15, Outcome.STRUGGLING, 1),
    ("visit", 3, -1, Outcome.OPERATING, 0),
    ("cancel", 2, True),
    ("due", 3, 6, 45),
    ("visit", 4, 1, Outcome.STOPPED, 3),
    ("move", 0, 2, 100),
    ("unvisit", 3),
    ("redue", 1, 80),
    ("fold", None),
    ("drop", 4),
    ("move", 0, 0, 200),
]


def _apply(operation, member_ids: list[int], group_ids: list[int]) -> None:
    """One write straight to the tables (the triggers, not the services, must mark what
    it touches), then a commit."""
    kind = operation[0]
    follow_ups = db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all()
    visits = db.session.scalars(select(Visit).order_by(Visit.id)).all()
    if kind == "due":
        _k, m, months, offset = operation
        grant = db.session.scalar(select(Grant).where(Grant.member_id == member_ids[m]))
        if grant is None:
            grant = Grant(
                member_id=member_ids[m],
                activity=Activity.LIVESTOCK,
                plan="Nuôi gà",
                amount_requested=5 * MILLION,
                status=GrantStatus.DISBURSED,
            )
            db.session.add(grant)
            db.session.flush()
        due = START + timedelta(days=offset)
        db.session.add(
            FollowUp(
                kind=FollowUpKind.GRANT_CHECK if months else FollowUpKind.HOME_VISIT,
                # The id it will have (ids are never reused while higher ones remain).
                source_key=f"t:{max((f.id for f in follow_ups), default=0) + 1}",
                member_id=member_ids[m],
                grant_id=grant.id if months else None,
                months_after=months or None,
                source_on=due,
                due_on=due,
                status=FollowUpStatus.SCHEDULED,
            )
        )
    elif kind == "visit" and follow_ups:
        _k, i, late, status, income = operation
        follow_up = follow_ups[i % len(follow_ups)]
        if follow_up.visit is None and follow_up.status == FollowUpStatus.SCHEDULED:
            follow_up.status = FollowUpStatus.DONE
            db.session.add(
                Visit(
                    follow_up=follow_up,
                    member_id=follow_up.member_id,
                    grant_id=follow_up.grant_id,
                    visited_on=follow_up.due_on + timedelta(days=late),
                    business_status=status,
                    monthly_income=None if income is None else income * MILLION,
                )
            )
    elif kind == "edit" and visits:
        _k, i, late, status, income = operation
        visit = visits[i % len(visits)]
        if visit.follow_up is not None:
            visit.visited_on = visit.follow_up.due_on + timedelta(days=late)
        visit.business_status = status
        visit.monthly_income = None if income is None else income * MILLION
    elif kind == "unvisit" and visits:
        visit = visits[operation[1] % len(visits)]
        if visit.follow_up is not None:
            visit.follow_up.status = FollowUpStatus.SCHEDULED
        db.session.delete(visit)
    elif kind == "cancel" and follow_ups:
        follow_up = follow_ups[operation[1] % len(follow_ups)]
        if follow_up.status != FollowUpStatus.DONE:
            missed = FollowUpStatus.MISSED if operation[2] else FollowUpStatus.CANCELLED
            follow_up.status = missed if follow_up.status != missed else FollowUpStatus.SCHEDULED
    elif kind == "redue" and follow_ups:
        follow_ups[operation[1] % len(follow_ups)].due_on = START + timedelta(days=operation[2])
    elif kind == "drop" and follow_ups:
        db.session.delete(follow_ups[operation[1] % len(follow_ups)])
    elif kind == "plan":
        grant = db.session.scalar(select(Grant).where(Grant.member_id == member_ids[operation[1]]))
        if grant is not None:
            grant.planned_income = None if operation[2] is None else operation[2] * MILLION
    elif kind == "move":
        _k, m, g, offset = operation
        current = db.session.scalar(
            select(Membership).where(
                Membership.member_id == member_ids[m], Membership.left_on.is_(None)
            )
        )
        day = max(START + timedelta(days=offset), current.joined_on + timedelta(days=1))
        if current.group_id != group_ids[g]:
            current.left_on = day
            db.session.flush()
            db.session.add(
                Membership(
                    member_id=member_ids[m],
                    group_id=group_ids[g],
                    role=GroupRole.MEMBER,
                    joined_on=day,
                )
            )
    elif kind == "fold":
        refresh.fold(limit=operation[1])
    db.session.commit()


def _scorecard(scope: Scope, period: Period) -> dict:
    """group id → (visits, businesses) parts of the scorecard."""
    return {
        row[0].id: (row.visits, row.businesses)
        for row in db.session.execute(scorecard_rows(scope, period, TODAY))
    }


def _figures(users, group_ids):
    out = []
    for user in users:
        narrows = [{}]
        if user.role == Role.ADMIN:  # a province, and a group members move into
            narrows += [{"province_code": HUE}, {"group_id": group_ids[2]}]
        for narrow in narrows:
            scope = Scope(user, **narrow)
            for period in PERIODS:
                out.append(
                    (
                        user.id,
                        narrow,
                        period,
                        outcome_figures(scope, period, TODAY),
                        _scorecard(scope, period),
                    )
                )
    return out


def _parts(figures: dict) -> tuple:
    """The scorecard's visits and businesses parts, from the progress page's figures."""
    checks = [nd for key, nd in figures["bases"].items() if key.startswith("running_")]
    running, seen = sum(n for n, _d in checks), sum(d for _n, d in checks)
    return figures["visits_on_time"], (running / seen if seen else None)


def test_outcome_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds(
    app, make_group, make_member, make_user, monkeypatch
):
    group_ids = [
        make_group(HUE, name="Nhóm A").id,
        make_group(HUE, name="Nhóm B").id,
        make_group(NGHE_AN, name="Nhóm C").id,
    ]
    names = ("Lê Thị Hoa", "Phạm Văn Nam", "Đỗ Thị Lan", "Vũ Thị Hằng")
    member_ids = [
        make_member(SimpleNamespace(id=group_ids[i % 3]), full_name=n).id
        for i, n in enumerate(names)
    ]
    admin = make_user(Role.ADMIN)
    coordinator = make_user(Role.COORDINATOR, provinces=[HUE])

    @PROPERTY
    @given(OPERATIONS)
    @example(EVERY_KIND)
    def check(operations):
        with app.app_context():
            for operation in operations:
                _apply(operation, member_ids, group_ids)
            assert stale_facts() == {}
            users = [db.session.get(User, admin.id), db.session.get(User, coordinator.id)]
            monkeypatch.setattr(group_indicators, "READ_FACTS", True)
            from_facts = _figures(users, group_ids)
            monkeypatch.setattr(group_indicators, "READ_FACTS", False)
            live = _figures(users, group_ids)
            # Each group's scorecard parts are its own progress figures, read live.
            for period in PERIODS:
                card = _scorecard(Scope(users[0]), period)
                for g in group_ids:
                    mine = outcome_figures(Scope(users[0], group_id=g), period, TODAY)
                    assert card[g] == pytest.approx(_parts(mine)), (g, period)
            monkeypatch.setattr(group_indicators, "READ_FACTS", True)
            assert from_facts == live
            refresh.fold()  # and once everything is folded
            db.session.commit()
            assert db.session.scalar(select(DirtyKey.group_id)) is None
            assert _figures(users, group_ids) == live
            db.session.remove()

    check()


def test_a_visit_is_marked_read_live_then_folded(app, make_group, make_member, make_user):
    a = make_group(HUE, name="Nhóm A")
    mai = make_member(a, full_name="Trần Thị Mai")
    admin = make_user(Role.ADMIN)
    february = Period.containing("month", date(2025, 2, 1))
    with app.app_context():
        _apply(("due", 0, 6, 40), [mai.id], [a.id])  # due 2025-02-15
        refresh.fold()
        db.session.commit()
        assert db.session.get(OutcomeMonth, (a.id, date(2025, 2, 1))).due == 1
        _apply(("visit", 0, 2, Outcome.OPERATING, 2), [mai.id], [a.id])
        assert (a.id, date(2025, 2, 1)) in {
            tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))
        }
        scope = Scope(db.session.get(User, admin.id), group_id=a.id)
        got = outcome_figures(scope, february, TODAY)  # read live while marked
        assert (got["visits_on_time"], got["running_6"], got["income_6"]) == (1, 1, 2 * MILLION)
        refresh.fold()
        db.session.commit()
        fact = db.session.get(OutcomeMonth, (a.id, date(2025, 2, 1)))
        assert (fact.due, fact.on_time, fact.m6_operating) == (1, 1, 1)
        assert outcome_figures(scope, february, TODAY) == got
