"""Anonymising a member: on request (confirmed, no JavaScript) and after the retention
period (a daily, idempotent job). Personal fields go; code, counts and audit stay."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import Enum, String, Text, func, select

from accounts.models import AuthSession, Role, User
from core import clock
from core.audit import AuditEvent
from core.db import db
from core.scheduler import JOBS, resolve
from groups.jobs import anonymise_expired
from groups.meeting_models import Attendance
from groups.models import Member, Membership
from groups.services import members as member_services
from groups.services.anonymise import retention_cutoff
from livelihoods.models import Activity, Grant, Method, Outcome, Visit
from livelihoods.services.follow_ups import record_visit
from livelihoods.services.grants import approve_grant, draft_grant, submit_grant
from livelihoods.services.members import set_member_pin
from livelihoods.services.tranches import record_tranche
from tests.conftest import NGHE_AN, login, scripts_beyond_the_outbox

NOBODY = SimpleNamespace(id=None)
DECIDER = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)
# Easy to spot anywhere in the database.
# "xuyen" is the name as the search key holds it.
CANARIES = (
    "Canary Thị Xuyến",
    "0977000111",
    "canary-note",
    "canary-reason",
    "canary-plan",
    "xuyen",
    "canary-village",
)


@pytest.fixture
def person(app, make_user, make_group, make_member, make_meeting):
    """A Huế member with canary details everywhere: profile, a reason for leaving a
    group, a grant plan and decision note, a visit note, a login with a session."""
    users = {
        "facilitator": make_user(Role.FACILITATOR),
        "coordinator": make_user(Role.COORDINATOR),
        "other_coordinator": make_user(Role.COORDINATOR, provinces=(NGHE_AN,)),
        "admin": make_user(Role.ADMIN),
    }
    first = make_group(facilitators=[users["facilitator"]], founded_on=date(2024, 1, 1))
    group = make_group(facilitators=[users["facilitator"]], founded_on=date(2024, 1, 1))
    made = make_member(first, full_name=CANARIES[0], phone=CANARIES[1], joined_on=date(2024, 2, 5))
    with app.app_context():
        member = db.session.get(Member, made.id)
        member.notes, member.birth_year, member.village = CANARIES[2], 1985, CANARIES[6]
        member_services.leave_group(NOBODY, member, on=date(2024, 6, 3), reason=CANARIES[3])
        from groups.models import Group

        member_services.move_member(
            NOBODY, member, db.session.get(Group, group.id), on=date(2024, 6, 3)
        )
        db.session.commit()
    make_meeting(group, date(2025, 2, 3))
    with app.app_context():
        member = db.session.get(Member, made.id)
        facilitator = db.session.get(User, users["facilitator"].id)
        grant = draft_grant(
            facilitator,
            member,
            activity=Activity.CROPS,
            plan=CANARIES[4],
            amount_requested=3_000_000,
        )
        submit_grant(facilitator, grant, on=date(2025, 2, 20))
        approve_grant(DECIDER, grant, amount=3_000_000, note=CANARIES[0], on=date(2025, 3, 1))
        record_tranche(
            DECIDER,
            grant,
            paid_on=date(2025, 3, 1),
            amount=3_000_000,
            method=Method.IN_KIND,
            purchased=CANARIES[0],
            today=date(2025, 3, 1),
        )
        record_visit(
            facilitator,
            grant.follow_ups[0],
            visited_on=date(2025, 4, 1),
            business_status=Outcome.OPERATING,
            monthly_income=900_000,
            notes=CANARIES[2],
            today=date(2025, 4, 1),
        )
        set_member_pin(facilitator, member, "739164")
        login_user = db.session.scalar(select(User).where(User.member_id == member.id))
        login_user.email, login_user.phone = "canary@example.org", CANARIES[1]
        db.session.commit()
    member_client = app.test_client()
    login(
        member_client,
        SimpleNamespace(role=Role.MEMBER, username=made.code, password="739164"),
    )
    return SimpleNamespace(users=users, member=made, group=group, member_client=member_client)


def counts(app, member_id: int) -> dict:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(
                select(func.count()).select_from(model).where(model.member_id == member_id)
            )
            for model in (Membership, Attendance, Grant, Visit)
        }


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


def audit_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(AuditEvent.id)))


def canaries_in_database(app) -> set[str]:
    """Every canary still found in any text column of any table (audit included)."""
    found = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                    for canary in CANARIES:
                        hit = db.session.scalar(
                            select(func.count())
                            .select_from(table)
                            .where(column.contains(canary, autoescape=True))
                        )
                        if hit:
                            found.add(f"{table.name}.{column.name}: {canary}")
    return found


def test_a_coordinator_anonymises_a_member_on_request(app, client, person):
    assert canaries_in_database(app)  # the fixture did plant them
    before_counts, before_audit = counts(app, person.member.id), audit_ids(app)
    login(client, person.users["coordinator"])

    confirm = client.get(f"/members/{person.member.id}/anonymise")
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "Không thể hoàn tác" in page and scripts_beyond_the_outbox(page) == []
    assert 'type="checkbox"' in page

    response = client.post(f"/members/{person.member.id}/anonymise", data={"confirm": "y"})
    assert response.status_code == 302

    assert canaries_in_database(app) == set()
    with app.app_context():
        member = db.session.get(Member, person.member.id)
        assert member.full_name == member.code == person.member.code
        assert (member.birth_year, member.phone, member.notes) == (None, None, None)
        assert member.village is None
        assert member.anonymised_on is not None
        login_user = db.session.scalar(select(User).where(User.member_id == member.id))
        assert not login_user.active
        assert (login_user.email, login_user.phone) == (None, None)
        assert (
            db.session.scalar(select(func.count()).where(AuthSession.user_id == login_user.id)) == 0
        )
        grant = db.session.scalar(select(Grant).where(Grant.member_id == member.id))
        assert grant.amount_approved == grant.paid == 3_000_000
        assert member.current_membership is None  # they left their group that day
        statuses = {f.status.value for f in grant.follow_ups}
        assert statuses == {"done", "cancelled"}  # nobody is sent to visit them
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "anonymise"))
        assert event.actor_id == person.users["coordinator"].id
        # The day it took place, then the reason (core.audit.record(on=…)).
        assert (event.member_id, event.detail) == (
            member.id,
            f"on={clock.today().isoformat()};request",
        )
    assert counts(app, person.member.id) == before_counts
    assert before_audit < audit_ids(app)  # the audit log is kept whole
    assert person.member_client.get("/").status_code == 302  # the member is logged out

    profile = client.get(f"/members/{person.member.id}").get_data(as_text=True)
    assert "Đã ẩn danh" in profile
    assert client.get(f"/members/{person.member.id}/edit").status_code == 403
    assert client.get(f"/members/{person.member.id}/anonymise").status_code == 403


def test_without_the_confirmation_nothing_changes(app, client, person):
    login(client, person.users["admin"])
    before = audit_count(app)
    response = client.post(f"/members/{person.member.id}/anonymise", data={})
    assert response.status_code == 200
    assert "Đánh dấu vào ô để xác nhận." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Member, person.member.id).full_name == CANARIES[0]
    assert audit_count(app) == before


@pytest.mark.parametrize("who", ["facilitator", "other_coordinator"])
def test_facilitators_and_coordinators_out_of_scope_cannot_anonymise(app, client, person, who):
    login(client, person.users[who])
    response = client.post(f"/members/{person.member.id}/anonymise", data={"confirm": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Member, person.member.id).anonymised_on is None


def test_the_button_shows_only_to_those_who_may_anonymise(app, person):
    for who, shown in (("coordinator", True), ("admin", True), ("facilitator", False)):
        client = app.test_client()
        login(client, person.users[who])
        page = client.get(f"/members/{person.member.id}").get_data(as_text=True)
        assert (f"/members/{person.member.id}/anonymise" in page) == shown


# Retention ------------------------------------------------------------------------------


@pytest.fixture
def leavers(app, make_group, make_member, leave, monkeypatch):
    """Members who left 6 years, exactly 5 years and 4 years before 2031-06-02; one who
    left long ago but is in a group again; one still in their group. Recorded as on
    2031-06-02: the services refuse days still to come."""
    monkeypatch.setattr(clock, "today", lambda: date(2031, 6, 2))
    group = make_group(founded_on=date(2020, 1, 6))
    made = {
        name: make_member(group, full_name=f"Người {name}", joined_on=date(2020, 2, 3))
        for name in ("six", "five", "four", "back", "staying")
    }
    leave(made["six"], date(2025, 6, 1))
    leave(made["five"], date(2026, 6, 2))
    leave(made["four"], date(2027, 6, 2))
    leave(made["back"], date(2021, 1, 4))
    with app.app_context():
        from groups.models import Group

        member_services.move_member(
            NOBODY,
            db.session.get(Member, made["back"].id),
            db.session.get(Group, group.id),
            on=date(2029, 1, 1),
        )
        db.session.commit()
    return made


def anonymised(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Member.id).where(Member.anonymised_on.is_not(None))))


def run(app, day: date) -> dict:
    with app.app_context():
        result = anonymise_expired(today=day)
        db.session.commit()
        return result


def test_members_who_left_more_than_the_retention_period_ago_are_anonymised(app, leavers):
    day = date(2031, 6, 2)
    assert run(app, day) == {"anonymised": 1}
    assert anonymised(app) == {leavers["six"].id}
    with app.app_context():
        six = db.session.get(Member, leavers["six"].id)
        assert six.full_name == six.code and six.anonymised_on == day
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "anonymise"))
        assert (event.actor_id, event.detail) == (None, f"on={day.isoformat()};retention")


def test_running_twice_or_the_next_day_changes_nothing(app, leavers):
    run(app, date(2031, 6, 2))
    events = audit_count(app)
    assert run(app, date(2031, 6, 2)) == {"skipped": 1}
    assert run(app, date(2031, 6, 3)) == {"anonymised": 1}  # "five" is now over 5 years
    assert anonymised(app) == {leavers["six"].id, leavers["five"].id}
    assert audit_count(app) == events + 1
    assert run(app, date(2031, 6, 4)) == {"anonymised": 0}
    assert audit_count(app) == events + 1


def test_a_missed_day_is_caught_up_and_the_setting_is_read(app, leavers):
    app.config["RETENTION_YEARS"] = 2
    assert run(app, date(2031, 6, 2)) == {"anonymised": 3}
    assert anonymised(app) == {leavers["six"].id, leavers["five"].id, leavers["four"].id}


def test_the_command_runs_the_job_for_a_given_day(app, runner, leavers, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2031, 6, 2))  # the day has come
    result = runner.invoke(
        args=["scheduler", "run-job", "members.anonymise_expired", "--today", "2031-06-02"]
    )
    assert result.exit_code == 0, result.output
    assert "anonymised=1" in result.output
    again = runner.invoke(
        args=["scheduler", "run-job", "members.anonymise_expired", "--today", "2031-06-02"]
    )
    assert "skipped=1" in again.output
    bad = runner.invoke(
        args=["scheduler", "run-job", "members.anonymise_expired", "--today", "2031-02-30"]
    )
    assert bad.exit_code != 0
    assert anonymised(app) == {leavers["six"].id}


def test_the_job_is_in_the_scheduler_table():
    job = next(j for j in JOBS if j.id == "members.anonymise_expired")
    assert resolve(job.func) is anonymise_expired
    assert job.cron == {"hour": 5, "minute": 30}


@pytest.mark.parametrize(
    "today, years, cutoff",
    [
        (date(2031, 6, 2), 5, date(2026, 6, 2)),
        (date(2028, 2, 29), 5, date(2023, 2, 28)),
        (date(2031, 1, 1), 0, date(2031, 1, 1)),
    ],
)
def test_retention_cutoff(today, years, cutoff):
    assert retention_cutoff(today, years) == cutoff
