"""What people type into the grant forms: amounts as written on a phone, and every kind
of bad input or out-of-turn step, which gets a clear error and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import today
from core.db import db
from livelihoods.models import FollowUp, Grant, GrantStatus, Visit
from tests.livelihoods.grant_fixtures import (
    build_world,
    client_for,
    error_flash,
    follow_up_ids,
    form_errors,
    grant_form,
    grant_id_from,
    grant_row,
    in_english,
    make_grant,
    refused_with_form_error,
    snapshot,
    tranche_form,
    tranche_ids,
    use_english,
    visit_form,
)

BAD_AMOUNTS = ["abc", "-5", "0", "1e6", "", "5000000000"]


@pytest.fixture
def world(make_user, make_group, make_member):
    return build_world(make_user, make_group, make_member)


@pytest.fixture
def facilitator(app, world):
    browser = client_for(app, world.facilitator)
    use_english(browser)
    return browser


@pytest.fixture
def coordinator(app, world):
    browser = client_for(app, world.coordinator)
    use_english(browser)
    return browser


def grant_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Grant))


def field_error(response, field: str) -> str:
    """The error shown under a field of the returned form."""
    page = response.get_data(as_text=True)
    start = page.index(f'id="{field}-error"')
    return page[page.index(">", start) + 1 : page.index("</p>", start)]


def submitted(app, world):
    return make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")


def approved(app, world, **kwargs):
    return make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="approved",
        decider=world.coordinator,
        **kwargs,
    )


def disbursed(app, world, **kwargs):
    return make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        **kwargs,
    )


# Amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1.500.000", "1,500,000", "1 500 000", "1500000"])
def test_amount_requested_typed_with_separators_is_stored_in_whole_dong(
    app, world, facilitator, typed
):
    response = facilitator.post(
        f"/members/{world.mai.id}/grants/new", data=grant_form(amount_requested=typed)
    )
    assert grant_row(app, grant_id_from(response)).amount_requested == 1_500_000


@pytest.mark.parametrize("typed", ["1.500.000", "1,500,000"])
def test_approved_tranche_and_income_amounts_accept_separators(
    app, world, facilitator, coordinator, typed
):
    grant_id = submitted(app, world)
    response = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": typed}
    )
    assert response.status_code == 302
    assert grant_row(app, grant_id).amount_approved == 1_500_000

    # Paid the day it was approved (today): not before the approval.
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(amount=typed, paid_on=today().isoformat()),
    )
    assert response.status_code == 302
    assert [t.amount for t in grant_row(app, grant_id).tranches] == [1_500_000]

    follow_up = follow_up_ids(app, grant_id)[0]
    response = facilitator.post(
        f"/follow-ups/{follow_up}/visit",
        data=visit_form(visited_on=today().isoformat(), monthly_income=typed),
    )
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.scalar(select(Visit).where(Visit.follow_up_id == follow_up))
        assert visit.monthly_income == 1_500_000


@pytest.mark.parametrize(
    ("field", "typed"),
    [("amount_requested", t) for t in BAD_AMOUNTS]
    # The income a plan expects is optional: empty is no mistake there.
    + [("planned_income", t) for t in BAD_AMOUNTS if t],
)
def test_a_draft_with_a_bad_amount_is_refused(app, world, facilitator, field, typed):
    response = facilitator.post(
        f"/members/{world.mai.id}/grants/new", data=grant_form(**{field: typed})
    )
    assert refused_with_form_error(response)
    assert field_error(response, field)
    assert grant_count(app) == 0


def test_the_income_a_plan_expects_is_kept_shown_and_optional(app, world, facilitator):
    response = facilitator.post(
        f"/members/{world.mai.id}/grants/new", data=grant_form(planned_income="3.000.000")
    )
    grant_id = grant_id_from(response)
    assert grant_row(app, grant_id).planned_income == 3_000_000
    page = facilitator.get(f"/grants/{grant_id}").get_data(as_text=True)
    shown = page.split("<dt>Income expected per month</dt><dd>")[1].split("</dd>")[0]
    assert "3,000,000" in shown  # this client reads English
    response = facilitator.post(f"/grants/{grant_id}/edit", data=grant_form(planned_income=""))
    assert response.status_code == 302
    assert grant_row(app, grant_id).planned_income is None


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_approving_a_bad_amount_is_refused(app, world, coordinator, typed):
    grant_id = submitted(app, world)
    before = snapshot(app, grant_id)
    response = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": typed}
    )
    assert refused_with_form_error(response)
    assert field_error(response, "amount")
    assert snapshot(app, grant_id) == before


@pytest.mark.parametrize("typed", BAD_AMOUNTS)
def test_a_tranche_with_a_bad_amount_is_refused(app, world, coordinator, typed):
    grant_id = approved(app, world)
    before = snapshot(app, grant_id)
    # Paid the day it was approved (today): not before the approval.
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(amount=typed, paid_on=today().isoformat()),
    )
    assert refused_with_form_error(response)
    assert field_error(response, "amount")
    assert snapshot(app, grant_id) == before


@pytest.mark.parametrize("typed", ["abc", "-5", "1e6"])
def test_a_visit_with_a_bad_income_is_refused(app, world, facilitator, typed):
    grant_id = disbursed(app, world)
    before = snapshot(app, grant_id)
    response = facilitator.post(
        f"/follow-ups/{follow_up_ids(app, grant_id)[0]}/visit",
        data=visit_form(monthly_income=typed),
    )
    assert refused_with_form_error(response)
    assert field_error(response, "monthly_income")
    assert snapshot(app, grant_id) == before


# Decisions out of turn ----------------------------------------------------------------------


def test_approving_a_rejected_grant_is_refused(app, world, coordinator):
    grant_id = submitted(app, world)
    rejected = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "reject", "note": "Chưa đủ điều kiện."}
    )
    assert rejected.status_code == 302
    before = snapshot(app, grant_id)

    second = client_for(app, world.second_coordinator)
    use_english(second)
    response = second.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": "5000000"}
    )
    assert refused_with_form_error(response)
    assert in_english(app, GrantStatus.REJECTED.label) in error_flash(
        response.get_data(as_text=True)
    )
    assert snapshot(app, grant_id) == before


def test_deciding_twice_keeps_the_first_decision(app, world, coordinator):
    grant_id = submitted(app, world)
    first = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": "3000000"}
    )
    assert first.status_code == 302
    before = snapshot(app, grant_id)
    for data in (
        {"decision": "approve", "amount": "9000000"},
        {"decision": "return", "note": "Sửa lại."},
        {"decision": "reject", "note": "Thôi."},
    ):
        response = coordinator.post(f"/grants/{grant_id}/decide", data=data)
        assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before
    assert before["grant"]["amount_approved"] == 3_000_000


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "reject", "note": ""}, "note"),
        ({"decision": "return", "note": "   "}, "note"),
        ({"decision": "approve", "amount": ""}, "amount"),
        ({"decision": "maybe", "amount": "5000000"}, "decision"),
        ({"amount": "5000000"}, "decision"),
    ],
)
def test_a_decision_without_what_it_needs_is_refused(app, world, coordinator, data, field):
    grant_id = submitted(app, world)
    before = snapshot(app, grant_id)
    response = coordinator.post(f"/grants/{grant_id}/decide", data=data)
    assert refused_with_form_error(response)
    assert field_error(response, field)
    assert snapshot(app, grant_id) == before


def test_submitting_a_grant_that_is_no_longer_a_draft_says_why(app, world, facilitator):
    grant_id = submitted(app, world)
    before = snapshot(app, grant_id)
    response = facilitator.post(f"/grants/{grant_id}/submit", follow_redirects=True)
    assert response.status_code == 200
    assert in_english(app, GrantStatus.SUBMITTED.label) in (
        error_flash(response.get_data(as_text=True)) or ""
    )
    assert snapshot(app, grant_id) == before


def test_submitting_an_approved_grant_changes_nothing(app, world, facilitator):
    grant_id = approved(app, world)
    before = snapshot(app, grant_id)
    response = facilitator.post(f"/grants/{grant_id}/submit")
    assert response.status_code in (302, 403)
    assert snapshot(app, grant_id) == before


# Money ----------------------------------------------------------------------------------------


def test_a_tranche_above_what_remains_of_the_approved_amount_is_refused(app, world, coordinator):
    grant_id = disbursed(app, world, requested=5_000_000, paid=2_000_000)
    before = snapshot(app, grant_id)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new", data=tranche_form(amount="3.000.001")
    )
    assert refused_with_form_error(response)
    assert "3" in field_error(response, "amount")  # says what remains
    assert snapshot(app, grant_id) == before
    # Exactly what remains is fine.
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new", data=tranche_form(amount="3.000.000")
    )
    assert response.status_code == 302


def test_a_first_tranche_above_the_approved_amount_is_refused(app, world, coordinator):
    grant_id = approved(app, world, requested=5_000_000, approved=4_000_000)
    before = snapshot(app, grant_id)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new", data=tranche_form(amount="5000000")
    )
    assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before
    assert before["follow_ups"] == []


def test_a_disbursement_dated_in_the_future_is_refused(app, world, coordinator):
    grant_id = approved(app, world)
    before = snapshot(app, grant_id)
    tomorrow = today() + timedelta(days=1)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new", data=tranche_form(paid_on=tomorrow.isoformat())
    )
    assert refused_with_form_error(response)
    assert field_error(response, "paid_on")
    assert snapshot(app, grant_id) == before


@pytest.mark.parametrize("upto", ["draft", "submitted"])
def test_no_disbursement_before_approval(app, world, coordinator, upto):
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto=upto)
    before = snapshot(app, grant_id)
    response = coordinator.post(f"/grants/{grant_id}/tranches/new", data=tranche_form())
    assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "5000001"},  # above the approved amount
        {"amount": "0"},
        {"paid_on": (today() + timedelta(days=2)).isoformat()},
    ],
)
def test_correcting_a_disbursement_with_bad_input_is_refused(app, world, coordinator, change):
    grant_id = disbursed(app, world, requested=5_000_000)
    before = snapshot(app, grant_id)
    [tranche_id] = tranche_ids(app, grant_id)
    response = coordinator.post(
        f"/tranches/{tranche_id}/edit", data={**tranche_form(amount="5000000"), **change}
    )
    assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before


# Visits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before the first disbursement", "in the future"])
def test_a_visit_dated_outside_its_possible_days_is_refused(app, world, facilitator, when):
    paid_on = today() - timedelta(days=40)
    grant_id = disbursed(app, world, paid_on=paid_on)
    before = snapshot(app, grant_id)
    visited_on = (
        paid_on - timedelta(days=1) if when.startswith("before") else today() + timedelta(1)
    )
    response = facilitator.post(
        f"/follow-ups/{follow_up_ids(app, grant_id)[0]}/visit",
        data=visit_form(visited_on=visited_on.isoformat()),
    )
    assert refused_with_form_error(response)
    assert field_error(response, "visited_on")
    assert snapshot(app, grant_id) == before


def test_a_second_visit_on_a_done_follow_up_is_refused_with_a_message(app, world, facilitator):
    grant_id = disbursed(app, world)
    follow_up = follow_up_ids(app, grant_id)[0]
    assert facilitator.post(f"/follow-ups/{follow_up}/visit", data=visit_form()).status_code == 302
    before = snapshot(app, grant_id)
    response = facilitator.post(
        f"/follow-ups/{follow_up}/visit",
        data=visit_form(notes="Ghi lại lần nữa.", business_status="stopped"),
    )
    # Like a meeting saved by someone else meanwhile: 409, the message, the notes kept.
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert form_errors(page) and "Ghi lại lần nữa." in page
    assert snapshot(app, grant_id) == before


def test_a_visit_on_a_cancelled_follow_up_is_refused(app, world, facilitator, coordinator):
    grant_id = disbursed(app, world)
    closed = coordinator.post(f"/grants/{grant_id}/close", data={"outcome": "operating"})
    assert closed.status_code == 302
    before = snapshot(app, grant_id)
    response = facilitator.post(
        f"/follow-ups/{follow_up_ids(app, grant_id)[1]}/visit", data=visit_form()
    )
    assert response.status_code == 200
    assert snapshot(app, grant_id) == before


def test_a_grant_visit_needs_the_business_status(app, world, facilitator):
    grant_id = disbursed(app, world)
    before = snapshot(app, grant_id)
    response = facilitator.post(
        f"/follow-ups/{follow_up_ids(app, grant_id)[0]}/visit",
        data=visit_form(business_status=""),
    )
    assert refused_with_form_error(response)
    assert field_error(response, "business_status")
    assert snapshot(app, grant_id) == before


def test_closing_a_grant_that_was_not_paid_out_is_refused(app, world, coordinator):
    grant_id = approved(app, world)
    before = snapshot(app, grant_id)
    response = coordinator.post(f"/grants/{grant_id}/close", data={"outcome": "operating"})
    assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before


# Text -----------------------------------------------------------------------------------------


def test_an_over_long_plan_is_refused(app, world, facilitator):
    response = facilitator.post(
        f"/members/{world.mai.id}/grants/new", data=grant_form(plan="x" * 4001)
    )
    assert refused_with_form_error(response)
    assert field_error(response, "plan")
    assert grant_count(app) == 0

    grant_id = make_grant(app, world.mai, drafter=world.facilitator)
    before = snapshot(app, grant_id)
    response = facilitator.post(f"/grants/{grant_id}/edit", data=grant_form(plan="y" * 4001))
    assert refused_with_form_error(response)
    assert snapshot(app, grant_id) == before

    response = facilitator.post(f"/grants/{grant_id}/edit", data=grant_form(plan="y" * 4000))
    assert response.status_code == 302
    assert len(grant_row(app, grant_id).plan) == 4000


def test_an_empty_plan_is_refused(app, world, facilitator):
    response = facilitator.post(f"/members/{world.mai.id}/grants/new", data=grant_form(plan=" \n "))
    assert refused_with_form_error(response)
    assert grant_count(app) == 0


def test_nul_characters_are_stripped_from_every_text(app, world, facilitator, coordinator):
    drafted = facilitator.post(
        f"/members/{world.mai.id}/grants/new",
        data=grant_form(plan="Nuôi\x00 lợn\x00 giống"),
    )
    grant_id = grant_id_from(drafted)
    assert facilitator.post(f"/grants/{grant_id}/submit").status_code == 302
    decided = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "approve", "amount": "5000000", "note": "Đồng\x00 ý"},
    )
    assert decided.status_code == 302
    paid = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(
            purchased="2 con\x00 lợn", amount="5000000", paid_on=today().isoformat()
        ),
    )
    assert paid.status_code == 302
    visited = facilitator.post(
        f"/follow-ups/{follow_up_ids(app, grant_id)[0]}/visit",
        data=visit_form(notes="Tốt\x00 lắm"),
    )
    assert visited.status_code == 302
    closed = coordinator.post(
        f"/grants/{grant_id}/close", data={"outcome": "operating", "note": "Xong\x00."}
    )
    assert closed.status_code == 302

    grant = grant_row(app, grant_id)
    assert grant.plan == "Nuôi lợn giống"
    assert grant.tranches[0].purchased == "2 con lợn"
    assert [e.note for e in grant.events if e.note] == ["Đồng ý", "Xong."]
    with app.app_context():
        assert db.session.scalar(select(Visit.notes)) == "Tốt lắm"


# CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "upto", "path", "data"),
    [
        ("facilitator", None, "/members/{member}/grants/new", grant_form()),
        ("facilitator", "draft", "/grants/{grant}/edit", grant_form(plan="Khác")),
        ("facilitator", "draft", "/grants/{grant}/submit", {}),
        (
            "coordinator",
            "submitted",
            "/grants/{grant}/decide",
            {"decision": "reject", "note": "Không"},
        ),
        ("coordinator", "approved", "/grants/{grant}/tranches/new", tranche_form()),
        ("coordinator", "disbursed", "/tranches/{tranche}/edit", tranche_form(amount="5000000")),
        ("coordinator", "disbursed", "/grants/{grant}/close", {"outcome": "operating"}),
        ("facilitator", "disbursed", "/follow-ups/{follow_up}/visit", visit_form()),
        ("facilitator", "disbursed", "/follow-ups/{follow_up}/missed", {}),
    ],
)
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(
    app, world, facilitator, coordinator, who, upto, path, data
):
    ids = {"member": world.mai.id}
    if upto:
        ids["grant"] = make_grant(
            app, world.mai, drafter=world.facilitator, upto=upto, decider=world.coordinator
        )
        if upto == "disbursed":
            ids["tranche"] = tranche_ids(app, ids["grant"])[0]
            ids["follow_up"] = follow_up_ids(app, ids["grant"])[0]
        before = snapshot(app, ids["grant"])
    browser = {"facilitator": facilitator, "coordinator": coordinator}[who]
    response = browser.post(path.format(**ids), data=data, csrf=False)
    assert response.status_code == 400
    if upto:
        assert snapshot(app, ids["grant"]) == before
    else:
        assert grant_count(app) == 0
    with app.app_context():
        statuses = db.session.scalars(select(FollowUp.status)).all()
        assert all(s.value == "scheduled" for s in statuses)
