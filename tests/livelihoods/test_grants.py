"""A grant from draft to outcome, driven through the pages as the people involved use
them: who may decide, what each step records in the timeline, follow-ups that follow
the first disbursement, a decision raced by two coordinators, and the due lists."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import today
from core.db import db
from livelihoods.models import FollowUp, GrantStatus, Outcome, Visit
from livelihoods.services.grants import add_months
from tests.livelihoods.grant_fixtures import (
    build_world,
    client_for,
    error_flash,
    events,
    follow_up_ids,
    grant_form,
    grant_id_from,
    grant_row,
    in_english,
    input_value,
    make_grant,
    refused_with_form_error,
    section,
    set_due,
    snapshot,
    status_shown,
    tranche_form,
    tranche_ids,
    use_english,
    visit_form,
)


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


def follow_ups(app, grant_id):
    """(months after, due on, source on, status) of the grant's follow-ups."""
    with app.app_context():
        return [
            (f.months_after, f.due_on, f.source_on, f.status.value)
            for f in db.session.scalars(
                select(FollowUp)
                .where(FollowUp.grant_id == grant_id)
                .order_by(FollowUp.months_after)
            )
        ]


# Lifecycle ---------------------------------------------------------------------------------


def test_facilitator_drafts_and_submits_and_coordinator_approves_another_amount(
    app, world, facilitator, coordinator
):
    drafted = facilitator.post(
        f"/members/{world.mai.id}/grants/new",
        data=grant_form(activity="tailoring", plan="Mua máy may cũ.", amount_requested="6000000"),
    )
    grant_id = grant_id_from(drafted)
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.activity.value, grant.plan) == (
        "draft",
        "tailoring",
        "Mua máy may cũ.",
    )
    assert (grant.amount_requested, grant.amount_approved) == (6_000_000, None)
    assert grant.member_id == world.mai.id
    assert grant.drafted_by_id == world.facilitator.id

    assert facilitator.post(f"/grants/{grant_id}/submit").status_code == 302
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.submitted_by_id) == ("submitted", world.facilitator.id)

    form = coordinator.get(f"/grants/{grant_id}/decide")
    assert form.status_code == 200
    assert input_value(form.get_data(as_text=True), "amount") == "6,000,000"  # as requested
    approved = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "approve", "amount": "4500000", "note": "Máy may cũ rẻ hơn."},
    )
    assert approved.status_code == 302
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.amount_requested, grant.amount_approved) == (
        "approved",
        6_000_000,
        4_500_000,
    )
    assert events(app, grant_id) == [
        ("drafted", "draft", world.facilitator.id, None),
        ("submitted", "submitted", world.facilitator.id, None),
        ("approved", "approved", world.coordinator.id, "Máy may cũ rẻ hơn."),
    ]

    page = coordinator.get(f"/grants/{grant_id}").get_data(as_text=True)
    assert status_shown(app, page, GrantStatus.APPROVED)
    timeline = section(page, "Timeline")
    # Newest first, each step with who took it and why.
    approved_at = timeline.index("Phạm Văn Bình · Máy may cũ rẻ hơn.")
    submitted_at = timeline.index(in_english(app, GrantStatus.SUBMITTED.label))
    assert approved_at < submitted_at < timeline.index(in_english(app, GrantStatus.DRAFT.label))
    assert timeline.count("Lê Thị Thu") == 2


def test_coordinator_rejects_with_a_reason_and_nobody_can_change_it_afterwards(
    app, world, facilitator, coordinator
):
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    rejected = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "reject", "note": "Kế hoạch chưa có nơi bán."},
    )
    assert rejected.status_code == 302
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.amount_approved) == ("rejected", None)
    assert events(app, grant_id)[-1] == (
        "rejected",
        "rejected",
        world.coordinator.id,
        "Kế hoạch chưa có nơi bán.",
    )
    page = facilitator.get(f"/grants/{grant_id}").get_data(as_text=True)
    assert status_shown(app, page, GrantStatus.REJECTED)
    assert "Kế hoạch chưa có nơi bán." in section(page, "Timeline")
    assert f"/grants/{grant_id}/edit" not in page
    assert facilitator.get(f"/grants/{grant_id}/edit").status_code == 403


def test_sent_back_application_is_corrected_and_resubmitted_then_approved(
    app, world, facilitator, coordinator
):
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    returned = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "return", "note": "Thêm chi phí thức ăn."},
    )
    assert returned.status_code == 302
    assert grant_row(app, grant_id).status.value == "returned"

    page = facilitator.get(f"/grants/{grant_id}").get_data(as_text=True)
    assert status_shown(app, page, GrantStatus.RETURNED)
    assert "Thêm chi phí thức ăn." in section(page, "Timeline")
    assert f'href="/grants/{grant_id}/edit"' in page

    corrected = facilitator.post(
        f"/grants/{grant_id}/edit",
        data=grant_form(plan="Nuôi lợn; thức ăn 700.000 đ/tháng.", amount_requested="5500000"),
    )
    assert corrected.status_code == 302
    assert facilitator.post(f"/grants/{grant_id}/submit").status_code == 302
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.plan, grant.amount_requested) == (
        "submitted",
        "Nuôi lợn; thức ăn 700.000 đ/tháng.",
        5_500_000,
    )

    approved = coordinator.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": "5500000"}
    )
    assert approved.status_code == 302
    assert [(a, s, who) for a, s, who, _note in events(app, grant_id)] == [
        ("drafted", "draft", world.facilitator.id),
        ("submitted", "submitted", world.facilitator.id),
        ("returned", "returned", world.coordinator.id),
        ("edited", "returned", world.facilitator.id),
        ("submitted", "submitted", world.facilitator.id),
        ("approved", "approved", world.coordinator.id),
    ]


def test_first_tranche_pays_out_and_schedules_checks_at_1_3_6_12_months(app, world, coordinator):
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    paid_on = today() - timedelta(days=20)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(
            paid_on=paid_on.isoformat(),
            amount="2000000",
            method="bank_transfer",
            purchased="Lợn giống",
        ),
    )
    assert response.status_code == 302
    grant = grant_row(app, grant_id)
    assert grant.status.value == "disbursed"
    [tranche] = grant.tranches
    assert (tranche.paid_on, tranche.amount, tranche.method.value, tranche.purchased) == (
        paid_on,
        2_000_000,
        "bank_transfer",
        "Lợn giống",
    )
    assert tranche.recorded_by_id == world.coordinator.id
    assert follow_ups(app, grant_id) == [
        (n, add_months(paid_on, n), paid_on, "scheduled") for n in (1, 3, 6, 12)
    ]
    assert events(app, grant_id)[-1] == ("disbursed", "disbursed", world.coordinator.id, None)

    page = coordinator.get(f"/grants/{grant_id}").get_data(as_text=True)
    assert status_shown(app, page, GrantStatus.DISBURSED)
    assert "Lợn giống" in section(page, "Disbursements")
    visits = section(page, "Follow-up visits")
    for n in (1, 3, 6, 12):
        assert re.search(rf"\b{n} months?\b", visits)
    assert visits.count("/visit") == 4


def test_follow_up_months_come_from_the_configuration(app, world, coordinator):
    app.config["FOLLOW_UP_MONTHS"] = (2, 9)
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    paid_on = today() - timedelta(days=3)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new", data=tranche_form(paid_on=paid_on.isoformat())
    )
    assert response.status_code == 302
    assert follow_ups(app, grant_id) == [
        (2, add_months(paid_on, 2), paid_on, "scheduled"),
        (9, add_months(paid_on, 9), paid_on, "scheduled"),
    ]


def test_a_second_tranche_pays_up_to_the_approved_total_without_new_follow_ups(
    app, world, coordinator
):
    first_on = today() - timedelta(days=30)
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        requested=5_000_000,
        paid=2_000_000,
        paid_on=first_on,
    )
    before = follow_ups(app, grant_id)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(paid_on=today().isoformat(), amount="3.000.000", method="in_kind"),
    )
    assert response.status_code == 302
    grant = grant_row(app, grant_id)
    assert grant.status.value == "disbursed"
    assert [t.amount for t in grant.tranches] == [2_000_000, 3_000_000]
    assert (grant.paid, grant.remaining) == (5_000_000, 0)
    assert follow_ups(app, grant_id) == before  # still from the first disbursement
    assert [e[0] for e in events(app, grant_id)][-2:] == ["disbursed", "disbursed"]
    page = coordinator.get(f"/grants/{grant_id}").get_data(as_text=True)
    assert f"/grants/{grant_id}/tranches/new" not in page  # nothing left to pay


def test_a_second_tranche_dated_before_the_first_moves_the_open_follow_ups(app, world, coordinator):
    """Follow-ups are due N months after the first disbursement, whichever tranche
    turns out to be the first."""
    first_on = today() - timedelta(days=10)
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        requested=5_000_000,
        paid=2_000_000,
        paid_on=first_on,
    )
    earlier = today() - timedelta(days=25)
    response = coordinator.post(
        f"/grants/{grant_id}/tranches/new",
        data=tranche_form(paid_on=earlier.isoformat(), amount="1000000"),
    )
    assert response.status_code == 302
    assert follow_ups(app, grant_id) == [
        (n, add_months(earlier, n), earlier, "scheduled") for n in (1, 3, 6, 12)
    ]


def test_recording_a_visit_closes_that_follow_up_only(app, world, facilitator):
    paid_on = today() - timedelta(days=40)
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        paid_on=paid_on,
    )
    one_month, *later = follow_up_ids(app, grant_id)
    visited_on = today() - timedelta(days=5)
    response = facilitator.post(
        f"/follow-ups/{one_month}/visit",
        data=visit_form(
            visited_on=visited_on.isoformat(),
            business_status="struggling",
            monthly_income="800000",
            notes="Một con lợn bị ốm.",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/grants/{grant_id}"
    assert [s for *_rest, s in follow_ups(app, grant_id)] == [
        "done",
        "scheduled",
        "scheduled",
        "scheduled",
    ]
    with app.app_context():
        visit = db.session.scalar(select(Visit).where(Visit.follow_up_id == one_month))
        assert (visit.visited_on, visit.business_status.value, visit.monthly_income) == (
            visited_on,
            "struggling",
            800_000,
        )
        assert (visit.notes, visit.visitor_id, visit.member_id, visit.grant_id) == (
            "Một con lợn bị ốm.",
            world.facilitator.id,
            world.mai.id,
            grant_id,
        )
    assert events(app, grant_id)[-1] == ("visited", "disbursed", world.facilitator.id, None)
    visits = section(
        facilitator.get(f"/grants/{grant_id}").get_data(as_text=True), "Follow-up visits"
    )
    assert in_english(app, Outcome.STRUGGLING.label) in visits
    assert f"/follow-ups/{one_month}/visit" not in visits
    assert all(f"/follow-ups/{f}/visit" in visits for f in later)


def test_closing_with_an_outcome_cancels_the_open_follow_ups(app, world, facilitator, coordinator):
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        paid_on=today() - timedelta(days=40),
    )
    one_month = follow_up_ids(app, grant_id)[0]
    assert facilitator.post(f"/follow-ups/{one_month}/visit", data=visit_form()).status_code == 302

    assert coordinator.get(f"/grants/{grant_id}/close").status_code == 200
    closed = coordinator.post(
        f"/grants/{grant_id}/close",
        data={"outcome": "stopped", "note": "Chuyển sang làm công nhân."},
    )
    assert closed.status_code == 302
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.outcome.value) == ("closed", "stopped")
    assert [s for *_rest, s in follow_ups(app, grant_id)] == [
        "done",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert events(app, grant_id)[-1] == (
        "closed",
        "closed",
        world.coordinator.id,
        "Chuyển sang làm công nhân.",
    )
    page = coordinator.get(f"/grants/{grant_id}").get_data(as_text=True)
    closed_label, stopped = (
        in_english(app, x.label) for x in (GrantStatus.CLOSED, Outcome.STOPPED)
    )
    assert f"<strong>{closed_label}</strong> · {stopped}" in page
    assert "Chuyển sang làm công nhân." in section(page, "Timeline")
    assert "/visit" not in section(page, "Follow-up visits")
    due = facilitator.get("/due").get_data(as_text=True)
    assert "/visit" not in due  # nothing is due any more


# Separation of duties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drafted_by", "submitted_by"),
    [
        ("coordinator", "coordinator"),  # a coordinator drafting for a member of their province
        ("coordinator", "facilitator"),
        ("facilitator", "coordinator"),
        ("facilitator", "admin"),
        ("admin", "facilitator"),
    ],
)
def test_whoever_drafted_or_submitted_a_grant_cannot_decide_on_it(
    app, world, drafted_by, submitted_by
):
    browsers = {
        name: client_for(app, getattr(world, name))
        for name in ("facilitator", "coordinator", "admin")
    }
    drafted = browsers[drafted_by].post(f"/members/{world.mai.id}/grants/new", data=grant_form())
    grant_id = grant_id_from(drafted)
    assert browsers[submitted_by].post(f"/grants/{grant_id}/submit").status_code == 302
    before = snapshot(app, grant_id)
    assert before["grant"]["status"].value == "submitted"

    for name in {drafted_by, submitted_by} - {"facilitator"}:
        browser = browsers[name]
        assert browser.get(f"/grants/{grant_id}/decide").status_code == 403
        for decision in ("approve", "reject", "return"):
            response = browser.post(
                f"/grants/{grant_id}/decide",
                data={"decision": decision, "amount": "5000000", "note": "Tôi tự duyệt."},
            )
            assert response.status_code == 403
        page = browser.get(f"/grants/{grant_id}").get_data(as_text=True)
        assert f"/grants/{grant_id}/decide" not in page
        assert snapshot(app, grant_id) == before

    # Someone else of the province still can.
    other = client_for(app, world.second_coordinator)
    response = other.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": "5000000"}
    )
    assert response.status_code == 302
    assert grant_row(app, grant_id).status.value == "approved"


def test_an_earlier_submitter_cannot_decide_after_someone_else_resubmits(app, world):
    """Submitting, having it sent back and asking a colleague to resubmit must not open
    the way to approving one's own submission."""
    admin = client_for(app, world.admin)
    coordinator = client_for(app, world.coordinator)
    facilitator = client_for(app, world.facilitator)
    grant_id = make_grant(app, world.mai, drafter=world.facilitator)
    assert admin.post(f"/grants/{grant_id}/submit").status_code == 302
    assert (
        coordinator.post(
            f"/grants/{grant_id}/decide", data={"decision": "return", "note": "Thiếu giá."}
        ).status_code
        == 302
    )
    assert facilitator.post(f"/grants/{grant_id}/submit").status_code == 302
    before = snapshot(app, grant_id)

    assert admin.get(f"/grants/{grant_id}/decide").status_code == 403
    response = admin.post(
        f"/grants/{grant_id}/decide", data={"decision": "approve", "amount": "5000000"}
    )
    assert response.status_code == 403
    assert snapshot(app, grant_id) == before


# Date correction -------------------------------------------------------------------------------


def test_correcting_the_disbursement_date_moves_open_follow_ups_and_keeps_done_ones(
    app, world, facilitator, coordinator
):
    paid_on = today() - timedelta(days=100)
    grant_id = make_grant(
        app,
        world.mai,
        drafter=world.facilitator,
        upto="disbursed",
        decider=world.coordinator,
        paid_on=paid_on,
    )
    one_month = follow_up_ids(app, grant_id)[0]
    visited = facilitator.post(
        f"/follow-ups/{one_month}/visit",
        data=visit_form(visited_on=(paid_on + timedelta(days=35)).isoformat()),
    )
    assert visited.status_code == 302
    [tranche_id] = tranche_ids(app, grant_id)

    form = coordinator.get(f"/tranches/{tranche_id}/edit")
    assert form.status_code == 200
    assert f'value="{paid_on.isoformat()}"' in form.get_data(as_text=True)
    corrected_on = paid_on - timedelta(days=12)
    response = coordinator.post(
        f"/tranches/{tranche_id}/edit",
        data=tranche_form(paid_on=corrected_on.isoformat(), amount="5000000"),
    )
    assert response.status_code == 302
    assert grant_row(app, grant_id).tranches[0].paid_on == corrected_on
    assert follow_ups(app, grant_id) == [
        (1, add_months(paid_on, 1), paid_on, "done"),
        (3, add_months(corrected_on, 3), corrected_on, "scheduled"),
        (6, add_months(corrected_on, 6), corrected_on, "scheduled"),
        (12, add_months(corrected_on, 12), corrected_on, "scheduled"),
    ]
    assert events(app, grant_id)[-1] == ("corrected", "disbursed", world.coordinator.id, None)


# Two coordinators at once ----------------------------------------------------------------------


def test_a_decision_on_a_grant_already_decided_by_another_coordinator_is_refused(
    app, world, coordinator
):
    grant_id = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    second = client_for(app, world.second_coordinator)
    use_english(second)
    assert coordinator.get(f"/grants/{grant_id}/decide").status_code == 200
    assert second.get(f"/grants/{grant_id}/decide").status_code == 200

    approved = coordinator.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "approve", "amount": "4000000", "note": "Đồng ý."},
    )
    assert approved.status_code == 302
    after_first = snapshot(app, grant_id)

    late = second.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "reject", "note": "Không phù hợp."},
    )
    assert refused_with_form_error(late)
    # Says why: the grant is approved now, no longer waiting for a decision.
    message = error_flash(late.get_data(as_text=True))
    assert in_english(app, GrantStatus.APPROVED.label) in message
    assert snapshot(app, grant_id) == after_first
    grant = grant_row(app, grant_id)
    assert (grant.status.value, grant.amount_approved) == ("approved", 4_000_000)


# Due lists --------------------------------------------------------------------------------------


@pytest.fixture
def due_world(app, world):
    """Paid-out grants with one follow-up each placed around today: Mai's overdue, Lan's
    due today, one of Mai's next week; and an overdue one in the Nghệ An group."""
    monday_next_week = today() + timedelta(days=7 - today().weekday())
    mai_grant = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    lan_grant = make_grant(
        app, world.lan, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    far_grant = make_grant(
        app,
        world.other_member,
        drafter=world.other_facilitator,
        upto="disbursed",
        decider=world.other_coordinator,
    )
    mai_ids, lan_ids, far_ids = (follow_up_ids(app, g) for g in (mai_grant, lan_grant, far_grant))
    overdue, next_week = mai_ids[0], mai_ids[1]
    due_today, far_overdue = lan_ids[0], far_ids[0]
    set_due(app, overdue, today() - timedelta(days=9))
    set_due(app, next_week, monday_next_week)
    set_due(app, due_today, today())
    set_due(app, far_overdue, today() - timedelta(days=3))
    for rest in (mai_ids[2:], lan_ids[1:], far_ids[1:]):
        for f in rest:
            set_due(app, f, today() + timedelta(days=60))
    return overdue, due_today, next_week, far_overdue


def listed(page: str, follow_up_id: int) -> bool:
    return f'href="/follow-ups/{follow_up_id}/visit"' in page


def test_facilitator_due_list_has_this_weeks_and_overdue_visits_of_their_groups_only(
    app, world, facilitator, due_world
):
    overdue, due_today, next_week, far_overdue = due_world
    response = facilitator.get("/due")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Visits due this week" in page
    assert listed(page, overdue) and listed(page, due_today)
    assert not listed(page, next_week)
    assert not listed(page, far_overdue)
    assert world.other_member.code not in page
    assert world.other_group.code not in page
    # Overdue first, and marked.
    assert page.index(world.mai.code) < page.index(world.lan.code)
    assert page.count('class="overdue"') == 1


def test_facilitator_due_list_prints_without_buttons(app, world, facilitator, due_world):
    page = facilitator.get("/due").get_data(as_text=True)
    assert '<table class="due">' in page
    assert page.count('<td class="no-print">') == 2
    assert '<span class="print-only">Lê Thị Thu</span>' in page  # whose list, on paper
    with facilitator.get("/static/app.css") as response:
        css = response.get_data(as_text=True)
    print_rules = " ".join(css.split("@media print")[1:])
    assert ".no-print { display: none; }" in print_rules
    assert ".print-only { display: inline; }" in print_rules


def test_coordinator_due_list_has_overdue_visits_of_their_provinces_only(
    app, world, coordinator, due_world
):
    overdue, due_today, next_week, far_overdue = due_world
    page = coordinator.get("/due").get_data(as_text=True)
    assert "Overdue visits" in page
    assert listed(page, overdue)
    assert not listed(page, due_today)  # due, not late
    assert not listed(page, next_week)
    assert not listed(page, far_overdue)

    other = client_for(app, world.other_coordinator)
    page = other.get("/due").get_data(as_text=True)
    assert listed(page, far_overdue)
    assert not listed(page, overdue)
    assert world.mai.code not in page


def test_a_visit_recorded_from_the_due_list_leaves_it(app, world, facilitator, due_world):
    overdue = due_world[0]
    response = facilitator.post(f"/follow-ups/{overdue}/visit", data=visit_form())
    assert response.status_code == 302
    assert not listed(facilitator.get("/due").get_data(as_text=True), overdue)


def test_the_database_keeps_each_grants_paid_total_whatever_writes_the_payment(app, world):
    """grants.paid_vnd and first_tranche_on follow the tranches through plain SQL too (an
    import, a console): a payment added, corrected, moved to another grant, removed."""
    from livelihoods.models import Grant, Tranche

    first = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    second = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    table = Tranche.__table__
    day = today()
    earlier = day - timedelta(days=10)

    def kept(column) -> tuple:
        db.session.expire_all()
        grants = (first, second)
        return tuple(db.session.scalar(select(column).where(Grant.id == g)) for g in grants)

    def paid() -> tuple:
        return kept(Grant.paid_vnd)

    def first_paid() -> tuple:
        return kept(Grant.first_tranche_on)

    with app.app_context():
        assert paid() == (0, 0) and first_paid() == (None, None)
        row = {"method": "cash", "grant_id": first}
        db.session.execute(table.insert().values(amount=1_000_000, paid_on=day, **row))
        db.session.execute(table.insert().values(amount=500_000, paid_on=day, **row))
        assert paid() == (1_500_000, 0) and first_paid() == (day, None)
        db.session.execute(
            table.update().where(table.c.amount == 500_000).values(amount=700_000, paid_on=earlier)
        )
        assert paid() == (1_700_000, 0) and first_paid() == (earlier, None)
        db.session.execute(
            table.update().where(table.c.amount == 700_000).values(grant_id=second)
        )
        assert paid() == (1_000_000, 700_000) and first_paid() == (day, earlier)
        db.session.execute(table.delete().where(table.c.grant_id == first))
        assert paid() == (0, 700_000) and first_paid() == (None, earlier)
        db.session.rollback()
