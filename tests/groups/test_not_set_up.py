"""A group an import made without a schedule is not set up yet (issue 23): it is not
expected to meet, never behind, counted apart; given a schedule later it is expected to
meet from that day, not from its founding years before. The SQL of the progress figures
and the Python of the group page agree on it."""

import random
from datetime import date, timedelta

from sqlalchemy import func, select, update

from accounts.models import Role, User
from core import clock
from core.db import db
from groups.models import Cadence, Group, GroupStatus
from groups.services import figures as group_figures
from groups.services import schedule
from reports.indicators import all_sections
from reports.indicators import groups as group_indicators
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.conftest import HUE
from tests.groups.helpers import version_in


def test_a_group_not_set_up_is_not_expected_to_meet_nor_behind(app, make_group, login_as):
    coordinator = login_as(Role.COORDINATOR, provinces=(HUE,))
    set_up = make_group(founded_on=date(2019, 1, 7), cadence=Cadence.MONTHLY)
    bare = make_group(founded_on=date(2019, 1, 7), cadence=None, meeting_weekday=None)
    today = clock.today()
    with app.app_context():
        group = db.session.get(Group, bare.id)
        assert not group.is_set_up and group.meeting_due_by is None
        assert schedule.expected_dates(group, date(2019, 1, 1), today) == []
        assert schedule.next_meeting_on(group, None, today) is None
        assert not schedule.is_overdue(group, None, today)
        behind = db.session.scalars(
            select(Group.id).where(schedule.overdue_clause(today - timedelta(days=1)))
        ).all()
        assert bare.id not in behind and set_up.id in behind
        user = db.session.get(User, coordinator.id)
        period = Period.containing("year", today)
        got = all_sections.compute(Scope(user), period, today)
        only_set_up = all_sections.compute(Scope(user, group_id=set_up.id), period, today)
    assert got["meetings_expected"] == only_set_up["meetings_expected"] > 0
    assert got["not_set_up"] == 1 and got["behind"] == 1
    assert got["completeness"] == only_set_up["completeness"]


def test_given_a_schedule_a_group_is_expected_to_meet_from_that_day(
    app, client, make_group, login_as
):
    coordinator = login_as(Role.COORDINATOR, provinces=(HUE,))
    bare = make_group(founded_on=date(2019, 1, 7), cadence=None, meeting_weekday=None)
    page = client.get(f"/groups/{bare.id}/edit").get_data(as_text=True)
    assert "Chưa thiết lập" in page
    with app.app_context():
        group = db.session.get(Group, bare.id)
        data = {
            "name": group.name,
            "province_code": str(group.province_code),
            "commune_code": str(group.commune_code),
            "village": "",
            "founded_on": "2019-01-07",
            "status": "active",
            "cadence": "",
            "meeting_weekday": "",
            "partner": "",
            "version": version_in(page),
        }
    # Saved without a schedule, it stays not set up.
    assert client.post(f"/groups/{bare.id}/edit", data=data).status_code == 302
    page = client.get(f"/groups/{bare.id}/edit").get_data(as_text=True)
    data["version"] = version_in(page)
    # A cadence without its day is refused, nothing changes.
    response = client.post(f"/groups/{bare.id}/edit", data={**data, "cadence": "weekly"})
    assert response.status_code == 200 and "Hãy chọn ngày sinh hoạt" in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/groups/{bare.id}/edit", data={**data, "cadence": "weekly", "meeting_weekday": "2"}
    )
    assert response.status_code == 302
    today = clock.today()
    with app.app_context():
        group = db.session.get(Group, bare.id)
        assert (group.cadence, group.meeting_weekday, group.schedule_from) == (
            Cadence.WEEKLY,
            2,
            today,
        )
        assert schedule.expected_dates(group, date(2019, 1, 1), today - timedelta(days=1)) == []
        assert group.meeting_due_by == today + timedelta(days=7) + schedule.OVERDUE_GRACE
        user = db.session.get(User, coordinator.id)
        got = all_sections.compute(Scope(user), Period.containing("year", today), today)
    assert got["meetings_expected"] <= 1 and got["not_set_up"] == 0
    # Once set, a schedule cannot be taken away.
    page = client.get(f"/groups/{bare.id}/edit").get_data(as_text=True)
    assert "Chưa thiết lập" not in page
    response = client.post(
        f"/groups/{bare.id}/edit", data={**data, "version": version_in(page), "cadence": ""}
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Group, bare.id).cadence == Cadence.WEEKLY


def test_the_group_list_shows_and_filters_groups_not_set_up(app, client, make_group, login_as):
    login_as(Role.COORDINATOR, provinces=(HUE,))
    make_group(name="Nhóm Có Lịch")
    make_group(name="Nhóm Chưa Lịch", cadence=None, meeting_weekday=None)
    page = client.get("/groups?setup=0").get_data(as_text=True)
    assert "Nhóm Chưa Lịch" in page and "Nhóm Có Lịch" not in page
    assert "Chưa thiết lập" in page
    progress = client.get("/progress").get_data(as_text=True)
    assert "setup=0" in progress


def test_expected_meetings_in_sql_match_python_with_late_schedules(app, make_group):
    """The progress figures' SQL, the group page's count and the kept meeting_due_by
    agree for groups not set up and groups given their schedule after founding."""
    rng = random.Random(23)
    made = []
    for i in range(18):
        founded_on = date(2024, 1, 1) + timedelta(days=rng.randrange(300))
        bare = i % 3 == 0
        made.append(
            make_group(
                status=GroupStatus.PAUSED if i % 7 == 1 else GroupStatus.ACTIVE,
                cadence=None if bare else rng.choice(list(Cadence)),
                meeting_weekday=None if bare else rng.randrange(7),
                founded_on=founded_on,
            )
        )
        if i % 3 == 1:  # given its schedule later
            with app.app_context():
                db.session.execute(
                    update(Group)
                    .where(Group.id == made[-1].id)
                    .values(schedule_from=founded_on + timedelta(days=rng.randrange(1, 300)))
                )
                schedule.refresh_meeting_due_by([made[-1].id])
                db.session.commit()
    ids = [g.id for g in made]
    with app.app_context():
        for _ in range(8):
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(600))
            period = Period.custom(start, start + timedelta(days=rng.randrange(1, 400)))
            today = start + timedelta(days=rng.randrange(500))
            rows = db.session.execute(
                select(Group, group_indicators.expected_meetings(period, today)).where(
                    Group.id.in_(ids)
                )
            ).all()
            for group, n in rows:
                assert n == group_figures.meetings_expected(group, period.start, period.end, today)
                if not group.is_set_up:
                    assert n == 0
                elif group.status == GroupStatus.ACTIVE:
                    days = schedule.expected_dates(group, period.start, min(period.end, today))
                    assert n == len(days)
                    assert all(d >= schedule.schedule_start(group) for d in days)
            behind = set(
                db.session.scalars(
                    select(Group.id).where(Group.id.in_(ids), schedule.overdue_clause(today))
                )
            )
            by_hand = {g.id for g, _n in rows if schedule.is_overdue(g, None, today)}
            assert behind == by_hand, today
        assert (
            db.session.scalar(
                select(func.count()).where(Group.id.in_(ids), Group.cadence.is_(None))
            )
            == 6
        )
