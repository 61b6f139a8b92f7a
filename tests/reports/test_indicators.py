"""Indicators against a programme counted by hand (tests/reports/world.py)."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import literal, select, update

from accounts.models import User
from core.db import db
from groups.models import Cadence, Group, GroupStatus
from groups.services import figures as group_figures
from groups.services.schedule import expected_dates
from livelihoods.models import FollowUp, Grant, Method, Outcome
from livelihoods.services.follow_ups import record_visit
from livelihoods.services.grants import close_grant
from livelihoods.services.tranches import record_tranche
from reports.definitions import SECTIONS
from reports.facts.members import age_band as _age_band
from reports.indicators import all_sections
from reports.indicators import groups as group_indicators
from reports.indicators import scope as scope_module
from reports.indicators.all_sections import breakdown_table, compute, section_table
from reports.indicators.groups import expected_meetings
from reports.indicators.scope import Scope
from reports.periods import Period, PeriodError, from_args
from tests.conftest import HUE, NGHE_AN
from tests.reports import world as world_module

MARCH = Period.containing("month", date(2025, 3, 14))
TODAY = date(2025, 4, 15)


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def figures(app, user, period=MARCH, today=TODAY, **narrow):
    with app.app_context():
        user = db.session.get(User, user.id)
        return compute(Scope(user, **narrow), period, today)


def test_periods_and_the_period_before():
    assert MARCH.start == date(2025, 3, 1) and MARCH.end == date(2025, 3, 31)
    assert MARCH.previous() == Period("month", date(2025, 2, 1), date(2025, 2, 28))
    q = Period.containing("quarter", date(2025, 5, 2))
    assert (q.start, q.end) == (date(2025, 4, 1), date(2025, 6, 30))
    assert q.previous().start == date(2025, 1, 1)
    custom = Period.custom(date(2025, 3, 10), date(2025, 3, 19))
    assert custom.previous() == Period("custom", date(2025, 2, 28), date(2025, 3, 9))
    assert from_args({"period": "year", "on": "2024-07-01"}, TODAY).start == date(2024, 1, 1)
    assert from_args({}, TODAY) == Period.containing("month", TODAY)
    for bad in (
        {"period": "custom", "start": "2025-03-10", "end": "2025-03-01"},
        {"period": "custom", "start": "2025-03-10"},
        {"period": "week"},
        {"period": "month", "on": "10/03/2025"},
        {"period": "month", "on": "１２３"},
        {"period": "custom", "start": "2020-01-01", "end": "2025-01-01"},
    ):
        with pytest.raises(PeriodError):
            from_args(bad, TODAY)


def test_groups_and_meetings_counted_by_hand(app, world):
    got = figures(app, world.coordinator)
    assert got["active_groups"] == 2  # A and B; C is closed
    # A: Mondays 3, 10, 17, 24, 31; B: 5 and 19 March; closed C is not expected to meet.
    assert got["meetings_expected"] == 7
    assert got["meetings_held"] == 7  # A 3, B 3, C 1 (D is in another province)
    # A held 3 of 5; B held 3 but only 2 were expected; C none expected.
    assert got["completeness"] == pytest.approx(5 / 7)
    assert got["timeliness"] == pytest.approx(6 / 7)  # A's 17 March was saved 8 days later
    # Marks: A 3 + 3 + 2 (m2 absent once), B 1 + 2 + 2, C 1.
    assert got["attendance"] == pytest.approx(13 / 14)
    assert got["behind"] == 1  # A: nothing since 17 March on 31 March


def close(app, group, day):
    with app.app_context():
        db.session.execute(
            update(Group)
            .where(Group.id == group.id)
            .values(status=GroupStatus.CLOSED, closed_on=day, meeting_due_by=None)
        )
        db.session.commit()


def test_a_closed_group_is_expected_to_meet_until_the_day_it_closed(app, world):
    close(app, world.groups.b, date(2025, 3, 12))
    got = figures(app, world.coordinator)
    assert got["meetings_expected"] == 6  # A 5; B on 5 March, not on the 19th
    assert got["active_groups"] == 2  # B met for part of March
    assert got["completeness"] == pytest.approx((3 + 1) / 6)  # B held 3, 1 expected
    # In February B was open all month: 5 and 19 February are still expected (and
    # A's and C's 4 Mondays).
    with app.app_context():
        user = db.session.get(User, world.coordinator.id)
        before = all_sections.report(Scope(user), MARCH, TODAY).previous
    assert before["meetings_expected"] == 10


def test_a_group_closed_before_the_period_stops_being_expected_to_meet(app, world):
    close(app, world.groups.b, date(2025, 3, 1))
    got = figures(app, world.coordinator)
    assert got["meetings_expected"] == 5
    assert got["active_groups"] == 1
    assert got["completeness"] == pytest.approx(3 / 5)


def test_the_period_before_is_counted_the_same_way(app, world):
    with app.app_context():
        user = db.session.get(User, world.coordinator.id)
        report = all_sections.report(Scope(user), MARCH, TODAY)
    # A: 4 Mondays; B: 5 and 19 Feb; C (closed on 1 March) still met on its 4 Mondays.
    assert report.previous["meetings_expected"] == 10
    assert report.previous["active_groups"] == 3
    assert report.previous["meetings_held"] == 0
    assert report.previous["completeness"] == 0
    assert report.previous["timeliness"] is None
    assert report.previous["left"] == 1  # m8
    rows = dict((f.key, (now, before)) for f, now, before in report.section_rows(SECTIONS[3]))
    assert rows["overdue_now"][1] is None  # a figure of today has no period before
    # ... and is not counted for it either.
    assert report.previous["overdue_now"] is None
    assert report.current["overdue_now"] == rows["overdue_now"][0] >= 0


def test_members_counted_once_when_they_moved(app, world):
    got = figures(app, world.coordinator)
    # m1 (in A then B), m2, m3, m4, m5 (left on the 25th), m6; not m8 (left in Feb), not m7.
    assert got["active_members"] == 6
    assert got["joined"] == 1  # m4; m1's move is not joining
    assert got["left"] == 1  # m5; m1's move is not leaving
    from groups.models import Gender, MemberCategory

    assert got["by_gender"][Gender.FEMALE] == 6
    assert got["by_category"][MemberCategory.MIGRANT] == 6
    assert got["by_age"][3] == 6  # born 1990: 35 in 2025, the band 35–49


def test_grants_counted_by_hand(app, world):
    got = figures(app, world.coordinator)
    assert got["requested"] == 3
    assert got["requested_vnd"] == 6_000_000 + 4_000_000 + 2_500_000
    assert got["approved"] == 2
    assert got["approved_vnd"] == 7_000_000
    assert got["rejected"] == 1
    assert got["disbursed"] == 1
    assert got["disbursed_vnd"] == 3_000_000
    assert got["remaining_vnd"] == 2_000_000 + 2_000_000
    assert got["days_to_decision"] == 10  # 4, 10, 10
    assert got["days_to_payment"] == 4
    national = figures(app, world.admin)
    assert national["requested"] == 4
    assert national["days_to_decision"] == pytest.approx(7)  # 2, 4, 10, 10
    assert national["disbursed_vnd"] == 7_000_000


@pytest.mark.parametrize("narrow", [{}, {"province": True}, {"group": True}])
def test_still_to_pay_out_at_a_periods_end_counts_payments_made_after_it(app, world, narrow):
    """m2: 5,000,000 approved on 6 March, 3,000,000 paid on the 10th, the rest on the 12th;
    m5: 2,000,000 approved on the 20th, never paid. The same at every width of scope (a
    wide scope and a narrow one check their members differently)."""
    with app.app_context():
        grant = db.session.get(Grant, world.grants["m2"])
        record_tranche(
            db.session.get(User, world.admin.id),
            grant,
            paid_on=date(2025, 3, 12),
            amount=2_000_000,
            method=Method.CASH,
            purchased=None,
            today=date(2025, 3, 12),
        )
        db.session.commit()
    args = {}
    if narrow.get("province"):
        args["province_code"] = HUE
    if narrow.get("group"):
        args["group_id"] = world.groups.a.id
    early = Period("custom", date(2025, 3, 1), date(2025, 3, 8))
    between = Period("custom", date(2025, 3, 1), date(2025, 3, 11))  # 2,000,000 to pay
    # m5 left group A on the 25th: A is still her group.
    expected = {early: 5_000_000, between: 2_000_000, MARCH: 2_000_000}
    for period, want in expected.items():
        got = figures(app, world.coordinator, period=period, **args)
        assert got["remaining_vnd"] == want, period


def test_a_grant_closed_after_a_period_still_had_the_rest_to_pay_then(app, world):
    """m2: 5,000,000 approved on 6 March, 3,000,000 paid on the 10th, then closed on the
    20th with the rest never paid. On the 11th the rest was still to pay out; by the end
    of March it no longer was (m5's 2,000,000, approved on the 20th, still is)."""
    with app.app_context():
        grant = db.session.get(Grant, world.grants["m2"])
        close_grant(
            db.session.get(User, world.admin.id),
            grant,
            outcome=Outcome.OPERATING,
            note=None,
            on=date(2025, 3, 20),  # typed in today: counted on the day it was closed
        )
        db.session.commit()
    between = Period("custom", date(2025, 3, 1), date(2025, 3, 11))
    assert figures(app, world.coordinator, period=between)["remaining_vnd"] == 2_000_000  # m2
    assert figures(app, world.coordinator, period=MARCH)["remaining_vnd"] == 2_000_000  # m5


def test_outcomes_and_a_rejected_grant_has_none(app, world):
    year, today = Period.containing("year", date(2025, 6, 1)), date(2026, 1, 15)
    with app.app_context():
        actor = db.session.get(User, world.admin.id)
        checks = {
            (f.grant_id, f.months_after): f
            for f in db.session.scalars(select(FollowUp).where(FollowUp.grant_id.is_not(None)))
        }
        m2, m7 = world.grants["m2"], world.grants["m7"]
        record_visit(
            actor,
            checks[m2, 3],
            visited_on=date(2025, 6, 12),
            business_status=Outcome.OPERATING,
            monthly_income=None,
            notes=None,
            today=today,
        )
        record_visit(
            actor,
            checks[m2, 6],
            visited_on=date(2025, 9, 25),
            business_status=Outcome.STRUGGLING,
            monthly_income=1_500_000,
            notes=None,
            today=today,
        )
        record_visit(
            actor,
            checks[m7, 3],
            visited_on=date(2025, 6, 6),
            business_status=Outcome.STOPPED,
            monthly_income=0,
            notes=None,
            today=today,
        )
        db.session.commit()
        rejected = db.session.get(Grant, world.grants["m3"])
        assert rejected.follow_ups == []
    got = figures(app, world.coordinator, year, today)
    assert got["planned_income_6"] is None  # m2's application gave no income
    with app.app_context():
        db.session.execute(update(Grant).where(Grant.id == m2).values(planned_income=2_000_000))
        # m7's plan expected more, but m7 had no 6-month check in the period.
        db.session.execute(update(Grant).where(Grant.id == m7).values(planned_income=9_000_000))
        db.session.commit()
    got = figures(app, world.coordinator, year, today)
    assert got["planned_income_6"] == 2_000_000
    assert figures(app, world.admin, year, today)["planned_income_6"] == 2_000_000
    assert got["running_3"] == 1
    assert got["running_6"] == 1  # struggling is still running
    assert got["running_12"] is None
    assert got["income_6"] == 1_500_000
    # m2's checks due in 2025: 1 month (10 Apr, never made), 3 (10 Jun), 6 (10 Sep).
    assert got["visits_due"] == 3
    assert got["visits_on_time"] == pytest.approx(1 / 3)  # 6 Sep visit was 15 days late
    assert got["overdue_now"] == 1
    national = figures(app, world.admin, year, today)
    assert national["running_3"] == pytest.approx(1 / 2)
    assert national["overdue_now"] == 3  # and m7's 1- and 6-month checks


def test_coordinator_never_counts_another_province_also_after_a_group_moves(app, world):
    before = figures(app, world.other)
    assert before["meetings_held"] == 1 and before["requested"] == 1
    with app.app_context():
        db.session.execute(
            update(Group)
            .where(Group.id == world.groups.a.id)
            .values(province_code=NGHE_AN, commune_code=world.groups.d.commune_code)
        )
        db.session.commit()
    mine = figures(app, world.coordinator)
    assert mine["meetings_held"] == 4  # B 3 and C 1: A went to Nghệ An
    assert mine["requested"] == 1  # m3 only; m2 and m5 are in A
    assert mine["active_members"] == 3  # m1 (now in B), m3, m6
    theirs = figures(app, world.other)
    assert theirs["meetings_held"] == 4  # D 1 and A 3
    assert theirs["requested"] == 3  # m7, m2, m5
    # Asking for the other province by code gives nothing, never their figures.
    sneaky = figures(app, world.coordinator, province_code=NGHE_AN)
    assert sneaky["meetings_held"] == 0 and sneaky["active_members"] == 0


def test_narrower_scopes(app, world):
    got = figures(app, world.coordinator, group_id=world.groups.b.id)
    assert got["meetings_held"] == 3 and got["meetings_expected"] == 2
    assert got["active_members"] == 2  # m3 and m1
    hue = figures(app, world.admin, province_code=HUE)
    assert hue["meetings_held"] == 7
    fac = figures(app, world.facilitator)
    assert fac["meetings_held"] == 3  # group A only


def test_age_bands_follow_the_year_of_the_period(app):
    with app.app_context():
        from sqlalchemy import literal

        got = [
            db.session.scalar(select(_age_band(literal(y), 2025)))
            for y in (2008, 2007, 2001, 2000, 1991, 1990, 1976, 1975)
        ]
    assert got == [0, 1, 1, 2, 2, 3, 3, 4]


def test_expected_meetings_in_sql_match_the_schedule_and_the_group_page(app, make_group):
    """One definition in two languages: the SQL of the progress figures and the group
    page's count (groups.services.figures.meetings_expected) agree for paused and closed
    groups and periods running past today; both are the schedule's days up to today."""
    rng = random.Random(11)
    made = []
    for i in range(16):
        founded_on = date(2024, 1, 1) + timedelta(days=rng.randrange(500))
        made.append(
            make_group(
                status=GroupStatus.PAUSED if i % 5 == 1 else GroupStatus.ACTIVE,
                cadence=rng.choice(list(Cadence)),
                meeting_weekday=rng.randrange(7),
                founded_on=founded_on,
            )
        )
        if i % 3 == 0:  # some closed, some of them on a meeting day
            close(app, made[-1], founded_on + timedelta(days=rng.randrange(0, 400)))
    with app.app_context():
        for _ in range(8):
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(600))
            period = Period.custom(start, start + timedelta(days=rng.randrange(1, 400)))
            today = start + timedelta(days=rng.randrange(500))
            rows = db.session.execute(
                select(Group, expected_meetings(period, today)).where(
                    Group.id.in_([g.id for g in made])
                )
            ).all()
            for group, n in rows:
                assert n == group_figures.meetings_expected(group, period.start, period.end, today)
                if group.status == GroupStatus.ACTIVE:
                    want = len(expected_dates(group, period.start, min(period.end, today)))
                    assert n == want, (group.cadence, group.founded_on, period)
        for kind in ("month", "quarter", "year"):
            period = Period.containing(kind, date(2025, 2, 20))
            for group, n in db.session.execute(
                select(Group, expected_meetings(period, date(2026, 1, 1)))
            ).all():
                want = group_figures.meetings_expected(group, period.start, period.end)
                assert n == want


def test_statements_do_not_grow_with_groups(app, world, make_group, make_member, make_meeting):
    from bench.harness import StatementLog

    with app.app_context():
        log = StatementLog(db.engine)
        user = db.session.get(User, world.admin.id)
        all_sections.report(Scope(user), MARCH, TODAY)
        small = len(log.statements)
    for _ in range(3):
        group = make_group()
        make_member(group)
        make_meeting(group, date(2025, 3, 3))
    with app.app_context():
        log = StatementLog(db.engine)
        user = db.session.get(User, world.admin.id)
        all_sections.report(Scope(user), MARCH, TODAY)
        assert len(log.statements) == small <= 16  # seven a period (plans: one)


def test_section_tables_are_plain_columns_and_rows(app, world):
    with app.test_request_context():
        user = db.session.get(User, world.coordinator.id)
        report = all_sections.report(Scope(user), MARCH, TODAY)
        columns, rows = section_table(report, "grants")
        assert len(columns) == 3 and str(columns[0])
        assert rows[0][1:] == [3, 0]
        columns, rows = breakdown_table(report)
        assert sum(r[1] for r in rows[:3]) == 6


@pytest.mark.parametrize("narrow", ["province_code", "provinces", "commune_code", "group_id"])
def test_an_admins_narrowed_scope_counts_only_that_part_of_the_country(app, world, narrow):
    """The admin's whole country checks no row against a scope; every narrowing (a
    province, the donor report's set of provinces, a commune, a group) still does: m7's
    grant, in Nghệ An, is never counted in Huế."""
    with app.app_context():
        group = db.session.get(Group, world.groups.a.id)
        value = {
            "province_code": HUE,
            "provinces": (HUE,),
            "commune_code": group.commune_code,
            "group_id": group.id,
        }[narrow]
    whole = figures(app, world.admin)
    part = figures(app, world.admin, **{narrow: value})
    assert whole["disbursed_vnd"] == 7_000_000  # m2's 3,000,000 and m7's 4,000,000
    assert part["disbursed_vnd"] == 3_000_000
    assert part["requested"] < whole["requested"]
    # Groups, members and the attendance chart narrow too (Scope.has_group): Nhóm D's
    # meeting and m7 are Nghệ An's.
    assert part["meetings_held"] < whole["meetings_held"]
    assert part["active_members"] < whole["active_members"]
    from reports import charts

    with app.app_context():
        admin = db.session.get(User, world.admin.id)
        marks = [
            sum(m for _d, _p, m in charts.attendance_by_month(Scope(admin, **n), MARCH))
            for n in ({}, {narrow: value})
        ]
    assert marks[1] < marks[0]


@pytest.mark.parametrize("who", ["admin", "coordinator", "facilitator"])
def test_the_drill_down_rows_add_up_to_the_scopes_group_figures(app, world, who):
    """The progress page takes its group figures from the sum of its drill-down rows: that
    sum is what group_figures counts for the scope, at every level."""
    from reports import charts

    with app.app_context():
        user = db.session.get(User, getattr(world, who).id)
        group = db.session.get(Group, world.groups.a.id)
        scopes = [Scope(user), Scope(user, group_id=group.id)]
        if who != "facilitator":
            scopes += [Scope(user, province_code=HUE), Scope(user, commune_code=group.commune_code)]
        for scope in scopes:
            kids = charts.children(scope, MARCH, TODAY)
            alone = group_indicators.group_figures(scope, MARCH, TODAY)
            if scope.group_id is not None:
                assert kids == [] and charts.total(kids) is None
            else:
                assert kids and charts.total(kids) == alone, scope.level
            assert alone["meetings_held"] > 0, scope.level


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_groups_behind_in_a_period_not_over_yet_are_those_behind_today(app, world, kind):
    """A period that includes today counts the groups behind today from the kept
    meeting_due_by; the rule for a past day, from the meetings, gives the same groups."""
    from sqlalchemy import func

    from groups.services.schedule import overdue_clause

    with app.app_context():
        user = db.session.get(User, world.coordinator.id)
        scope = Scope(user)
        by_meetings = db.session.scalar(
            select(func.count())
            .select_from(Group)
            .where(Group.id.in_(scope.group_ids()), overdue_clause(TODAY))
        )
    got = figures(app, world.coordinator, period=Period.containing(kind, TODAY))
    assert by_meetings > 0
    assert got["behind"] == by_meetings


@pytest.mark.parametrize(
    "who, narrow, want",
    [
        # m2: 5,000,000 approved, 3,000,000 paid; m5: 2,000,000 approved, nothing paid.
        ("coordinator", {}, (7_000_000, 2, 3_000_000, 4_000_000)),
        # and m7 in Nghệ An: 4,000,000 approved and paid.
        ("admin", {}, (11_000_000, 3, 7_000_000, 4_000_000)),
        ("admin", {"province_code": NGHE_AN}, (4_000_000, 1, 4_000_000, 0)),
        ("facilitator", {}, (7_000_000, 2, 3_000_000, 4_000_000)),
    ],
)
def test_grant_portfolio_totals_counted_by_hand(app, world, who, narrow, want):
    from reports.pages.review import portfolio_totals

    with app.app_context():
        user = db.session.get(User, getattr(world, who).id)
        got = portfolio_totals(Scope(user, **narrow))
    assert (got["approved"], got["approved_count"], got["paid"], got["remaining"]) == want
    assert got["waiting"] == 0


def test_the_scope_tests_shared_aliases_keep_their_own_rows_wherever_they_are_nested(app, world):
    """Scope.has_member and has_grant reuse one alias of members and grants (a new one
    per call was most of a page's statement-building time). Nested in a statement that
    reads from those very aliases, a test still checks the row it is given, not the outer
    one: m7 is Nghệ An's, m2 Huế's."""
    m2, m7 = world.members.m2.id, world.members.m7.id
    with app.app_context():
        hue = Scope(db.session.get(User, world.coordinator.id))
        assert hue.wide and not hue.whole_country
        member, grant = scope_module._SCOPE_MEMBER, scope_module._SCOPE_GRANT

        def member_test(about: int, outer: int) -> bool:
            stmt = select(member.id).where(member.id == outer, hue.has_member(literal(about)))
            return db.session.scalar(stmt) is not None

        assert member_test(m2, outer=m7) and not member_test(m7, outer=m2)
        m7_grant = world.grants["m7"]
        hue_grant = next(g for key, g in world.grants.items() if key != "m7")

        def grant_test(about: int, outer: int) -> bool:
            stmt = select(grant.id).where(grant.id == outer, hue.has_grant(literal(about)))
            return db.session.scalar(stmt) is not None

        assert grant_test(hue_grant, outer=m7_grant) and not grant_test(m7_grant, outer=hue_grant)
