"""Irreversible one-tap actions ask first (a page that works without JavaScript); a visit
that could not happen needs a reason and can be undone the same day by whoever marked it;
visit notes are shown again; staff who may see a member see who the person is."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from accounts.models import Role, User
from core.clock import today
from core.db import db, utcnow
from groups.models import Consent, ConsentPurpose, Member
from livelihoods.models import FollowUp, FollowUpStatus, Grant, GrantStatus
from tests.conftest import login, scripts_beyond_the_outbox
from tests.livelihoods.grant_fixtures import (
    build_world,
    client_for,
    follow_up_ids,
    make_grant,
    visit_form,
)


@pytest.fixture
def world(make_user, make_group, make_member):
    return build_world(make_user, make_group, make_member)


@pytest.fixture
def paid(app, world):
    return make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )


def status_of(app, follow_up_id: int) -> FollowUpStatus:
    with app.app_context():
        return db.session.get(FollowUp, follow_up_id).status


# The confirmation pages: opening one changes nothing; the second button does it.
def confirmations(app, world, paid):
    with app.app_context():
        consent = db.session.scalar(select(Consent.id).where(Consent.member_id == world.mai.id))
    draft = make_grant(app, world.lan, drafter=world.facilitator, upto="draft")
    follow_up = follow_up_ids(app, paid)[0]

    def consent_active():
        with app.app_context():
            return db.session.get(Consent, consent).withdrawn_on is None

    def user_active():
        with app.app_context():
            return db.session.get(User, world.other_facilitator.id).active

    def grant_draft():
        with app.app_context():
            return db.session.get(Grant, draft).status == GrantStatus.DRAFT

    def visit_open():
        return status_of(app, follow_up) == FollowUpStatus.SCHEDULED

    return [
        (
            world.facilitator,
            f"/members/{world.mai.id}/consents/{consent}/withdraw",
            {"on": today().isoformat()},
            consent_active,
        ),
        (world.admin, f"/admin/users/{world.other_facilitator.id}/active", {}, user_active),
        (world.facilitator, f"/grants/{draft}/submit", {}, grant_draft),
        (world.facilitator, f"/follow-ups/{follow_up}/missed", {"reason": "Đi vắng"}, visit_open),
    ]


def test_each_irreversible_action_asks_first_and_acts_only_on_the_second_button(app, world, paid):
    for user, url, data, unchanged in confirmations(app, world, paid):
        client = client_for(app, user)
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert f'action="{url}"' in html or '<form method="post" novalidate>' in html
        assert scripts_beyond_the_outbox(html) == []
        assert unchanged(), url  # opening the page did nothing
        assert client.post(url, data=data).status_code == 302, url
        assert not unchanged(), url  # the confirmation did it


def test_the_pages_that_had_one_tap_buttons_now_link_to_the_confirmation(app, world, paid):
    facilitator = client_for(app, world.facilitator)
    follow_up = follow_up_ids(app, paid)[0]
    visit_page = facilitator.get(f"/follow-ups/{follow_up}/visit").get_data(as_text=True)
    assert f'href="/follow-ups/{follow_up}/missed"' in visit_page
    assert f'action="/follow-ups/{follow_up}/missed"' not in visit_page
    member_page = facilitator.get(f"/members/{world.mai.id}").get_data(as_text=True)
    assert "/withdraw" in member_page and 'action="/members/' not in member_page.replace(
        f'action="/members/{world.mai.id}/consents"', ""
    )


def test_a_missed_visit_needs_a_reason(app, world, paid):
    facilitator = client_for(app, world.facilitator)
    follow_up = follow_up_ids(app, paid)[0]
    for reason in ("", "   "):
        response = facilitator.post(f"/follow-ups/{follow_up}/missed", data={"reason": reason})
        assert response.status_code == 200
        assert 'id="reason-error"' in response.get_data(as_text=True)
    assert status_of(app, follow_up) == FollowUpStatus.SCHEDULED


def test_a_missed_visit_shows_why_and_can_be_undone_the_same_day_by_the_same_person(
    app, world, paid
):
    facilitator = client_for(app, world.facilitator)
    coordinator = client_for(app, world.coordinator)
    follow_up = follow_up_ids(app, paid)[0]
    facilitator.post(f"/follow-ups/{follow_up}/missed", data={"reason": "Chuyển đi nơi khác"})
    assert status_of(app, follow_up) == FollowUpStatus.MISSED
    page = facilitator.get(f"/follow-ups/{follow_up}/visit").get_data(as_text=True)
    assert "Chuyển đi nơi khác" in page
    assert f'action="/follow-ups/{follow_up}/missed/undo"' in page
    assert 'href="/due"' in page  # not a dead end
    # Someone else cannot undo it.
    assert "/missed/undo" not in coordinator.get(f"/follow-ups/{follow_up}/visit").get_data(
        as_text=True
    )
    coordinator.post(f"/follow-ups/{follow_up}/missed/undo")
    assert status_of(app, follow_up) == FollowUpStatus.MISSED
    # Nor can the facilitator on another day.
    with app.app_context():
        db.session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up)
            .values(missed_at=utcnow() - timedelta(days=1))  # marked yesterday
        )
        db.session.commit()
    facilitator.post(f"/follow-ups/{follow_up}/missed/undo")
    assert status_of(app, follow_up) == FollowUpStatus.MISSED
    # The same day, the same person: back on the list, reason cleared.
    with app.app_context():
        db.session.execute(
            update(FollowUp).where(FollowUp.id == follow_up).values(missed_at=utcnow())
        )
        db.session.commit()
    facilitator.post(f"/follow-ups/{follow_up}/missed/undo")
    assert status_of(app, follow_up) == FollowUpStatus.SCHEDULED
    with app.app_context():
        assert db.session.get(FollowUp, follow_up).missed_reason is None


def test_visit_notes_are_shown_on_the_member_page_grant_page_and_next_visit_form(app, world, paid):
    facilitator = client_for(app, world.facilitator)
    first, second = follow_up_ids(app, paid)[:2]
    notes = "Đàn gà phát triển tốt"
    assert (
        facilitator.post(f"/follow-ups/{first}/visit", data=visit_form(notes=notes)).status_code
        == 302
    )
    for client in (facilitator, client_for(app, world.coordinator), client_for(app, world.admin)):
        for url in (f"/members/{world.mai.id}", f"/grants/{paid}", f"/follow-ups/{second}/visit"):
            assert notes in client.get(url).get_data(as_text=True), url
    # Staff of another province see nothing of it.
    other = client_for(app, world.other_coordinator)
    for url in (f"/members/{world.mai.id}", f"/grants/{paid}", f"/follow-ups/{second}/visit"):
        response = other.get(url)
        assert response.status_code in (403, 404) and notes not in response.get_data(as_text=True)


def test_the_member_page_lists_attendance_meeting_by_meeting(app, world, make_meeting):
    from datetime import date

    meeting = make_meeting(world.group, date(2025, 3, 3), {world.mai.id: "absent"})
    html = client_for(app, world.facilitator).get(f"/members/{world.mai.id}").get_data(as_text=True)
    assert f'href="/meetings/{meeting.id}"' in html
    assert 'class="att-absent"' in html


@pytest.mark.parametrize(
    "url",
    ["/due", "/grants", "/grants/{paid}", "/grants/{paid}/decide", "/follow-ups/{follow_up}/visit"],
)
def test_staff_see_who_the_member_is_with_the_phone_only_with_consent(app, world, url):
    with app.app_context():
        db.session.execute(
            update(Member).where(Member.id == world.mai.id).values(phone="0912345678")
        )
        db.session.commit()
    paid = (
        make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
        if "decide" in url
        else make_grant(
            app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
        )
    )
    follow_up = follow_up_ids(app, paid)[0] if "follow-ups" in url else None
    target = url.format(paid=paid, follow_up=follow_up)
    viewer = world.coordinator if "decide" in url else world.facilitator
    client = client_for(app, viewer)
    html = client.get(target).get_data(as_text=True)
    assert f'<a href="/members/{world.mai.id}">Trần Thị Mai</a>' in html, target
    assert world.mai.code in html
    assert "Thôn Đông" in html  # the village
    assert "0912345678" not in html  # no consent to be called
    with app.app_context():
        db.session.add(
            Consent(member_id=world.mai.id, purpose=ConsentPurpose.PHONE_CONTACT, given_on=today())
        )
        db.session.commit()
    assert 'href="tel:0912345678"' in client.get(target).get_data(as_text=True), target


def test_a_member_logging_out_lands_on_the_member_login(app, client, make_user):
    member = make_user(Role.MEMBER)
    login(client, member)
    response = client.post("/logout")
    assert response.headers["Location"] == "/login/member"
    staff_page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/member"' in staff_page
