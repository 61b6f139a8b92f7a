"""Two (or eight) people sending the same kind of form at one instant, with real threads.

Each test holds every request at a point after its checks and before its write until all
have arrived (a barrier; a request waiting on a database lock cannot arrive, and then the
barrier gives up after PAUSE seconds). Without the database's own guards, every request
would pass its checks on the same state. Each race must end with one saved record and,
for the others, a correct second record or a clear message with what they typed kept:
never a 500, never a detached or duplicated row.

On SQLite, BEGIN IMMEDIATE serialises the requests, so the same tests check the
sequential outcome; on PostgreSQL (TEST_DATABASE_URL) they race for real.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.meeting_models import Meeting
from groups.models import Group, Member, Membership
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from livelihoods.models import GrantEvent, Visit
from livelihoods.services import follow_ups as follow_up_services
from tests.conftest import HUE, login
from tests.groups.helpers import meeting_data
from tests.livelihoods.grant_fixtures import build_world, follow_up_ids, make_grant, visit_form

PAUSE = 0.5  # seconds a request waits at the barrier for the others


def hold_after(monkeypatch, module, name: str, parties: int) -> None:
    """Make module.name wait, once it has run, until `parties` requests got there."""
    barrier = threading.Barrier(parties)
    original = getattr(module, name)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        # Broken when another request is waiting on a lock held by this one.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=PAUSE)
        return result

    monkeypatch.setattr(module, name, held)


def at_once(posts):
    """Send the posts from their own threads at one instant; return the responses."""
    start = threading.Barrier(len(posts))

    def run(post):
        start.wait(timeout=10)
        return post()

    with ThreadPoolExecutor(len(posts)) as pool:
        responses = list(pool.map(run, posts))
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    return responses


def browser(app, user):
    client = app.test_client()
    login(client, user)
    return client


def scalar(app, stmt):
    with app.app_context():
        return db.session.scalar(stmt)


def test_two_people_recording_the_same_visit_save_one_and_the_other_keeps_their_notes(
    app, monkeypatch, make_user, make_group, make_member
):
    world = build_world(make_user, make_group, make_member)
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    follow_up_id = follow_up_ids(app, grant_id)[0]
    hold_after(monkeypatch, follow_up_services, "record_step", 2)
    url = f"/follow-ups/{follow_up_id}/visit"
    first, second = browser(app, world.facilitator), browser(app, world.coordinator)
    notes = ["Ghi chú của cán bộ hỗ trợ nhóm", "Ghi chú của cán bộ điều phối tỉnh"]

    responses = at_once(
        [
            lambda: first.post(url, data=visit_form(notes=notes[0])),
            lambda: second.post(url, data=visit_form(notes=notes[1])),
        ]
    )

    assert sorted(r.status_code for r in responses) == [302, 409]
    loser = next(r for r in responses if r.status_code == 409)
    page = loser.get_data(as_text=True)
    assert notes[responses.index(loser)] in page  # what they wrote is still in the form
    assert "alert-error" in page
    with app.app_context():
        visits = db.session.scalars(select(Visit).where(Visit.grant_id == grant_id)).all()
        assert [v.follow_up_id for v in visits] == [follow_up_id]  # none detached
        assert visits[0].notes == notes[1 - responses.index(loser)]
        visited = db.session.scalar(
            select(func.count())
            .select_from(GrantEvent)
            .where(GrantEvent.grant_id == grant_id, GrantEvent.action == "visited")
        )
        assert visited == 1


def test_the_same_new_meeting_sent_twice_at_once_is_saved_once(
    app, monkeypatch, make_user, make_group, make_member
):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(HUE, facilitators=[facilitator])
    lan = make_member(group, full_name="Nguyễn Thị Lan")
    hold_after(monkeypatch, meeting_services, "_check_attendance", 2)
    tap, second_tap = browser(app, facilitator), browser(app, facilitator)
    held_on = today() - timedelta(days=1)
    data = meeting_data(held_on, {lan.id: "present"}, topics="Tiết kiệm nhóm")

    responses = at_once(
        [
            lambda: tap.post(f"/groups/{group.id}/meetings/new", data=data),
            lambda: second_tap.post(f"/groups/{group.id}/meetings/new", data=data),
        ]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 302], [302, 409]), statuses
    refused = next(r for r in responses if r.status_code != 302).get_data(as_text=True)
    assert "Tiết kiệm nhóm" in refused and 'class="error"' in refused
    count = select(func.count()).select_from(Meeting).where(Meeting.group_id == group.id)
    assert scalar(app, count) == 1


def test_eight_facilitators_adding_members_in_one_province_at_once_all_get_their_own_code(
    app, monkeypatch, make_user, make_group
):
    facilitators = [make_user(Role.FACILITATOR) for _ in range(8)]
    groups = [make_group(HUE, facilitators=[f]) for f in facilitators]
    browsers = [browser(app, f) for f in facilitators]
    hold_after(monkeypatch, member_services, "next_code", 8)
    joined = today().isoformat()

    def add(i):
        return lambda: browsers[i].post(
            f"/groups/{groups[i].id}/members/new",
            data={
                "full_name": f"Thành viên số {i}",
                "gender": "female",
                "category": "migrant",
                "joined_on": joined,
                "role": "member",
                "consents": "programme_data",
            },
        )

    responses = at_once([add(i) for i in range(8)])

    assert [r.status_code for r in responses] == [302] * 8
    with app.app_context():
        codes = db.session.scalars(
            select(Member.code).where(Member.full_name.startswith("Thành viên số"))
        ).all()
    assert len(codes) == len(set(codes)) == 8


def test_two_coordinators_creating_a_group_in_one_province_at_once_get_two_codes(
    app, monkeypatch, make_user, make_group
):
    coordinators = [make_user(Role.COORDINATOR, provinces=(HUE,)) for _ in range(2)]
    commune = make_group(HUE).commune_code
    browsers = [browser(app, c) for c in coordinators]
    hold_after(monkeypatch, group_services, "next_code", 2)

    def create(i):
        return lambda: browsers[i].post(
            "/groups/new",
            data={
                "name": f"Nhóm {i}",
                "province_code": str(HUE),
                "commune_code": str(commune),
                "founded_on": "2025-01-06",
                "status": "active",
                "cadence": "weekly",
                "meeting_weekday": "0",
            },
        )

    responses = at_once([create(0), create(1)])

    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        codes = db.session.scalars(select(Group.code).where(Group.name.in_(["Nhóm 0", "Nhóm 1"])))
        assert len(set(codes)) == 2


def test_two_admins_creating_the_same_username_at_once_one_hears_it_is_taken(
    app, monkeypatch, make_user
):
    from accounts import services as account_services

    admins = [make_user(Role.ADMIN) for _ in range(2)]
    browsers = [browser(app, a) for a in admins]
    for b in browsers:
        assert b.post("/language", data={"locale": "en"}).status_code == 302
    hold_after(monkeypatch, account_services, "get_user_by_username", 2)

    def create(i):
        return lambda: browsers[i].post(
            "/admin/users/new",
            data={
                "username": "thu.le",
                "full_name": f"Lê Thị Thu {i}",
                "role": "facilitator",
                "new_password": "mật khẩu tạm thời",
                "confirm": "mật khẩu tạm thời",
            },
        )

    responses = at_once([create(0), create(1)])

    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    page = refused.get_data(as_text=True)
    assert "This username is already taken." in page
    assert f"Lê Thị Thu {responses.index(refused)}" in page  # the typed name is kept
    assert scalar(app, select(func.count()).select_from(User).where(User.username == "thu.le")) == 1


def test_two_people_moving_the_same_member_at_once_leave_one_open_membership(
    app, monkeypatch, make_user, make_group, make_member
):
    facilitator = make_user(Role.FACILITATOR)
    coordinator = make_user(Role.COORDINATOR, provinces=(HUE,))
    home = make_group(HUE, facilitators=[facilitator])
    target = make_group(HUE, facilitators=[facilitator], name="Nhóm Thôn Tây")
    mai = make_member(home, full_name="Trần Thị Mai")
    hold_after(monkeypatch, member_services, "_close_current", 2)
    browsers = [browser(app, facilitator), browser(app, coordinator)]
    data = {"action": "move", "on": today().isoformat(), "group_id": target.id, "role": "member"}

    responses = at_once(
        [lambda b=b: b.post(f"/members/{mai.id}/membership", data=data) for b in browsers]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([200, 302], [302, 409]), statuses
    refused = next(r for r in responses if r.status_code != 302).get_data(as_text=True)
    assert "alert-error" in refused or 'class="error"' in refused
    with app.app_context():
        open_rows = db.session.scalars(
            select(Membership.group_id).where(
                Membership.member_id == mai.id, Membership.left_on.is_(None)
            )
        ).all()
    assert open_rows == [target.id]


def test_two_payments_of_one_grant_corrected_at_once_keep_its_first_payment_day(
    app, make_user, make_group, make_member
):
    """grants.first_tranche_on is worked out again from the grant's payments when one is
    corrected. Two corrections of two payments of one grant at once: the second waits for
    the first and must then count it, or the kept day would be the first payment's old
    one (on PostgreSQL the trigger locks the grant before it reads the payments)."""
    from livelihoods.models import Grant, Tranche

    world = build_world(make_user, make_group, make_member)
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    day, table = today(), Tranche.__table__
    with app.app_context():
        engine = db.engine
    with engine.begin() as connection:
        row = {"grant_id": grant_id, "method": "cash", "amount": 1_000_000}
        early, late = (
            connection.execute(table.insert().values(paid_on=on, **row)).inserted_primary_key[0]
            for on in (day - timedelta(days=20), day - timedelta(days=10))
        )
    corrected = threading.Event()

    def first():
        with engine.begin() as connection:
            connection.execute(
                table.update().where(table.c.id == early).values(paid_on=day - timedelta(days=2))
            )
            corrected.set()
            threading.Event().wait(PAUSE)  # the second correction waits on this one

    def second():
        corrected.wait(timeout=10)
        with engine.begin() as connection:
            connection.execute(
                table.update().where(table.c.id == late).values(paid_on=day - timedelta(days=1))
            )

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(first), pool.submit(second)]:
            done.result()
    kept = scalar(app, select(Grant.first_tranche_on).where(Grant.id == grant_id))
    assert kept == day - timedelta(days=2)
