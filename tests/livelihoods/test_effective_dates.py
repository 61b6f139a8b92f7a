"""Effective dates (issue 22): a decision, a closing and a visit that could not happen
carry the day they happened (default today in Viet Nam) beside the moment they were
typed in and by whom; the timeline shows both and the progress figures count by the day
it happened. With the clock at 23:30 and 00:30 in Viet Nam the figures say what a person
there would."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.models import User
from core import clock
from core.clock import today
from core.db import db
from groups.models import Member
from livelihoods.models import Activity, FollowUp, Grant, GrantEvent, Method
from livelihoods.services import grants as services
from livelihoods.services.grants import approve_grant, draft_grant, submit_grant
from livelihoods.services.tranches import record_tranche
from reports.indicators.all_sections import compute
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.sql import ratio
from tests.livelihoods.grant_fixtures import (
    build_world,
    client_for,
    grant_form,
    make_grant,
    section,
    use_english,
)


@pytest.fixture
def world(make_user, make_group, make_member):
    return build_world(make_user, make_group, make_member)


@pytest.fixture
def coordinator(app, world):
    browser = client_for(app, world.coordinator)
    use_english(browser)
    return browser


def event_days(app, grant_id):
    with app.app_context():
        return {
            e.action: e.on
            for e in db.session.scalars(select(GrantEvent).where(GrantEvent.grant_id == grant_id))
        }


def test_a_decision_is_dated_the_day_it_was_taken_and_shows_both_days(app, world, coordinator):
    sent = today() - timedelta(days=10)
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    with app.app_context():
        db.session.scalars(
            select(GrantEvent).where(GrantEvent.action == "submitted")
        ).one().on = sent
        db.session.commit()
    form = coordinator.get(f"/grants/{grant_id}/decide").get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in form  # the day defaults to today
    decided = sent + timedelta(days=4)
    response = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "approve", "amount": "5000000", "on": decided.isoformat()},
    )
    assert response.status_code == 302
    assert event_days(app, grant_id)["approved"] == decided
    timeline = section(coordinator.get(f"/grants/{grant_id}").get_data(as_text=True), "Timeline")
    assert decided.strftime("%-d %b %Y") in timeline
    assert "recorded " in timeline and today().strftime("%-d %b %Y") in timeline


@pytest.mark.parametrize(
    "on, shown",
    [
        ("day before sent", "before the application was submitted"),
        ("tomorrow", "in the future"),
        ("2024-02-31", "Not a valid date value"),
        ("0001-01-01", "cannot be before"),
        ("9999-12-31", "cannot be in the future"),
    ],
)
def test_a_decision_day_out_of_order_or_impossible_is_refused(app, world, coordinator, on, shown):
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    given = {
        "day before sent": (today() - timedelta(days=8)).isoformat(),  # sent 7 days ago
        "tomorrow": (today() + timedelta(days=1)).isoformat(),
    }.get(on, on)
    response = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "reject", "note": "x", "on": given}
    )
    assert response.status_code in (200, 409, 422)
    if on != "tomorrow":  # a future day is refused by the form, its message says so
        assert shown in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Grant, grant_id).status.value == "submitted"
    assert "rejected" not in event_days(app, grant_id)


def test_closing_and_a_missed_visit_carry_their_day(app, world, coordinator):
    paid_on = today() - timedelta(days=60)
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator,
        paid_on=paid_on,
    )  # fmt: skip
    with app.app_context():
        follow_up = db.session.scalars(
            select(FollowUp).where(FollowUp.grant_id == grant_id).order_by(FollowUp.due_on)
        ).first()
        follow_up_id = follow_up.id
    missed_on = today() - timedelta(days=3)
    response = coordinator.post(
        f"/follow-ups/{follow_up_id}/missed",
        data={"reason": "Đi vắng", "on": missed_on.isoformat()},
    )
    assert response.status_code == 302
    closed_on = today() - timedelta(days=2)
    response = coordinator.post(
        f"/grants/{grant_id}/close", data={"outcome": "operating", "on": closed_on.isoformat()}
    )
    assert response.status_code == 302
    assert event_days(app, grant_id)["closed"] == closed_on
    with app.app_context():
        follow_up = db.session.get(FollowUp, follow_up_id)
        assert follow_up.missed_on == missed_on and follow_up.missed_at is not None
        # Marked today, whatever day it could not happen: the same person may undo it today.
        assert follow_up.can_undo_missed(db.session.get(User, world.coordinator.id), today())


def test_the_figures_count_a_decision_by_the_day_it_was_taken(app, world):
    """Approved on 27 February, typed in on 3 March: February's approval, 5 days after
    it was sent, and 10 days to the first payment."""
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        facilitator = db.session.get(User, world.facilitator.id)
        grant = draft_grant(
            facilitator, db.session.get(Member, world.mai.id), activity=Activity.CROPS,
            plan="Rau", amount_requested=2_000_000,
        )  # fmt: skip
        submit_grant(facilitator, grant, on=date(2026, 2, 22))
        approve_grant(coordinator, grant, amount=2_000_000, note=None, on=date(2026, 2, 27))
        record_tranche(
            coordinator, grant, paid_on=date(2026, 3, 9), amount=2_000_000, method=Method.CASH,
            purchased=None, today=date(2026, 3, 9),
        )  # fmt: skip
        db.session.commit()
        february = compute(
            Scope(coordinator), Period.containing("month", date(2026, 2, 1)), date(2026, 3, 31)
        )
        march = compute(
            Scope(coordinator), Period.containing("month", date(2026, 3, 1)), date(2026, 3, 31)
        )
    assert (february["approved"], february["days_to_decision"]) == (1, 5.0)
    assert march["approved"] == 0
    assert march["days_to_payment"] == 10.0


@pytest.mark.parametrize("utc_hour_minute", [(16, 30), (17, 30)])
def test_one_day_everywhere_at_23_30_and_00_30_in_viet_nam(
    app, world, monkeypatch, utc_hour_minute
):
    """Approved and paid through the pages' defaults at 23:30 (16:30 UTC) or 00:30 (17:30
    UTC, the next day in Viet Nam): the approval is on the Viet Nam day, the first
    payment that same day is 0 days after it, and the month counts it once."""
    hour, minute = utc_hour_minute
    now = datetime(2026, 3, 31, hour, minute, tzinfo=UTC)
    local_day = now.astimezone(clock.VIETNAM).date()
    monkeypatch.setattr(clock, "today", lambda: local_day)
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        facilitator = db.session.get(User, world.facilitator.id)
        grant = draft_grant(
            facilitator, db.session.get(Member, world.mai.id), activity=Activity.CROPS,
            plan="Rau", amount_requested=2_000_000,
        )  # fmt: skip
        submit_grant(facilitator, grant)
        approve_grant(coordinator, grant, amount=2_000_000, note=None)
        for event in grant.events:
            event.at = now  # typed in at that moment
        record_tranche(
            coordinator, grant, paid_on=local_day, amount=2_000_000, method=Method.CASH,
            purchased=None, today=local_day,
        )  # fmt: skip
        db.session.commit()
        month = Period.containing("month", local_day)
        figures = compute(Scope(coordinator), month, local_day)
        day_figures = compute(Scope(coordinator), Period.custom(local_day, local_day), local_day)
    assert local_day == (date(2026, 3, 31) if hour == 16 else date(2026, 4, 1))
    assert (figures["approved"], figures["days_to_decision"], figures["days_to_payment"]) == (
        1, 0.0, 0.0,
    )  # fmt: skip
    assert (day_figures["requested"], day_figures["approved"], day_figures["disbursed"]) == (
        1, 1, 1,
    )  # fmt: skip


@pytest.mark.parametrize("utc_hour, on_time", [(16, 1), (17, 0)])
def test_a_meeting_typed_in_after_midnight_on_the_fourth_day_is_late(
    app, world, make_meeting, utc_hour, on_time
):
    """Held on 2 March, typed in at 23:30 on the 5th (16:30 UTC): within 3 days; at
    00:30 on the 6th (17:30 UTC, still the 5th in UTC): late."""
    held_on = date(2026, 3, 2)
    meeting = make_meeting(world.group, held_on)
    with app.app_context():
        from groups.meeting_models import Meeting

        row = db.session.get(Meeting, meeting.id)
        row.created_at = datetime(2026, 3, 5, utc_hour, 30, tzinfo=UTC)
        db.session.commit()
        figures = compute(
            Scope(db.session.get(User, world.coordinator.id)),
            Period.containing("month", held_on),
            date(2026, 3, 31),
        )
    assert figures["meetings_held"] == 1
    assert figures["timeliness"] == ratio(on_time, 1)


def test_the_decision_queue_shows_and_orders_by_the_day_an_application_was_sent(
    app, world, coordinator
):
    """Lan's paper application was sent 20 days ago and typed in today; Mai's was sent 5
    days ago and typed in then. Lan's has waited longest: it comes first, with its day."""
    sent = {"mai": today() - timedelta(days=5), "lan": today() - timedelta(days=20)}
    ids = {}
    for name in ("mai", "lan"):
        ids[name] = make_grant(
            app, getattr(world, name), drafter=world.facilitator, upto="submitted"
        )
        with app.app_context():
            event = db.session.scalars(
                select(GrantEvent).where(
                    GrantEvent.grant_id == ids[name], GrantEvent.action == "submitted"
                )
            ).one()
            event.on = sent[name]
            # Typed in: Mai's when it was sent, Lan's only now.
            event.at = datetime.now(UTC) - (timedelta(days=5) if name == "mai" else timedelta(0))
            db.session.commit()
    page = coordinator.get("/progress/grants").get_data(as_text=True)
    page = page[page.index("Waiting for a decision, oldest first</h2>") :]
    lan, mai = (page.index(f"/grants/{ids[n]}/decide") for n in ("lan", "mai"))
    assert lan < mai
    assert sent["lan"].strftime("%-d %b %Y") in page[lan:mai]
    assert sent["mai"].strftime("%-d %b %Y") in page[mai:]


def _version_in(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page)


@pytest.mark.parametrize("decision", ["approve", "reject", "return"])
def test_a_decision_on_an_application_that_changed_since_the_page_was_opened(
    app, world, coordinator, decision
):
    """Issue 22 (bad input): the coordinator opens the decision page; meanwhile the
    application is sent back, corrected to 9,000,000 đ and sent again. The decision typed
    on the old page saves nothing (409, the day and amount kept); sent again after a look
    at the page as it is now, it goes through."""
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    page = coordinator.get(f"/grants/{grant_id}/decide").get_data(as_text=True)
    opened = _version_in(page)
    assert opened, "the decision page carries the version it shows"
    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        services.return_grant(db.session.get(User, world.second_coordinator.id), grant, note="x")
        services.update_draft(
            db.session.get(User, world.facilitator.id), grant, activity=grant.activity,
            plan=grant.plan, amount_requested=9_000_000, planned_income=None,
        )  # fmt: skip
        services.submit_grant(db.session.get(User, world.facilitator.id), grant)
        db.session.commit()
    day = (today() - timedelta(days=1)).isoformat()
    data = {
        "decision": decision, "amount": "5000000", "note": "Đã họp xét.", "on": day,
        "version": next(v for v in opened.groups() if v),
    }  # fmt: skip
    response = coordinator.post(f"/grants/{grant_id}/decide", data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed after you opened this page" in page and day in page
    assert "9,000,000" in page or "9.000.000" in page  # the application as it is now
    with app.app_context():
        assert db.session.get(Grant, grant_id).status.value == "submitted"
    assert {"approved", "rejected"}.isdisjoint(event_days(app, grant_id))
    data["version"] = next(v for v in _version_in(page).groups() if v)
    data["on"] = today().isoformat()  # it was sent again today: decided today
    assert coordinator.post(f"/grants/{grant_id}/decide", data=data).status_code == 302


def test_a_draft_corrected_by_someone_else_since_the_page_was_opened(app, world):
    """The same class for the application form: the coordinator corrects the draft while
    the facilitator's page is open; the facilitator's save on the old page writes nothing."""
    grant_id = make_grant(app, world.mai, drafter=world.facilitator)
    facilitator = client_for(app, world.facilitator)
    use_english(facilitator)
    page = facilitator.get(f"/grants/{grant_id}/edit").get_data(as_text=True)
    opened = next(v for v in _version_in(page).groups() if v)
    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        services.update_draft(
            db.session.get(User, world.coordinator.id), grant, activity=grant.activity,
            plan=grant.plan, amount_requested=7_000_000, planned_income=None,
        )  # fmt: skip
        db.session.commit()
    data = grant_form(amount_requested="4000000", version=opened)
    response = facilitator.post(f"/grants/{grant_id}/edit", data=data)
    assert response.status_code == 409
    assert "changed after you opened this page" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Grant, grant_id).amount_requested == 7_000_000
