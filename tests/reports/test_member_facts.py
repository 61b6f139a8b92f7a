"""The member facts: marked by any write to a membership or to a member's category, sex
or year of birth, and always giving the live figures and the definition as it was
written before the facts (a property-based test over random joins, moves, leaves,
corrections, edits and folds, for random scopes and periods, on either database).

TULUC_FACTS_EXAMPLES sets how many random sequences: 4 here, to keep the suite quick;
`python -m bench.facts_property` runs 200."""

import multiprocessing
import os
import random
from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from accounts.models import Role, User
from app import create_app
from core.db import db
from groups.models import Gender, GroupRole, Member, MemberCategory, Membership
from reports.facts import members as member_facts
from reports.facts import refresh
from reports.facts.member_models import MemberDirty, MemberGroupPeriod, MemberSpread
from reports.facts.members import AGE_BANDS, age_band
from reports.indicators.members import member_figures, reads_member_facts
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, config_for, stale_member_facts
from tests.reports.world import from_facts_and_live

START = date(2025, 1, 6)
DAY = st.integers(min_value=0, max_value=360)
MEMBER = st.integers(0, 5)
GROUP = st.integers(0, 3)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("join"), MEMBER, GROUP, DAY),
        st.tuples(st.just("move"), MEMBER, GROUP, DAY),
        st.tuples(st.just("leave"), MEMBER, DAY),
        st.tuples(st.just("redate"), st.integers(0, 30), DAY),
        st.tuples(st.just("regroup"), st.integers(0, 30), GROUP),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(
            st.just("edit"),
            MEMBER,
            st.sampled_from(["category", "gender", "birth_year"]),
            st.integers(0, 3),
        ),
        st.tuples(st.just("fold"), st.sampled_from([None, 1, 2])),
    ),
    max_size=30,
)
PERIODS = [
    Period.containing("month", date(2025, 3, 1)),
    Period.containing("month", date(2025, 6, 1)),
    Period.containing("quarter", date(2025, 2, 1)),
    Period.containing("quarter", date(2025, 5, 1)),
    Period.containing("year", date(2025, 1, 1)),
    Period.containing("year", date(2024, 1, 1)),
    Period.custom(date(2025, 4, 1), date(2025, 6, 30)),  # a quarter by its days: facts
    Period.custom(date(2025, 2, 10), date(2025, 5, 20)),  # live
]
PROPERTY = settings(
    max_examples=int(os.environ.get("TULUC_FACTS_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
BIRTH_YEARS = (None, 2010, 1999, 1960)
# Run first, whatever is drawn: moves within a province and across, a move and back in
# one month, a leave and a rejoin, two memberships begun the same first day, corrections
# of a day and a group, a membership deleted, every field edited, partial folds.
EVERY_KIND = [
    ("fold", None),
    ("move", 0, 1, 60),  # A → B (both Huế) 2025-03-07
    ("move", 0, 0, 70),  # and back in March
    ("fold", 1),
    ("move", 1, 2, 100),  # to Nghệ An
    ("leave", 2, 80),
    ("join", 2, 3, 120),  # rejoins elsewhere
    ("edit", 3, "birth_year", 0),
    ("edit", 4, "category", 2),
    ("fold", 2),
    ("edit", 5, "gender", 1),
    ("redate", 0, 0),
    ("regroup", 1, 3),
    ("delete", 2),
    ("leave", 3, 0),  # the day they joined
    ("fold", None),
    ("move", 4, 3, 150),
]


def _open(member_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.member_id == member_id, Membership.left_on.is_(None))
    )


def _apply(operation, member_ids: list[int], group_ids: list[int]) -> None:
    """One write straight to the tables: the triggers, not the services, must mark."""
    kind = operation[0]
    rows = db.session.scalars(select(Membership).order_by(Membership.id)).all()
    if kind in ("join", "move", "leave"):
        member_id = member_ids[operation[1]]
        current, day = _open(member_id), START + timedelta(days=operation[-1])
        if kind == "join" and current is None:
            latest = max(m.left_on for m in rows if m.member_id == member_id)
            db.session.add(
                Membership(
                    member_id=member_id,
                    group_id=group_ids[operation[2]],
                    role=GroupRole.MEMBER,
                    joined_on=max(day, latest),
                )
            )
        elif kind in ("move", "leave") and current is not None:
            day = max(day, current.joined_on)
            if kind == "move" and current.group_id != group_ids[operation[2]]:
                current.left_on = day
                db.session.flush()
                db.session.add(
                    Membership(
                        member_id=member_id,
                        group_id=group_ids[operation[2]],
                        role=GroupRole.MEMBER,
                        joined_on=day,
                    )
                )
            elif kind == "leave":
                current.left_on = day
    elif kind in ("redate", "regroup", "delete") and rows:
        row = rows[operation[1] % len(rows)]
        if kind == "redate":
            day = START + timedelta(days=operation[2] - 200)
            row.joined_on = min(day, row.left_on) if row.left_on else day
        elif kind == "regroup":
            row.group_id = group_ids[operation[2]]
        elif sum(m.member_id == row.member_id for m in rows) > 1:
            db.session.delete(row)
    elif kind == "edit":
        member = db.session.get(Member, member_ids[operation[1]])
        field, value = operation[2], operation[3]
        if field == "category":
            member.category = list(MemberCategory)[value % len(MemberCategory)]
        elif field == "gender":
            member.gender = list(Gender)[value]
        else:
            member.birth_year = BIRTH_YEARS[value]
    elif kind == "fold":
        refresh.fold(limit=operation[1])
    db.session.commit()


# The definition as it was written before the facts (two statements over memberships).
_FIRST, _OTHER = aliased(Membership), aliased(Membership)
_LAST, _AFTER = aliased(Membership), aliased(Membership)


def written_before(scope: Scope, period: Period) -> dict:
    in_period = select(Membership.member_id).where(
        scope.has_group(Membership.group_id),
        Membership.joined_on <= period.end,
        or_(Membership.left_on.is_(None), Membership.left_on > period.start),
    )
    band = age_band(Member.birth_year, period.end.year)
    breakdown = db.session.execute(
        select(Member.category, Member.gender, band, func.count())
        .where(Member.id.in_(in_period))
        .group_by(Member.category, Member.gender, band)
    ).all()
    by_category = dict.fromkeys(MemberCategory, 0)
    by_gender = dict.fromkeys(Gender, 0)
    by_age: dict = dict.fromkeys([*range(len(AGE_BANDS)), None], 0)
    for category, gender, age, n in breakdown:
        by_category[category] += n
        by_gender[gender] += n
        by_age[age] += n
    first, other, last, after = _FIRST, _OTHER, _LAST, _AFTER
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


def _figures(users, group_ids, figures=member_figures):
    out = []
    for user in users:
        narrows = [{}]
        if user.role == Role.ADMIN:
            narrows += [{"province_code": HUE}, {"province_code": NGHE_AN}]
            narrows += [{"group_id": g} for g in group_ids]
        for narrow in narrows:
            for period in PERIODS:
                out.append((user.id, narrow, period, figures(Scope(user, **narrow), period)))
    return out


def test_member_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds(
    app, make_group, make_member, make_user, monkeypatch
):
    group_ids = [
        make_group(HUE, name="Nhóm A").id,
        make_group(HUE, name="Nhóm B").id,
        make_group(NGHE_AN, name="Nhóm C").id,
        make_group(HUE, name="Nhóm D").id,
    ]
    names = ("Lê Thị Hoa", "Phạm Văn Nam", "Đỗ Thị Lan", "Vũ Thị Hằng", "Ngô Văn Bình", "Hà Thu")
    member_ids = [
        make_member(SimpleNamespace(id=group_ids[i % 4]), full_name=n).id
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
            assert stale_member_facts() == {}
            users = [db.session.get(User, admin.id), db.session.get(User, coordinator.id)]
            from_facts, live = from_facts_and_live(monkeypatch, lambda: _figures(users, group_ids))
            assert live == _figures(users, group_ids, written_before)
            assert from_facts == live
            refresh.fold()  # and once everything is folded
            db.session.commit()
            assert db.session.scalar(select(func.count()).select_from(MemberDirty)) == 0
            assert reads_member_facts(PERIODS[0]) and reads_member_facts(PERIODS[6])
            assert not reads_member_facts(PERIODS[7])
            assert _figures(users, group_ids) == live
            db.session.remove()

    check()


def test_a_move_marks_both_groups_and_the_member_counts_once_in_the_province(
    app, make_group, make_member, make_user
):
    a, b = make_group(HUE, name="Nhóm A"), make_group(HUE, name="Nhóm B")
    mai = make_member(a, full_name="Trần Thị Mai")
    admin = make_user(Role.ADMIN)
    march = Period.containing("month", date(2025, 3, 1))
    with app.app_context():
        refresh.fold()
        db.session.commit()
        assert db.session.scalar(select(MemberDirty.group_id)) is None
        assert db.session.get(MemberGroupPeriod, (a.id, march.start, march.end)).active == 1
        _apply(("move", 0, 1, 60), [mai.id], [a.id, b.id])  # 2025-03-07
        marked = set(db.session.scalars(select(MemberDirty.group_id)))
        assert marked == {a.id, b.id}
        assert stale_member_facts() == {}  # what it folds to compare, it takes back
        assert set(db.session.scalars(select(MemberDirty.group_id))) == marked
        user = db.session.get(User, admin.id)
        province = Scope(user, province_code=HUE)
        assert member_figures(province, march)["active_members"] == 1  # read live
        refresh.fold()
        db.session.commit()
        assert db.session.get(MemberGroupPeriod, (a.id, march.start, march.end)) is None
        spread = db.session.scalars(
            select(MemberSpread.group_id).where(MemberSpread.start == march.start)
        ).all()
        assert sorted(spread) == sorted([a.id, b.id])
        assert member_figures(province, march)["active_members"] == 1
        assert member_figures(Scope(user, group_id=a.id), march)["active_members"] == 1
        assert member_figures(Scope(user, group_id=b.id), march)["joined"] == 0  # a move
        april = Period.containing("month", date(2025, 4, 1))
        assert db.session.get(MemberGroupPeriod, (b.id, april.start, april.end)).active == 1
        # An edit of her year of birth marks her group only, and moves her age band.
        db.session.get(Member, mai.id).birth_year = 2010
        db.session.commit()
        assert set(db.session.scalars(select(MemberDirty.group_id))) == {a.id, b.id}
        assert member_figures(province, april)["by_age"][0] == 1
        refresh.fold()
        db.session.commit()
        assert member_figures(province, april)["by_age"][0] == 1


def _race(url: str, seed: int, member_ids: list[int], group_ids: list[int], rounds: int) -> None:
    """Move members, correct their days and fold, at random, committing each."""
    rng = random.Random(seed)
    app = create_app(config_for(url))
    with app.app_context():
        for _ in range(rounds):
            try:
                step = rng.random()
                m, g, day = rng.randrange(6), rng.randrange(len(group_ids)), rng.randrange(360)
                if step < 0.5:
                    operation = ("move", m, g, day)
                elif step < 0.7:
                    operation = ("redate", rng.randrange(30), day)
                elif step < 0.8:
                    operation = ("edit", m, "birth_year", rng.randrange(4))
                else:
                    operation = ("fold", None)
                _apply(operation, member_ids, group_ids)
            except Exception:  # two writers opened a membership of one member at once
                db.session.rollback()
        db.engine.dispose()


def test_eight_processes_moving_members_and_folding_at_once_count_nothing_twice(
    app, make_group, make_member, make_user
):
    group_ids = [make_group(HUE, name=f"Nhóm {i}").id for i in range(3)]
    member_ids = [
        make_member(SimpleNamespace(id=group_ids[i % 3]), full_name=f"Thành viên {i}").id
        for i in range(6)
    ]
    admin = make_user(Role.ADMIN)
    with app.app_context():
        db.engine.dispose()
    url = app.config["DATABASE_URL"]
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_race, args=(url, seed, member_ids, group_ids, 15))
        for seed in range(8)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
    assert [w.exitcode for w in workers] == [0] * 8
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) > 6  # moved
        assert stale_member_facts() == {}  # what was folded is exact, whatever raced
        users = [db.session.get(User, admin.id)]
        refresh.fold()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(MemberDirty)) == 0
        assert stale_member_facts() == {}
        assert _figures(users, group_ids) == _figures(users, group_ids, written_before)


def test_the_first_fold_of_a_year_past_the_horizon_keeps_the_next_years_too(
    app, make_group, make_member, make_user, monkeypatch
):
    a = make_group(HUE, name="Nhóm A")
    make_member(a, full_name="Trần Thị Mai")
    admin = make_user(Role.ADMIN)
    with app.app_context():
        monkeypatch.setattr(member_facts, "today", lambda: date(2026, 6, 1))
        refresh.fold()
        db.session.commit()
        assert member_facts.horizon() == date(2027, 12, 31)
        later = Period.containing("quarter", date(2028, 2, 1))
        assert not reads_member_facts(later)  # after the horizon: live
        user = db.session.get(User, admin.id)
        assert member_figures(Scope(user), later)["active_members"] == 1
        monkeypatch.setattr(member_facts, "today", lambda: date(2028, 1, 2))
        refresh.fold()
        db.session.commit()
        assert member_facts.horizon() == date(2029, 12, 31)
        assert reads_member_facts(later)
        fact = db.session.get(MemberGroupPeriod, (a.id, later.start, later.end))
        assert (fact.active, fact.age_3) == (1, 1)  # born 1990: 38 in 2028
        assert member_figures(Scope(user), later)["active_members"] == 1
