"""The closed loop: an open referral past its expected date becomes a follow-up for the
person who made it, goes through the follow-up sweep and escalation, and closes when its
outcome is recorded. Jobs are called directly with a date, as the scheduler would."""

from datetime import timedelta

from sqlalchemy import select

import core.clock
from core.clock import today
from core.db import db
from groups.models import Group, Member
from groups.services import members as member_services
from inbox.models import Notification
from livelihoods.jobs import daily_sweep, escalate_overdue
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from support.jobs import open_referral_checks
from support.models.referrals import Referral, ReferralStatus
from support.services import referrals as referral_services
from tests.conftest import login
from tests.livelihoods.jobs_fixtures import assert_neutral, notifications, run
from tests.support.helpers import NOBODY

EXPECTED = today() + timedelta(days=7)  # the world's referral


def referral_checks(app):
    with app.app_context():
        return db.session.execute(
            select(FollowUp.source_key, FollowUp.member_id, FollowUp.due_on, FollowUp.status).where(
                FollowUp.kind == FollowUpKind.REFERRAL_CHECK
            )
        ).all()


def test_nothing_before_the_expected_date(app, support_world):
    assert run(app, open_referral_checks, EXPECTED) == {"referral_checks": 0, "told": 0}
    assert referral_checks(app) == []


def test_overdue_referral_becomes_one_follow_up_and_tells_its_maker_once(app, support_world):
    users, ids = support_world
    day = EXPECTED + timedelta(days=1)
    assert run(app, open_referral_checks, day) == {"referral_checks": 1, "told": 1}
    assert referral_checks(app) == [
        (f"referral:{ids['referral']}", ids["member"], EXPECTED, FollowUpStatus.SCHEDULED)
    ]
    # Again the same day, the next day, or a week later: nothing new.
    for later in (day, day + timedelta(days=1), day + timedelta(days=7)):
        assert run(app, open_referral_checks, later) == {"referral_checks": 0, "told": 0}
    assert notifications(app, kind="referral_overdue") == [
        (users["facilitator"].id, "referral_overdue", ids["referral"])
    ]


def test_the_follow_up_machinery_reminds_and_escalates_it(app, support_world):
    users, ids = support_world
    day = EXPECTED + timedelta(days=1)
    run(app, open_referral_checks, day)
    run(app, daily_sweep, day)
    with app.app_context():
        check = db.session.scalar(select(FollowUp.id).where(FollowUp.kind == "referral_check"))
    assert (users["facilitator"].id, "overdue", check) in notifications(app)
    later = EXPECTED + timedelta(days=15)
    run(app, escalate_overdue, later)
    assert (users["coordinator"].id, "escalated", check) in notifications(app)
    assert all(n[0] != users["other_coordinator"].id for n in notifications(app))


def test_recording_the_outcome_closes_the_follow_up(app, support_world):
    users, ids = support_world
    run(app, open_referral_checks, EXPECTED + timedelta(days=1))
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        referral_services.change_status(
            NOBODY, referral, to=ReferralStatus.ACKNOWLEDGED, on=today(), note=None, today=today()
        )
        db.session.commit()
    assert referral_checks(app)[0].status == FollowUpStatus.SCHEDULED  # still open
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        referral_services.change_status(
            NOBODY, referral, to=ReferralStatus.UNREACHABLE, on=today(), note=None, today=today()
        )
        db.session.commit()
    assert referral_checks(app)[0].status == FollowUpStatus.DONE
    # Closed: the sweep reminds nobody of it, and it is never opened again.
    run(app, daily_sweep, EXPECTED + timedelta(days=2))
    assert not [n for n in notifications(app) if n[1] == "overdue"]
    assert run(app, open_referral_checks, EXPECTED + timedelta(days=3))["referral_checks"] == 0


def test_a_member_who_moved_takes_the_follow_up_to_the_new_facilitator(app, support_world):
    users, ids = support_world
    day = EXPECTED + timedelta(days=1)
    run(app, open_referral_checks, day)
    with app.app_context():
        member_services.move_member(
            NOBODY,
            db.session.get(Member, ids["member"]),
            db.session.get(Group, ids["other_group"]),
            on=today(),
        )
        db.session.commit()
    run(app, daily_sweep, day)
    reminded = {n[0] for n in notifications(app) if n[1] == "overdue"}
    assert reminded == {users["other_facilitator"].id}


def test_the_inbox_words_are_neutral_and_lead_to_the_referral(app, client, support_world):
    users, ids = support_world
    run(app, open_referral_checks, EXPECTED + timedelta(days=1))
    login(client, users["facilitator"])
    client.post("/language", data={"locale": "en"})
    inbox = client.get("/inbox").text
    assert f"/referrals/{ids['referral']}" in inbox
    with app.app_context():
        code = db.session.get(Member, ids["member"]).code
        from inbox.services import render

        texts = render(list(db.session.scalars(select(Notification))))
    for subject, body, _link in texts.values():
        assert_neutral(subject + " " + body, code=code)
        assert "health" not in body.lower() and "khám" not in body
    # The due list's "Record" leads to the referral, where the outcome closes it.
    with app.app_context():
        check = db.session.scalar(select(FollowUp.id).where(FollowUp.kind == "referral_check"))
    visit = client.get(f"/follow-ups/{check}/visit")
    assert visit.status_code == 302 and visit.headers["Location"].endswith(
        f"/referrals/{ids['referral']}"
    )


def test_the_command_runs_it_for_a_day(app, runner, support_world, monkeypatch):
    # The day after the expected one has come (the command runs no day still to come).
    monkeypatch.setattr(core.clock, "today", lambda: EXPECTED + timedelta(days=1))
    day = (EXPECTED + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["scheduler", "run-job", "support.referral_checks", "--today", day])
    assert result.exit_code == 0, result.output
    assert "referral_checks=1" in result.output
    again = runner.invoke(args=["scheduler", "run-job", "support.referral_checks", "--today", day])
    assert "referral_checks=0" in again.output
