# ruff: noqa: F811 - fixtures imported from jobs_fixtures are arguments of the tests
"""The follow-up jobs, called directly with a date: reminders, escalation, the weekly
digest, home visits after repeated absences; run twice, in parallel, after a gap, and
after a disbursement date was corrected."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.jobs import JobRun
from core.scheduler import JOBS, run_job
from groups.models import GroupStatus, Member
from groups.services import members as member_services
from inbox.models import Notification
from livelihoods.jobs import daily_sweep, escalate_overdue, weekly_digest
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus, Grant, Method, Tranche
from livelihoods.services import follow_ups
from livelihoods.services.tranches import correct_tranche, record_tranche
from tests.conftest import HUE
from tests.livelihoods.jobs_fixtures import (  # noqa: F401 - fixtures
    AMOUNT,
    DECIDER,
    DUE,
    NOBODY,
    close,
    follow_up_row,
    forget_claims,
    make_paid_grant,
    make_submitted_grant,
    notifications,
    run,
    visit,
    world,
)


def days(start: date, end: date):
    """Every day from start to end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def mark_missed(app, follow_up_id):
    with app.app_context():
        follow_ups.mark_missed(
            NOBODY, db.session.get(FollowUp, follow_up_id), reason="Đi vắng", today=date.today()
        )
        db.session.commit()


def correct(app, tranche_id: int, paid_on: date, today: date) -> None:
    """Correct the date of a tranche, keeping its amount and method."""
    with app.app_context():
        tranche = db.session.get(Tranche, tranche_id)
        correct_tranche(
            DECIDER,
            tranche,
            paid_on=paid_on,
            amount=tranche.amount,
            method=tranche.method,
            purchased=tranche.purchased,
            today=today,
        )
        db.session.commit()


def claims(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JobRun))


# Reminders -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "stage"),
    [
        (-4, None),
        (-3, "due_soon"),
        (-2, "due_soon"),
        (-1, "due_soon"),
        (0, "due_today"),
        (1, "overdue"),
        (20, "overdue"),
    ],
)
def test_sweep_reminds_the_groups_active_facilitators_by_stage_of_the_due_date(
    app, world, make_paid_grant, offset, stage
):
    mine = make_paid_grant(world.mai)
    theirs = make_paid_grant(world.other)  # same dates, another Huế group
    result = run(app, daily_sweep, DUE + timedelta(days=offset))

    expected = []
    if stage:
        expected = [
            (world.fac.id, stage, mine.checks[1]),
            (world.fac2.id, stage, mine.checks[1]),
            (world.other_fac.id, stage, theirs.checks[1]),
        ]
    # Not the deactivated facilitator, not the other group's facilitators, no coordinator.
    assert notifications(app) == sorted(expected)
    assert result == {"home_visits": 0, "reminders": len(expected)}


def test_daily_sweeps_send_each_stage_once_per_facilitator(app, world, make_paid_grant):
    grant = make_paid_grant(world.mai)
    for day in days(DUE - timedelta(days=6), DUE + timedelta(days=6)):
        run(app, daily_sweep, day)

    fu = grant.checks[1]
    assert notifications(app) == sorted(
        (user.id, stage, fu)
        for user in (world.fac, world.fac2)
        for stage in ("due_soon", "due_today", "overdue")
    )


@pytest.mark.parametrize("how", ["visited", "missed", "cancelled"])
def test_a_closed_follow_up_gets_no_more_reminders(app, world, make_paid_grant, visit, close, how):
    grant = make_paid_grant(world.mai)
    fu = grant.checks[1]
    run(app, daily_sweep, DUE - timedelta(days=2))
    before = notifications(app)
    assert before == [(world.fac.id, "due_soon", fu), (world.fac2.id, "due_soon", fu)]

    if how == "visited":
        visit(fu, DUE - timedelta(days=2))
    elif how == "missed":
        mark_missed(app, fu)
    else:
        close(grant.id)
    assert follow_up_row(app, fu).status != FollowUpStatus.SCHEDULED

    for day in days(DUE - timedelta(days=1), DUE + timedelta(days=20)):
        run(app, daily_sweep, day)
        run(app, escalate_overdue, day)
    assert notifications(app) == before


def test_a_follow_up_visited_before_any_reminder_gets_none(app, world, make_paid_grant, visit):
    grant = make_paid_grant(world.mai)
    visit(grant.checks[1], DUE - timedelta(days=10))
    for day in days(DUE - timedelta(days=3), DUE + timedelta(days=20)):
        run(app, daily_sweep, day)
        run(app, escalate_overdue, day)
    assert notifications(app, object_id=grant.checks[1]) == []


# Escalation ------------------------------------------------------------------------------


def test_escalation_after_more_than_two_weeks_goes_once_to_the_provinces_coordinators(
    app, world, make_paid_grant
):
    hue = make_paid_grant(world.mai).checks[1]
    quang_tri = make_paid_grant(world.qt_member).checks[1]

    assert run(app, escalate_overdue, DUE + timedelta(days=14)) == {"escalated": 0}
    assert notifications(app) == []

    assert run(app, escalate_overdue, DUE + timedelta(days=15)) == {"escalated": 4}
    expected = sorted(
        [
            (world.coord.id, "escalated", hue),
            (world.both.id, "escalated", hue),
            (world.qt_coord.id, "escalated", quang_tri),
            (world.both.id, "escalated", quang_tri),
        ]
    )
    # Not the deactivated coordinator, the admin or any facilitator.
    assert notifications(app) == expected

    for day in days(DUE + timedelta(days=16), DUE + timedelta(days=40)):
        assert run(app, escalate_overdue, day) == {"escalated": 0}
    assert notifications(app) == expected


# The weekly digest -----------------------------------------------------------------------

MONDAY = date(2026, 3, 2)


@pytest.fixture
def province_figures(
    app, world, make_group, make_member, make_meeting, make_paid_grant, make_submitted_grant, visit
):
    """On Monday 2 March 2026:

    Huế: 2 overdue visits (a third was visited, a fourth is due today), 1 group behind on
    meetings (`other_group`, never met; a paused one does not count), 2 grants waiting
    (a draft does not count).
    Quảng Trị: 1 overdue visit, 1 group behind (last met 9 February), 1 grant waiting.
    """
    make_meeting(world.group, date(2026, 2, 23))  # a week ago: on track
    make_meeting(world.qt_group, date(2026, 2, 9))  # three weeks ago: behind
    make_group(HUE, status=GroupStatus.PAUSED, name="Nhóm Tạm Nghỉ")

    make_paid_grant(world.mai, date(2026, 1, 10))  # due 10 Feb: overdue
    make_paid_grant(world.other, date(2026, 1, 20))  # due 20 Feb: overdue
    visited = make_paid_grant(world.mai, date(2026, 1, 15))  # due 15 Feb, visited
    visit(visited.checks[1], date(2026, 2, 16))
    make_paid_grant(world.mai, date(2026, 2, 2))  # due 2 March: today, not overdue
    make_submitted_grant(world.mai)
    make_submitted_grant(world.other)
    make_submitted_grant(world.mai, submit=False)

    make_paid_grant(world.qt_member, date(2026, 1, 5))  # due 5 Feb: overdue
    make_submitted_grant(world.qt_member)
    return world


def digests(app) -> dict[int, dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.kind == "digest").order_by(Notification.id)
        )
        return {n.user_id: n.data for n in rows}


def test_weekly_digest_counts_what_is_in_each_coordinators_provinces(app, province_figures):
    w = province_figures
    assert run(app, weekly_digest, MONDAY) == {"digests": 3}

    sent = digests(app)
    # Active coordinators only: not the deactivated one, not the admin, no facilitator.
    assert set(sent) == {w.coord.id, w.qt_coord.id, w.both.id}
    counts = {user: (d["overdue"], d["behind"], d["waiting"]) for user, d in sent.items()}
    assert counts == {
        w.coord.id: (2, 1, 2),
        w.qt_coord.id: (1, 1, 1),
        w.both.id: (3, 2, 3),
    }
    assert sent[w.coord.id]["week"] == "2026-W10"


def test_weekly_digest_goes_once_per_iso_week_whichever_day_it_runs(app, province_figures):
    assert run(app, weekly_digest, MONDAY) == {"digests": 3}
    for day in days(MONDAY + timedelta(days=1), MONDAY + timedelta(days=6)):
        assert run(app, weekly_digest, day) == {"skipped": 1}
    assert len(notifications(app, kind="digest")) == 3

    assert run(app, weekly_digest, MONDAY + timedelta(days=7)) == {"digests": 3}
    assert run(app, weekly_digest, MONDAY + timedelta(days=8)) == {"skipped": 1}
    assert len(notifications(app, kind="digest")) == 6


def test_weekly_digest_first_run_midweek_and_across_new_year_counts_one_week(app, world):
    # 31 Dec 2026 (Thursday) and 1-3 Jan 2027 are all ISO week 2026-W53.
    assert run(app, weekly_digest, date(2026, 12, 31)) == {"digests": 3}
    for day in (date(2027, 1, 1), date(2027, 1, 3)):
        assert run(app, weekly_digest, day) == {"skipped": 1}
    assert run(app, weekly_digest, date(2027, 1, 4)) == {"digests": 3}
    assert sorted({d["week"] for d in digests(app).values()}) == ["2027-W01"]
    assert len(notifications(app, kind="digest")) == 6


# Idempotency -----------------------------------------------------------------------------


def test_the_same_sweep_twice_on_a_day_notifies_once(app, world, make_paid_grant):
    make_paid_grant(world.mai)
    day = DUE - timedelta(days=1)
    assert run(app, daily_sweep, day) == {"home_visits": 0, "reminders": 2}
    first = notifications(app)
    assert run(app, daily_sweep, day) == {"skipped": 1}
    assert notifications(app) == first
    assert claims(app) == 1


@pytest.mark.parametrize(
    ("job", "day", "count_key"),
    [
        (daily_sweep, DUE - timedelta(days=1), "reminders"),
        (escalate_overdue, DUE + timedelta(days=15), "escalated"),
        (weekly_digest, DUE + timedelta(days=15), "digests"),
    ],
)
def test_a_job_run_again_without_its_claim_creates_no_duplicate(
    app, world, make_paid_grant, job, day, count_key
):
    make_paid_grant(world.mai)
    assert run(app, job, day)[count_key] > 0
    first = notifications(app)

    forget_claims(app)
    result = run(app, job, day)
    assert result[count_key] == 0
    assert notifications(app) == first
    with app.app_context():
        keys = db.session.scalars(select(Notification.key)).all()
    assert len(keys) == len(set(keys)) == len(first)


def test_two_sweeps_at_once_notify_once(app, world, make_paid_grant):
    make_paid_grant(world.mai)
    make_paid_grant(world.other)
    for day in (DUE - timedelta(days=1), DUE, DUE + timedelta(days=1)):
        barrier = threading.Barrier(2)
        results, errors = [], []

        def sweep(day=day, barrier=barrier, results=results, errors=errors):
            try:
                with app.app_context():
                    barrier.wait(timeout=10)
                    results.append(daily_sweep(today=day))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert sorted(results, key=len) == [
            {"skipped": 1},
            {"home_visits": 0, "reminders": 3},
        ]

    stages = ("due_soon", "due_today", "overdue")
    assert len(notifications(app)) == 9
    assert {kind for _user, kind, _fu in notifications(app)} == set(stages)
    assert claims(app) == 3


# Catch-up --------------------------------------------------------------------------------


def test_first_sweep_after_a_week_down_sends_the_current_stage_only(app, world, make_paid_grant):
    late = make_paid_grant(world.mai, date(2026, 1, 10)).checks[1]  # due 10 Feb
    soon = make_paid_grant(world.mai, date(2026, 1, 14)).checks[1]  # due 14 Feb
    later = make_paid_grant(world.mai, date(2026, 1, 25)).checks[1]  # due 25 Feb
    for day in days(date(2026, 1, 30), date(2026, 2, 4)):
        run(app, daily_sweep, day)
    assert notifications(app) == []

    # Down from 5 to 11 February; the scheduler's start-up run on the 12th.
    sweep = next(job for job in JOBS if job.func.endswith(":daily_sweep"))
    assert run_job(app, sweep, date(2026, 2, 12)) == {"home_visits": 0, "reminders": 4}
    assert notifications(app) == sorted(
        [
            (world.fac.id, "overdue", late),
            (world.fac2.id, "overdue", late),
            (world.fac.id, "due_soon", soon),
            (world.fac2.id, "due_soon", soon),
        ]
    )
    assert notifications(app, object_id=later) == []


def test_first_escalation_and_digest_after_weeks_down_send_one_each(app, world, make_paid_grant):
    a = make_paid_grant(world.mai, date(2026, 1, 10)).checks[1]  # due 10 Feb
    b = make_paid_grant(world.mai, date(2026, 1, 14)).checks[1]  # due 14 Feb
    assert run(app, escalate_overdue, date(2026, 3, 1)) == {"escalated": 4}
    assert notifications(app, kind="escalated") == sorted(
        (user.id, "escalated", fu) for user in (world.coord, world.both) for fu in (a, b)
    )
    assert run(app, weekly_digest, date(2026, 3, 1)) == {"digests": 3}
    assert len(notifications(app, kind="digest")) == 3


# Rescheduling ----------------------------------------------------------------------------


def checks(app, grant_id) -> dict[int, tuple]:
    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        return {
            f.months_after: (f.due_on, f.source_on, f.status)
            for f in grant.follow_ups
            if f.kind == FollowUpKind.GRANT_CHECK
        }


def test_correcting_the_first_payment_date_moves_open_checks_and_keeps_done_ones(
    app, world, make_paid_grant, visit
):
    grant = make_paid_grant(world.mai, date(2026, 1, 10))
    visit(grant.checks[1], date(2026, 2, 11))
    correct(app, grant.tranche_id, date(2026, 1, 20), today=date(2026, 2, 12))

    scheduled, done = FollowUpStatus.SCHEDULED, FollowUpStatus.DONE
    new = date(2026, 1, 20)
    assert checks(app, grant.id) == {
        1: (date(2026, 2, 10), date(2026, 1, 10), done),
        3: (date(2026, 4, 20), new, scheduled),
        6: (date(2026, 7, 20), new, scheduled),
        12: (date(2027, 1, 20), new, scheduled),
    }


def test_corrected_checks_fall_on_the_last_day_of_shorter_months(app, world, make_paid_grant):
    grant = make_paid_grant(world.mai, date(2026, 1, 10))
    correct(app, grant.tranche_id, date(2026, 1, 31), today=date(2026, 2, 1))
    assert {m: v[0] for m, v in checks(app, grant.id).items()} == {
        1: date(2026, 2, 28),
        3: date(2026, 4, 30),
        6: date(2026, 7, 31),
        12: date(2027, 1, 31),
    }


def test_correcting_a_later_tranche_leaves_the_checks_alone(app, world, make_paid_grant):
    grant = make_paid_grant(world.mai, date(2026, 1, 10), amount=AMOUNT)
    with app.app_context():
        row = db.session.get(Grant, grant.id)
        row.amount_approved = 2 * AMOUNT  # room for a second tranche
        second = record_tranche(
            DECIDER,
            row,
            paid_on=date(2026, 2, 1),
            amount=AMOUNT,
            method=Method.CASH,
            purchased=None,
            today=date(2026, 2, 1),
        )
        db.session.commit()
        second_id = second.id
    before = checks(app, grant.id)
    correct(app, second_id, date(2026, 2, 3), today=date(2026, 2, 5))
    assert checks(app, grant.id) == before
    assert before[1][0] == date(2026, 2, 10)


def test_the_sweep_after_a_correction_reminds_by_the_new_dates(app, world, make_paid_grant):
    grant = make_paid_grant(world.mai, date(2026, 1, 10))  # due 10 Feb
    correct(app, grant.tranche_id, date(2026, 1, 20), today=date(2026, 2, 1))  # now 20 Feb
    fu = grant.checks[1]

    first_seen = {}
    for day in days(date(2026, 2, 5), date(2026, 2, 22)):
        run(app, daily_sweep, day)
        for _user, kind, _fu in notifications(app, user_id=world.fac.id, object_id=fu):
            first_seen.setdefault(kind, day)
    assert first_seen == {
        "due_soon": date(2026, 2, 17),
        "due_today": date(2026, 2, 20),
        "overdue": date(2026, 2, 21),
    }


def test_a_reminder_for_the_old_date_does_not_silence_the_new_date(app, world, make_paid_grant):
    # Recorded as paid on 10 Dec 2025 by mistake: the 1-month check is overdue at once.
    grant = make_paid_grant(world.mai, date(2025, 12, 10))
    fu = grant.checks[1]
    run(app, daily_sweep, date(2026, 1, 12))
    assert notifications(app, user_id=world.fac.id) == [(world.fac.id, "overdue", fu)]

    # The date is corrected to 12 Jan 2026: the check is now due on 12 Feb.
    correct(app, grant.tranche_id, date(2026, 1, 12), today=date(2026, 1, 12))
    assert follow_up_row(app, fu).due_on == date(2026, 2, 12)
    for day in days(date(2026, 1, 13), date(2026, 2, 14)):
        run(app, daily_sweep, day)
    kinds = [kind for _u, kind, _f in notifications(app, user_id=world.fac.id, object_id=fu)]
    # Once for the wrong date, and each stage again for the new one: the new due date
    # passing must be told, or a moved visit is never reminded as overdue.
    assert sorted(kinds) == ["due_soon", "due_today", "overdue", "overdue"]


# Home visits -----------------------------------------------------------------------------

MAR_2, MAR_9, MAR_16 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)


def home_visits(app) -> list[tuple]:
    with app.app_context():
        return [
            (
                f.member_id,
                f.member.home_membership.group_id,
                f.member.province_code,
                f.source_on,
                f.due_on,
                f.status,
            )
            for f in db.session.scalars(
                select(FollowUp).where(FollowUp.kind == FollowUpKind.HOME_VISIT)
            )
        ]


@pytest.fixture
def two_absences(world, make_member, make_meeting):
    """Mai absent on Mondays 2 and 9 March 2026; An present at both."""
    an = make_member(world.group, full_name="Trần Văn An")
    make_meeting(world.group, MAR_2, {world.mai.id: "absent"})
    make_meeting(world.group, MAR_9, {world.mai.id: "absent"})
    return an


def test_two_absences_in_a_row_open_one_home_visit_due_a_week_later(app, world, two_absences):
    assert run(app, daily_sweep, MAR_9 + timedelta(days=1)) == {"home_visits": 1, "reminders": 0}
    expected = [(world.mai.id, world.group.id, HUE, MAR_9, MAR_16, FollowUpStatus.SCHEDULED)]
    assert home_visits(app) == expected

    # Later days, and the same day again without its claim: still one.
    for day in days(MAR_9 + timedelta(days=2), MAR_9 + timedelta(days=4)):
        assert run(app, daily_sweep, day)["home_visits"] == 0
    forget_claims(app)
    assert run(app, daily_sweep, MAR_9 + timedelta(days=1))["home_visits"] == 0
    assert home_visits(app) == expected

    # And its reminders go to the group's facilitators like any other visit.
    with app.app_context():
        fu = db.session.scalar(select(FollowUp.id).where(FollowUp.kind == FollowUpKind.HOME_VISIT))
    assert notifications(app) == [
        (world.fac.id, "due_soon", fu),
        (world.fac2.id, "due_soon", fu),
    ]


@pytest.mark.parametrize(
    "marks",
    [
        ("absent", "excused"),
        ("excused", "absent"),
        ("absent", "present"),
        ("absent", "present", "absent"),
    ],
)
def test_no_home_visit_unless_the_last_two_marks_are_absent(app, world, make_meeting, marks):
    for i, mark in enumerate(marks):
        make_meeting(world.group, MAR_2 + timedelta(days=7 * i), {world.mai.id: mark})
    run(app, daily_sweep, date(2026, 3, 31))
    assert home_visits(app) == []


def test_absences_before_a_present_mark_are_counted_from_the_latest(app, world, make_meeting):
    make_meeting(world.group, MAR_2, {world.mai.id: "absent"})
    make_meeting(world.group, MAR_9)
    make_meeting(world.group, MAR_16, {world.mai.id: "absent"})
    make_meeting(world.group, date(2026, 3, 23), {world.mai.id: "absent"})
    run(app, daily_sweep, date(2026, 3, 24))
    assert [(v[3], v[4]) for v in home_visits(app)] == [(date(2026, 3, 23), date(2026, 3, 30))]


def test_a_longer_absence_opens_no_second_home_visit_while_one_is_open(
    app, world, two_absences, make_meeting
):
    run(app, daily_sweep, MAR_9 + timedelta(days=1))
    make_meeting(world.group, MAR_16, {world.mai.id: "absent"})  # a third in a row
    for day in days(MAR_16, MAR_16 + timedelta(days=3)):
        run(app, daily_sweep, day)
    assert [(v[3], v[4]) for v in home_visits(app)] == [(MAR_9, MAR_16)]


def test_two_new_absences_after_a_visit_open_a_new_home_visit(
    app, world, two_absences, make_meeting, visit
):
    run(app, daily_sweep, MAR_9 + timedelta(days=1))
    with app.app_context():
        first = db.session.scalar(
            select(FollowUp.id).where(FollowUp.kind == FollowUpKind.HOME_VISIT)
        )
    visit(first, MAR_9 + timedelta(days=3))
    make_meeting(world.group, MAR_16)  # back
    make_meeting(world.group, date(2026, 3, 23), {world.mai.id: "absent"})
    make_meeting(world.group, date(2026, 3, 30), {world.mai.id: "absent"})
    run(app, daily_sweep, date(2026, 3, 31))
    assert sorted((v[3], v[4], v[5]) for v in home_visits(app)) == [
        (MAR_9, MAR_16, FollowUpStatus.DONE),
        (date(2026, 3, 30), date(2026, 4, 6), FollowUpStatus.SCHEDULED),
    ]


def test_a_member_who_left_the_group_gets_no_home_visit(app, world, two_absences):
    with app.app_context():
        member = db.session.get(Member, world.mai.id)
        member_services.leave_group(NOBODY, member, on=MAR_9 + timedelta(days=1), reason=None)
        db.session.commit()
    run(app, daily_sweep, MAR_9 + timedelta(days=2))
    assert home_visits(app) == []
    assert notifications(app) == []


# The command line ------------------------------------------------------------------------


def test_followups_commands_print_their_counts(app, world, make_paid_grant, runner):
    make_paid_grant(world.mai)
    day = (DUE - timedelta(days=1)).isoformat()
    result = runner.invoke(args=["scheduler", "run-job", "followups.sweep", "--today", day])
    assert result.exit_code == 0, result.output
    assert f"followups.sweep {day}: home_visits=0, reminders=2" in result.output
    assert len(notifications(app)) == 2

    again = runner.invoke(args=["scheduler", "run-job", "followups.sweep", "--today", day])
    assert again.exit_code == 0, again.output
    assert f"followups.sweep {day}: skipped=1" in again.output
    assert len(notifications(app)) == 2

    late = (DUE + timedelta(days=15)).isoformat()
    result = runner.invoke(args=["scheduler", "run-job", "followups.escalate", "--today", late])
    assert result.exit_code == 0, result.output
    assert f"followups.escalate {late}: escalated=2" in result.output
    result = runner.invoke(args=["scheduler", "run-job", "followups.digest", "--today", late])
    assert result.exit_code == 0, result.output
    assert f"followups.digest {late}: digests=3" in result.output


@pytest.mark.parametrize("value", ["2026-02-30", "10/02/2026", "tomorrow"])
def test_followups_command_refuses_a_bad_date_clearly(app, runner, value):
    result = runner.invoke(args=["scheduler", "run-job", "followups.sweep", "--today", value])
    assert result.exit_code != 0
    assert "--today" in result.output
    assert value in result.output
    assert "%Y-%m-%d" in result.output or "YYYY-MM-DD" in result.output
    assert claims(app) == 0
