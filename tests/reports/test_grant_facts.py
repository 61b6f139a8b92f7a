"""The grant facts: marked by any write to a grant, its steps, payments or its member's
home group, and always giving the live figures (a property-based test over random
applications, decisions, payments, corrections, moves and folds, on either database).

TULUC_FACTS_EXAMPLES sets how many random sequences: 4 here, to keep the suite quick
(each reads 48 sets of figures three ways); `make facts-property` runs 200."""

import os
from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from groups.models import GroupRole, Member, Membership
from livelihoods.models import Activity, Grant, GrantEvent, GrantStatus, Method, Tranche
from reports.facts import refresh
from reports.facts.models import DirtyKey, GrantMonth
from reports.indicators.grants import grant_figures
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, stale_facts
from tests.reports.world import from_facts_and_live

START = date(2025, 1, 6)
DAY = st.integers(min_value=0, max_value=330)
LATER = st.integers(min_value=0, max_value=70)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("apply"), st.integers(0, 3), DAY, st.integers(1, 9)),
        st.tuples(st.just("decide"), st.integers(0, 20), LATER, st.booleans()),
        st.tuples(st.just("return"), st.integers(0, 20), LATER, LATER),
        st.tuples(st.just("pay"), st.integers(0, 20), LATER, st.integers(1, 5)),
        st.tuples(st.just("redate"), st.integers(0, 30), LATER),
        st.tuples(st.just("unpay"), st.integers(0, 30)),
        st.tuples(st.just("amount"), st.integers(0, 20), st.integers(1, 9)),
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
]
PROPERTY = settings(
    max_examples=int(os.environ.get("TULUC_FACTS_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MILLION = 1_000_000
# Run first, whatever is drawn: each kind of write, a grant paid in two months of a
# quarter and again in the next quarter, one sent back and decided on its second
# submission, one refused, payments moved and deleted, a member moving, partial folds.
EVERY_KIND = [
    ("apply", 0, 20, 5),  # grant 0 submitted 2025-01-26
    ("apply", 1, 40, 3),  # grant 1
    ("apply", 2, 50, 2),  # grant 2
    ("fold", 1),
    ("decide", 0, 3, True),  # approved 2025-01-29
    ("return", 1, 5, 10),
    ("decide", 1, 7, True),
    ("decide", 2, 9, False),
    ("pay", 0, 3, 1),  # 2025-02-01
    ("pay", 0, 30, 1),  # 2025-02-28
    ("pay", 0, 40, 2),  # 2025-03-10
    ("fold", 3),
    ("pay", 0, 65, 1),  # 2025-04-04
    ("pay", 1, 10, 3),
    ("redate", 1, 50),
    ("amount", 0, 7),
    ("move", 0, 2, 100),
    ("unpay", 2),
    ("fold", None),
    ("move", 0, 0, 200),
]


def _last(grant: Grant, action: str) -> date | None:
    days = [e.on for e in grant.events if e.action == action]
    return max(days) if days else None


def _step(grant: Grant, action: str, on: date) -> None:
    grant.events.append(GrantEvent(action=action, to_status=grant.status, on=on))


def _apply(operation, member_ids: list[int], group_ids: list[int]) -> None:
    """One write, as the services make them (one approval or refusal per grant), but
    straight to the tables: the triggers, not the services, must mark what it touches."""
    kind = operation[0]
    grants = db.session.scalars(select(Grant).order_by(Grant.id)).all()
    tranches = db.session.scalars(select(Tranche).order_by(Tranche.id)).all()
    if kind == "apply":
        _k, m, offset, millions = operation
        grant = Grant(
            member_id=member_ids[m],
            activity=Activity.LIVESTOCK,
            plan="Nuôi lợn",
            amount_requested=millions * MILLION,
            status=GrantStatus.SUBMITTED,
        )
        db.session.add(grant)
        _step(grant, "drafted", START + timedelta(days=offset))
        _step(grant, "submitted", START + timedelta(days=offset))
    elif kind in ("decide", "return", "pay", "amount") and grants:
        grant = grants[operation[1] % len(grants)]
        if kind == "amount":
            grant.amount_requested = operation[2] * MILLION
            if grant.amount_approved:
                grant.amount_approved = operation[2] * MILLION
        elif grant.status == GrantStatus.SUBMITTED and kind == "decide":
            on = _last(grant, "submitted") + timedelta(days=operation[2])
            if operation[3]:
                grant.status, grant.amount_approved = GrantStatus.APPROVED, grant.amount_requested
                _step(grant, "approved", on)
            else:
                grant.status = GrantStatus.REJECTED
                _step(grant, "rejected", on)
        elif grant.status == GrantStatus.SUBMITTED and kind == "return":
            on = _last(grant, "submitted") + timedelta(days=operation[2])
            _step(grant, "returned", on)
            _step(grant, "submitted", on + timedelta(days=operation[3]))
        elif grant.status in (GrantStatus.APPROVED, GrantStatus.DISBURSED) and kind == "pay":
            on = _last(grant, "approved") + timedelta(days=operation[2])
            grant.status = GrantStatus.DISBURSED
            db.session.add(
                Tranche(grant=grant, paid_on=on, amount=operation[3] * MILLION, method=Method.CASH)
            )
            _step(grant, "disbursed", on)
    elif kind == "redate" and tranches:
        tranche = tranches[operation[1] % len(tranches)]
        tranche.paid_on = _last(tranche.grant, "approved") + timedelta(days=operation[2])
    elif kind == "unpay" and tranches:
        db.session.delete(tranches[operation[1] % len(tranches)])
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


def _figures(users, group_ids):
    out = []
    for user in users:
        narrows = [{}]
        if user.role == Role.ADMIN:  # a province, and a group members move into
            narrows += [{"province_code": HUE}, {"group_id": group_ids[2]}]
        for narrow in narrows:
            for period in PERIODS:
                out.append((user.id, narrow, period, grant_figures(Scope(user, **narrow), period)))
    return out


def test_grant_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds(
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
            from_facts, live = from_facts_and_live(monkeypatch, lambda: _figures(users, group_ids))
            assert from_facts == live
            refresh.fold()  # and once everything is folded
            db.session.commit()
            assert _figures(users, group_ids) == live
            db.session.remove()

    check()


def test_a_member_moving_group_moves_their_grant_figures_at_the_fold(
    app, make_group, make_member, make_user
):
    a, b = make_group(HUE, name="Nhóm A"), make_group(NGHE_AN, name="Nhóm B")
    mai = make_member(a, full_name="Trần Thị Mai")
    admin = make_user(Role.ADMIN)
    march = Period.containing("month", date(2025, 3, 1))
    with app.app_context():
        _apply(("apply", 0, 60, 5), [mai.id], [a.id, b.id])  # submitted 2025-03-07
        refresh.fold()
        db.session.commit()
        assert db.session.get(GrantMonth, (a.id, date(2025, 3, 1))).requested_vnd == 5 * MILLION
        assert db.session.scalar(select(DirtyKey.group_id)) is None
        _apply(("move", 0, 1, 100), [mai.id], [a.id, b.id])
        marked = {tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))}
        assert {(a.id, date(2025, 3, 1)), (b.id, date(2025, 3, 1))} <= marked
        user = db.session.get(User, admin.id)
        in_b = Scope(user, group_id=b.id)
        assert grant_figures(in_b, march)["requested"] == 1  # read live while marked
        refresh.fold()
        db.session.commit()
        assert db.session.get(GrantMonth, (a.id, date(2025, 3, 1))) is None
        assert db.session.get(GrantMonth, (b.id, date(2025, 3, 1))).requested == 1
        assert grant_figures(in_b, march)["requested"] == 1
        assert grant_figures(Scope(user, group_id=a.id), march)["requested"] == 0
        assert db.session.get(Member, mai.id).home_group_id == b.id
