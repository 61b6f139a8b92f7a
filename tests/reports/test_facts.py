"""The analytics tables: marked by every write in its transaction, folded whole, rebuilt
with progress, safe when folds race or a fold is killed, and always the same figures as
the operational tables (a property-based test over random writes and folds)."""

import multiprocessing
import os
import random
import signal
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update

from accounts.models import Role, User
from app import create_app
from core.db import db
from core.scheduler import JOBS, resolve
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import Cadence, Group
from groups.services import meetings as meeting_services
from groups.services.schedule import keep_meeting_due_by
from reports import charts
from reports.facts import refresh
from reports.facts.models import DirtyKey, FactState, GroupMonth
from reports.indicators.groups import group_figures
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, config_for, stale_facts
from tests.reports.world import from_facts_and_live

TODAY = date(2025, 12, 31)
ACTOR = SimpleNamespace(id=None)


def marked() -> set:
    return {tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))}


def record(group_id: int, held_on: date, kind=MeetingKind.REGULAR) -> Meeting:
    group = db.session.get(Group, group_id)
    members = meeting_services.members_on(group_id, held_on)
    marks = {
        m.id: (AttendanceStatus.ABSENT if i % 3 == 2 else AttendanceStatus.PRESENT)
        for i, m in enumerate(members)
    }
    return meeting_services.record_meeting(
        ACTOR,
        group,
        held_on=held_on,
        kind=kind,
        topics=None,
        decisions=None,
        marks=marks,
        today=TODAY,
    )


@pytest.fixture
def two_groups(app, make_group, make_member):
    a = make_group(HUE, name="Nhóm A")
    b = make_group(NGHE_AN, name="Nhóm B", cadence=Cadence.FORTNIGHTLY)
    for name in ("Lê Thị Hoa", "Phạm Văn Nam", "Đỗ Thị Lan"):
        make_member(a, full_name=name)
    make_member(b, full_name="Vũ Thị Hằng")
    return a, b


def test_a_meeting_saved_marks_its_group_and_month_in_the_same_transaction(app, two_groups):
    a, _b = two_groups
    with app.app_context():
        meeting = record(a.id, date(2025, 3, 10))
        assert marked() == {(a.id, date(2025, 3, 1))}  # before any commit: the same transaction
        db.session.rollback()
        assert marked() == set()  # and gone with it
        meeting = record(a.id, date(2025, 3, 10))
        db.session.commit()
        assert refresh.fold() == 1
        db.session.commit()
        fact = db.session.get(GroupMonth, (a.id, date(2025, 3, 1)))
        assert (fact.held, fact.present, fact.marks) == (1, 2, 3)
        assert marked() == set()
        # Moved to another month: both months are marked, and folding moves the figures.
        meeting = db.session.get(Meeting, meeting.id)
        meeting_services.update_meeting(
            ACTOR,
            meeting,
            version=meeting.version,
            held_on=date(2025, 4, 7),
            kind=MeetingKind.REGULAR,
            topics=None,
            decisions=None,
            marks=meeting_services.attendance_marks(meeting),
            today=TODAY,
        )
        db.session.commit()
        assert marked() == {(a.id, date(2025, 3, 1)), (a.id, date(2025, 4, 1))}
        refresh.fold()
        db.session.commit()
        assert db.session.get(GroupMonth, (a.id, date(2025, 3, 1))) is None
        assert db.session.get(GroupMonth, (a.id, date(2025, 4, 1))).held == 1
        assert stale_facts() == {}


def test_figures_are_the_same_before_and_after_folding(app, two_groups, make_user):
    a, b = two_groups
    admin = make_user(Role.ADMIN)
    with app.app_context():
        for day in (date(2025, 3, 3), date(2025, 3, 10), date(2025, 4, 7)):
            record(a.id, day)
        record(b.id, date(2025, 3, 12))
        db.session.commit()
        user = db.session.get(User, admin.id)
        march = Period.containing("month", date(2025, 3, 1))
        quarter = Period.containing("quarter", date(2025, 3, 1))
        before = [
            group_figures(Scope(user, **narrow), period, TODAY)
            for narrow in ({}, {"province_code": HUE}, {"group_id": b.id})
            for period in (march, quarter)
        ]
        assert before[0]["meetings_held"] == 3
        refresh.fold()
        db.session.commit()
        after = [
            group_figures(Scope(user, **narrow), period, TODAY)
            for narrow in ({}, {"province_code": HUE}, {"group_id": b.id})
            for period in (march, quarter)
        ]
        assert after == before
        state = db.session.get(FactState, "group_months")
        assert state.as_of is not None


def test_the_fold_is_a_job_in_the_scheduler_table(app, two_groups):
    a, _b = two_groups
    job = next(j for j in JOBS if j.id == "reports.fold_facts")
    assert job.cron == {"minute": "*"}
    with app.app_context():
        record(a.id, date(2025, 3, 3))
        db.session.commit()
        assert resolve(job.func)(today=TODAY) == {"folded": 1}
        db.session.commit()
        assert resolve(job.func)(today=TODAY) == {"folded": 0}  # twice: nothing twice
        assert db.session.get(GroupMonth, (a.id, date(2025, 3, 1))).held == 1


def test_rebuild_makes_every_fact_again_with_progress(app, runner, two_groups):
    a, b = two_groups
    with app.app_context():
        for day in (date(2025, 1, 6), date(2025, 2, 3), date(2025, 3, 3)):
            record(a.id, day)
        record(b.id, date(2025, 2, 5))
        db.session.commit()
        refresh.fold()
        # A fact made wrong behind the triggers' back: the rebuild puts it right.
        db.session.execute(update(GroupMonth).values(held=99))
        db.session.add(GroupMonth(group_id=a.id, month=date(2024, 1, 1), held=5))
        db.session.commit()
    result = runner.invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "5 group-months rebuilt." in result.output
    with app.app_context():
        assert stale_facts() == {}
        assert db.session.get(GroupMonth, (a.id, date(2024, 1, 1))) is None
        assert db.session.scalar(select(func.sum(GroupMonth.held))) == 4
        assert db.session.get(FactState, "group_months").rebuilt_at is not None
    result = runner.invoke(args=["analytics", "status"])
    assert "waiting: 0" in result.output


def test_rebuild_in_small_batches_reports_its_progress(app, two_groups):
    a, _b = two_groups
    with app.app_context():
        for month in range(1, 7):
            record(
                a.id,
                date(2025, month, 6) + timedelta(days=(7 - date(2025, month, 6).weekday()) % 7),
            )
        db.session.commit()
        seen = []
        assert refresh.rebuild(lambda done, total: seen.append((done, total)), batch=4) == 6
        assert seen == [(4, 6), (6, 6)]
        assert stale_facts() == {}


def test_a_second_rebuild_is_refused_with_a_message_while_one_runs(app, runner):
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: a second rebuild waits for the first")
    with app.app_context(), db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": refresh.REBUILD_LOCK})
        result = runner.invoke(args=["analytics", "rebuild"])
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": refresh.REBUILD_LOCK})
    assert result.exit_code == 1
    assert "Another process is rebuilding" in result.output


def _fold_then_die(url: str) -> None:
    app = create_app(config_for(url))
    with app.app_context():
        refresh.fold()
        db.session.flush()
        os.kill(os.getpid(), signal.SIGKILL)  # before the commit


def test_a_fold_killed_before_its_commit_leaves_facts_and_marks_as_they_were(app, two_groups):
    a, _b = two_groups
    with app.app_context():
        record(a.id, date(2025, 3, 3))
        db.session.commit()
        refresh.fold()
        db.session.commit()
        record(a.id, date(2025, 3, 10))
        db.session.commit()
        db.engine.dispose()
    child = multiprocessing.get_context("spawn").Process(
        target=_fold_then_die, args=(app.config["DATABASE_URL"],)
    )
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    with app.app_context():
        assert marked() == {(a.id, date(2025, 3, 1))}  # still to fold
        assert db.session.get(GroupMonth, (a.id, date(2025, 3, 1))).held == 1  # untouched
        user = SimpleNamespace(role=Role.ADMIN, id=None)
        march = Period.containing("month", date(2025, 3, 1))
        assert group_figures(Scope(user), march, TODAY)["meetings_held"] == 2
        refresh.fold()
        db.session.commit()
        assert stale_facts() == {}


def _race(url: str, seed: int, group_ids: list[int], rounds: int) -> None:
    """Write meetings, move them between months, and fold, at random, committing each."""
    rng = random.Random(seed)
    app = create_app(config_for(url))
    with app.app_context():
        for _ in range(rounds):
            try:
                step = rng.random()
                group = db.session.get(Group, rng.choice(group_ids))
                day = date(2025, 1, 6) + timedelta(days=rng.randrange(300))
                if step < 0.5:
                    db.session.add(
                        Meeting(
                            group_id=group.id,
                            held_on=day,
                            kind=MeetingKind.REGULAR if rng.random() < 0.8 else MeetingKind.EXTRA,
                            present_count=0,
                            marked_count=0,
                        )
                    )
                    db.session.flush()
                    keep_meeting_due_by(group)
                elif step < 0.75:
                    meeting = db.session.scalar(
                        select(Meeting).where(Meeting.group_id == group.id).limit(1)
                    )
                    if meeting is not None:
                        meeting.held_on = day
                        db.session.flush()
                        keep_meeting_due_by(group)
                else:
                    refresh.fold()
                db.session.commit()
            except Exception:  # a duplicate day: the unique key refused it
                db.session.rollback()
        db.engine.dispose()


def test_eight_processes_writing_and_folding_at_once_count_nothing_twice(app, make_group):
    groups = [make_group(HUE, name=f"Nhóm {i}").id for i in range(3)]
    with app.app_context():
        db.engine.dispose()
    url = app.config["DATABASE_URL"]
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_race, args=(url, seed, groups, 25)) for seed in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
    assert [w.exitcode for w in workers] == [0] * 8
    with app.app_context():
        assert stale_facts() == {}  # what was folded is exact, whatever raced
        refresh.fold()
        db.session.commit()
        assert marked() == set()
        assert stale_facts() == {}
        held = db.session.scalar(select(func.count()).where(Meeting.kind == MeetingKind.REGULAR))
        assert db.session.scalar(select(func.sum(GroupMonth.held))) == held


# Property: any writes, any folds, the same figures ------------------------------------

DAYS = st.integers(min_value=0, max_value=330)  # days after 2025-01-06
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("meet"), st.integers(0, 2), DAYS, st.booleans()),
        st.tuples(st.just("redate"), st.integers(0, 50), DAYS),
        st.tuples(st.just("stamp"), st.integers(0, 50), st.integers(0, 6)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("move"), st.integers(0, 2), st.sampled_from([HUE, NGHE_AN])),
        st.tuples(st.just("fold"), st.sampled_from([None, 1, 3])),
    ),
    max_size=25,
)
PERIODS = [
    Period.containing("month", date(2025, 3, 1)),
    Period.containing("month", date(2025, 7, 1)),
    Period.containing("quarter", date(2025, 2, 1)),
    Period.containing("year", date(2025, 1, 1)),
    Period.custom(date(2025, 2, 10), date(2025, 5, 20)),
]
PROPERTY = settings(
    max_examples=int(os.environ.get("TULUC_FACTS_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _apply(operation, group_ids: list[int]) -> None:
    kind = operation[0]
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.id)).all()
    start = date(2025, 1, 6)
    if kind == "meet":
        _k, g, offset, regular = operation
        day = start + timedelta(days=offset)
        if db.session.scalar(
            select(func.count()).where(Meeting.group_id == group_ids[g], Meeting.held_on == day)
        ):
            return
        record(group_ids[g], day, MeetingKind.REGULAR if regular else MeetingKind.TRAINING)
    elif kind in ("redate", "stamp", "delete") and meetings:
        meeting = meetings[operation[1] % len(meetings)]
        if kind == "redate":
            day = start + timedelta(days=operation[2])
            if db.session.scalar(
                select(func.count()).where(
                    Meeting.group_id == meeting.group_id,
                    Meeting.held_on == day,
                    Meeting.kind == meeting.kind,
                )
            ):
                return
            meeting.held_on = day
        elif kind == "stamp":  # recorded n days after it was held
            meeting.created_at = datetime.combine(
                meeting.held_on + timedelta(days=operation[2]), time(10), UTC
            )
        else:
            db.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
            db.session.delete(meeting)
        db.session.flush()
        keep_meeting_due_by(db.session.get(Group, meeting.group_id))
    elif kind == "move":
        group = db.session.get(Group, group_ids[operation[1]])
        group.province_code = operation[2]
        group.commune_code = db.session.scalar(
            text("SELECT min(code) FROM communes WHERE province_code = :p"), {"p": operation[2]}
        )
    elif kind == "fold":
        refresh.fold(limit=operation[1])
    db.session.commit()


def _figures(user, group_ids):
    out = []
    for narrow in (
        {},
        {"province_code": HUE},
        {"province_code": NGHE_AN},
        *({"group_id": g} for g in group_ids),
    ):
        scope = Scope(user, **narrow)
        for period in PERIODS:
            out.append(
                (
                    narrow,
                    period,
                    group_figures(scope, period, TODAY),
                    charts.attendance_by_month(scope, period),
                    [(c.key, c.sums) for c in charts.children(scope, period, TODAY)],
                )
            )
    return out


def test_every_figure_from_the_facts_is_the_live_figure_after_any_writes_and_folds(
    app, make_group, make_member, make_user, monkeypatch
):
    group_ids = [
        make_group(HUE, name="Nhóm A").id,
        make_group(HUE, name="Nhóm B", cadence=Cadence.MONTHLY).id,
        make_group(NGHE_AN, name="Nhóm C", cadence=Cadence.FORTNIGHTLY).id,
    ]
    for i, g in enumerate(group_ids):
        for name in ("Lê Thị Hoa", "Phạm Văn Nam")[: i + 1]:
            make_member(SimpleNamespace(id=g), full_name=name)
    admin = make_user(Role.ADMIN)
    coordinator = make_user(Role.COORDINATOR, provinces=[HUE])

    @PROPERTY
    @given(OPERATIONS)
    def check(operations):
        with app.app_context():
            for operation in operations:
                _apply(operation, group_ids)
            assert stale_facts() == {}
            for user in (db.session.get(User, admin.id), db.session.get(User, coordinator.id)):
                from_facts, live = from_facts_and_live(
                    monkeypatch, lambda user=user: _figures(user, group_ids)
                )
                assert from_facts == live
            db.session.remove()

    check()
