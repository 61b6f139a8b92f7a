"""Referrals: consent-bound, in the member's province, with a timeline and a letter."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.clock import today
from core.db import db
from groups.models import Consent
from support.models.referrals import Referral, ReferralStatus
from tests.conftest import login as plain_login


def login(client, user):
    plain_login(client, user)
    client.post("/language", data={"locale": "en"})


def count(app, model=Referral):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def refer(client, ids, provider, **overrides):
    data = {
        "provider_id": str(provider),
        "service": "legal",
        "reason": "Cần tư vấn về giấy tờ",
        "expected_on": (today() + timedelta(days=10)).isoformat(),
        **overrides,
    }
    return client.post(f"/members/{ids['member']}/referrals/new", data=data)


def test_facilitator_refers_with_consent_and_the_timeline_starts(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    response = refer(client, ids, ids["provider"])
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        assert referral.status == ReferralStatus.REFERRED
        assert referral.consent_id == ids["sharing_consent"]
        assert [(e.from_status, e.to_status) for e in referral.events] == [
            (None, ReferralStatus.REFERRED)
        ]
        assert referral.referred_by_id == users["facilitator"].id


def test_without_consent_for_that_provider_nothing_is_sent(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    before = count(app)
    response = refer(client, ids, ids["health"])
    assert response.status_code == 200
    assert "has not agreed to share" in response.text
    assert count(app) == before


def test_withdrawing_consent_blocks_new_referrals_at_once(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    url = f"/members/{ids['member']}/consents/{ids['sharing_consent']}/withdraw"
    assert client.post(url, data={"on": today().isoformat()}).status_code == 302
    with app.app_context():
        assert not db.session.get(Consent, ids["sharing_consent"]).active
    before = count(app)
    response = refer(client, ids, ids["provider"])
    assert response.status_code == 200 and "has withdrawn it" in response.text
    assert count(app) == before


def test_recording_consent_for_a_provider_lets_the_referral_through(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    missing = client.post(
        f"/members/{ids['member']}/sharing-consent",
        data={"provider_id": str(ids["health"]), "given_on": today().isoformat()},
    )
    assert missing.status_code == 200  # the member's agreement was not ticked
    recorded = client.post(
        f"/members/{ids['member']}/sharing-consent",
        data={"provider_id": str(ids["health"]), "given_on": today().isoformat(), "confirm": "y"},
    )
    assert recorded.status_code == 302
    assert refer(client, ids, ids["health"]).status_code == 302


def test_a_provider_outside_the_members_province_is_refused(app, client, support_world):
    users, ids = support_world
    login(client, users["admin"])
    before = count(app)
    response = refer(client, ids, ids["far_provider"])
    assert response.status_code == 200 and "is not in the member" in response.text
    consent = client.post(
        f"/members/{ids['member']}/sharing-consent",
        data={
            "provider_id": str(ids["far_provider"]),
            "given_on": today().isoformat(),
            "confirm": "y",
        },  # fmt: skip
    )
    assert consent.status_code == 200
    assert count(app) == before


def test_an_expected_date_in_the_past_or_garbage_is_refused(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    before = count(app)
    past = refer(client, ids, ids["provider"], expected_on=(today() - timedelta(1)).isoformat())
    assert past.status_code == 200 and "cannot be in the past" in past.text
    for provider in ("abc", "99999", "", "１"):
        assert refer(client, ids, provider).status_code == 200
    assert refer(client, ids, ids["provider"], service="smuggling").status_code == 200
    assert count(app) == before


def test_status_changes_go_on_the_timeline_and_a_closed_referral_stays_closed(
    app, client, support_world
):
    users, ids = support_world
    login(client, users["coordinator"])
    url = f"/referrals/{ids['referral']}/status"
    ack = client.post(url, data={"to_status": "acknowledged", "on": today().isoformat()})
    assert ack.status_code == 302
    done = client.post(
        url, data={"to_status": "service_received", "on": today().isoformat(), "note": "Đã khám"}
    )
    assert done.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == ReferralStatus.SERVICE_RECEIVED
        assert referral.outcome == "Đã khám" and referral.closed_on == today()
        assert [e.to_status for e in referral.events] == [
            ReferralStatus.REFERRED,
            ReferralStatus.ACKNOWLEDGED,
            ReferralStatus.SERVICE_RECEIVED,
        ]
        assert referral.events[-1].actor_id == users["coordinator"].id
        events = len(referral.events)
    again = client.post(url, data={"to_status": "declined", "on": today().isoformat()})
    assert again.status_code == 302  # back to the referral with "closed"
    with app.app_context():
        assert len(db.session.get(Referral, ids["referral"]).events) == events


def test_a_status_date_in_the_future_or_before_the_referral_is_refused(app, client, support_world):
    users, ids = support_world
    login(client, users["coordinator"])
    url = f"/referrals/{ids['referral']}/status"
    future = (today() + timedelta(days=2)).isoformat()
    assert client.post(url, data={"to_status": "declined", "on": future}).status_code == 200
    before = (today() - timedelta(days=30)).isoformat()
    response = client.post(url, data={"to_status": "declined", "on": before})
    assert response.status_code == 200 and "before the referral was made" in response.text
    bogus = client.post(url, data={"to_status": "referred", "on": today().isoformat()})
    assert bogus.status_code == 200
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.REFERRED


def test_the_letter_carries_what_the_provider_needs_and_nothing_else(app, client, support_world):
    users, ids = support_world
    login(client, users["coordinator"])
    letter = client.get(f"/referrals/{ids['referral']}/letter")
    assert letter.status_code == 200
    text = letter.text
    assert "Trần Thị Mai" in text and "Cần khám sức khỏe tổng quát" in text
    assert "Văn phòng một cửa" in text and "1990" in text
    # Addressed to the provider, not "Until the date" (W1: "To" has a context per meaning).
    client.post("/language", data={"locale": "vi"})
    text = client.get(f"/referrals/{ids['referral']}/letter").text
    assert "Kính gửi" in text and "Đến ngày" not in text
    # Never the category, the group, or the screening.
    for word in ("Category", "Vulnerable migrant", "Nhóm Thôn Đông", "Score"):
        assert word not in text
    assert "@page" in (Path(app.static_folder) / "app.css").read_text()


def test_the_letter_says_who_sent_it_and_how_to_reply(app, client, support_world):
    """A provider can answer: the referrer's phone and the programme's office (usability F5)."""
    users, ids = support_world
    with app.app_context():
        referrer = db.session.get(Referral, ids["referral"]).referred_by
        referrer.phone = "0912418305"
        db.session.commit()
    app.config.update(
        OFFICE_NAME="Ban điều phối tỉnh", OFFICE_ADDRESS="12 Lê Lợi", OFFICE_PHONE="02343822555"
    )
    login(client, users["coordinator"])
    text = client.get(f"/referrals/{ids['referral']}/letter").text
    assert 'href="tel:0912418305"' in text and 'href="tel:02343822555"' in text
    assert "Ban điều phối tỉnh" in text and "12 Lê Lợi" in text
    app.config.update(OFFICE_NAME=None, OFFICE_PHONE=None)
    text = client.get(f"/referrals/{ids['referral']}/letter").text
    assert "Ban điều phối tỉnh" not in text and "tel:02343822555" not in text


def test_facilitator_sees_status_but_not_the_reason(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    page = client.get(f"/referrals/{ids['referral']}")
    assert page.status_code == 200
    assert "Referred" in page.text and "Cần khám sức khỏe tổng quát" not in page.text
    client.post("/logout", data={})
    login(client, users["coordinator"])
    assert "Cần khám sức khỏe tổng quát" in client.get(f"/referrals/{ids['referral']}").text
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.detail, event.object_type) == ("view", "notes", "referrals")


def test_anonymising_clears_what_was_written_about_the_member(app, client, support_world):
    from groups.models import Member
    from groups.services import anonymise
    from tests.support.helpers import NOBODY

    users, ids = support_world
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        anonymise.anonymise_member(NOBODY, member, on=today(), reason="request")
        db.session.commit()
        referral = db.session.get(Referral, ids["referral"])
        assert referral.reason == "" and all(e.note is None for e in referral.events)


def test_a_double_tapped_referral_is_made_once(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    before = count(app)
    assert refer(client, ids, ids["provider"]).status_code == 302
    second = refer(client, ids, ids["provider"])
    assert second.status_code == 409
    assert "already has an open referral" in second.text
    assert count(app) == before + 1


@pytest.mark.parametrize(
    ("name", "kind", "shown"),
    [
        # The type's words are in the name (one may differ): the name alone.
        (
            "Văn phòng hỗ trợ dịch vụ một điểm đến Hà Nội",
            "osso",
            "Văn phòng hỗ trợ dịch vụ một điểm đến Hà Nội",
        ),
        ("Cơ sở y tế Phong Điền", "health", "Cơ sở y tế Phong Điền"),
        # A name that does not say what the office is: the type after it.
        ("Hội Phụ nữ tỉnh", "legal", "Hội Phụ nữ tỉnh (Trung tâm trợ giúp pháp lý)"),
    ],
)
def test_a_provider_is_named_with_its_type_only_when_the_name_does_not_say_it(
    app, name, kind, shown
):
    from flask_babel import force_locale

    from support.models.referrals import ProviderType, ServiceProvider

    with app.test_request_context(), force_locale("vi"):
        provider = ServiceProvider(name=name, kind=ProviderType(kind))
        assert provider.name_with_kind == shown


@pytest.mark.parametrize("page", ["/referrals/{id}", "/referrals/{id}/status"])
def test_an_outcome_typed_on_a_page_opened_before_the_provider_answered(
    app, client, support_world, page
):
    """Issue 22 (a status change on a record that changed since the page was opened): the
    coordinator opens the referral; meanwhile the provider answers that it received it.
    'Declined' typed on the old page saves nothing (409); sent again after a look, it goes."""
    import re

    from support.services import referrals as services
    from tests.support.helpers import NOBODY

    users, ids = support_world
    login(client, users["coordinator"])
    opened = client.get(page.format(id=ids["referral"])).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', opened).group(1)
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        services.change_status(
            NOBODY, referral, to=ReferralStatus.ACKNOWLEDGED, on=today(), note=None,
            today=today(),
        )  # fmt: skip
        db.session.commit()
    url = f"/referrals/{ids['referral']}/status"
    data = {"to_status": "declined", "on": today().isoformat(), "version": version}
    response = client.post(url, data=data)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.ACKNOWLEDGED
    data["version"] = re.search(r'name="version"[^>]*value="(\d+)"', response.text).group(1)
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.DECLINED
