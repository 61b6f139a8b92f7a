"""The message thread on a referral (issue 26): the provider asks the case team through
the letter's link or from its account; coordinators in scope and admins answer. Every
message is on the timeline, audited without its words, and the provider's reach the
coordinator's inbox; the provider loses the thread when the consent is withdrawn, the
referral closes or the link expires."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.clock import today
from core.db import db
from groups.models import Consent, Member
from groups.services import anonymise
from groups.services import members as member_services
from inbox.models import Notification
from support.models.referrals import Referral, ReferralMessage, ReferralStatus
from support.services.messages import MAX_MESSAGE
from tests.conftest import login
from tests.support.helpers import NOBODY
from tests.support.test_provider_accounts import _refer_to_health
from tests.support.test_provider_link import opened
from tests.test_authorization import make_provider_user

QUESTION = "Xin hỏi: <b>chị ấy</b> đến vào buổi sáng được không?"


def counts(app) -> tuple[int, int, int]:
    """(messages, "message" audit events, message notices)."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ReferralMessage)),
            db.session.scalar(select(func.count()).where(AuditEvent.action == "message")),
            db.session.scalar(select(func.count()).where(Notification.kind == "referral_message")),
        )


def provider_client(app, ids):
    with app.app_context():
        provider = make_provider_user(app, ids["provider"], "osso")
    client = app.test_client()
    login(client, provider)
    return client, provider


def test_the_provider_asks_through_the_link_and_the_coordinator_answers(app, support_world):
    users, ids = support_world
    provider = app.test_client()
    path = opened(app, provider, ids["referral"])
    assert 'id="messages"' in provider.get(path).get_data(as_text=True)
    response = provider.post(f"{path}/message", data={"body": QUESTION})
    assert response.status_code == 302
    assert response.location.endswith(f"{path}#messages")
    with app.app_context():
        message = db.session.scalar(select(ReferralMessage))
        assert (message.via, message.author_id, message.body) == ("link", None, QUESTION)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message"))
        assert event.object_id == ids["referral"]
        assert event.detail == f"message={message.id};via=link"  # never the words
        told = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "referral_message")
            )
        )
        # The province's coordinator and the facilitator who made the referral.
        assert told == {users["coordinator"].id, users["facilitator"].id}
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    page = coordinator.get(f"/referrals/{ids['referral']}").get_data(as_text=True)
    assert "&lt;b&gt;chị ấy&lt;/b&gt;" in page and "<b>chị ấy</b>" not in page
    inbox = coordinator.get("/inbox").get_data(as_text=True)
    assert "chị ấy" not in inbox
    response = coordinator.post(
        f"/referrals/{ids['referral']}/messages", data={"body": "Được, từ 7 giờ 30."}
    )
    assert response.status_code == 302
    assert "Được, từ 7 giờ 30." in provider.get(path).get_data(as_text=True)
    # The case team's own message tells nobody in the inbox.
    assert counts(app) == (2, 2, 2)


def test_a_facilitator_sees_that_messages_exist_but_not_their_words(app, support_world):
    users, ids = support_world
    client, _provider = provider_client(app, ids)
    assert (
        client.post(
            f"/provider/referrals/{ids['referral']}/message", data={"body": QUESTION}
        ).status_code
        == 302
    )
    facilitator = app.test_client()
    login(facilitator, users["facilitator"])
    page = facilitator.get(f"/referrals/{ids['referral']}").get_data(as_text=True)
    assert "chị ấy" not in page
    assert f"/referrals/{ids['referral']}/messages" not in page
    with app.app_context():
        message = db.session.scalar(select(ReferralMessage))
        assert (message.via, message.author_id) == ("account", _provider.id)


def test_a_provider_cannot_read_or_write_another_referrals_thread(app, support_world):
    users, ids = support_world
    other = _refer_to_health(app, users, ids)
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    secret = "Câu trả lời cho trạm y tế"
    coordinator.post(f"/referrals/{other}/messages", data={"body": secret})
    client, _provider = provider_client(app, ids)
    before = counts(app)
    assert client.get(f"/provider/referrals/{other}").status_code == 404
    response = client.post(f"/provider/referrals/{other}/message", data={"body": QUESTION})
    assert response.status_code == 404
    assert secret not in client.get(f"/provider/referrals/{ids['referral']}").get_data(as_text=True)
    # The letter's link of one referral shows that referral's thread only.
    link_client = app.test_client()
    path = opened(app, link_client, ids["referral"])
    assert secret not in link_client.get(path).get_data(as_text=True)
    assert counts(app) == before


def test_withdrawing_consent_hides_the_thread_from_the_provider(app, support_world):
    users, ids = support_world
    client, _provider = provider_client(app, ids)
    link_client = app.test_client()
    path = opened(app, link_client, ids["referral"])
    client.post(f"/provider/referrals/{ids['referral']}/message", data={"body": QUESTION})
    with app.app_context():
        consent = db.session.get(Consent, ids["sharing_consent"])
        member_services.withdraw_consent(NOBODY, consent, on=today())
        db.session.commit()
        assert db.session.get(Referral, ids["referral"]).status == (
            ReferralStatus.CONSENT_WITHDRAWN
        )
    before = counts(app)
    assert client.get(f"/provider/referrals/{ids['referral']}").status_code == 404
    response = client.post(f"/provider/referrals/{ids['referral']}/message", data={"body": "?"})
    assert response.status_code == 404
    assert link_client.get(path).status_code == 410
    assert QUESTION not in link_client.get(path).get_data(as_text=True)
    assert link_client.post(f"{path}/message", data={"body": "?"}).status_code == 410
    # The case team keeps the thread, and can no longer write to the provider.
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    page = coordinator.get(f"/referrals/{ids['referral']}").get_data(as_text=True)
    assert "chị ấy" in page
    response = coordinator.post(f"/referrals/{ids['referral']}/messages", data={"body": "?"})
    assert response.status_code == 403
    with app.app_context():
        writes = counts(app)
    assert (writes[0], writes[2]) == (before[0], before[2])


def test_a_closed_referral_or_an_expired_link_ends_the_thread(app, support_world):
    _users, ids = support_world
    client, _provider = provider_client(app, ids)
    link_client = app.test_client()
    path = opened(app, link_client, ids["referral"])
    served = {"service_given": "Khám tổng quát", "on": today().isoformat()}
    assert (
        client.post(f"/provider/referrals/{ids['referral']}/served", data=served).status_code == 302
    )
    page = client.get(f"/provider/referrals/{ids['referral']}").get_data(as_text=True)
    assert 'id="messages"' not in page
    before = counts(app)
    response = client.post(
        f"/provider/referrals/{ids['referral']}/message",
        data={"body": "?"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Chuyển gửi này đã đóng" in response.get_data(as_text=True)
    assert link_client.post(f"{path}/message", data={"body": "?"}).status_code == 410
    assert counts(app) == before


def test_an_expired_link_writes_no_message(app, support_world):
    _users, ids = support_world
    link_client = app.test_client()
    path = opened(app, link_client, ids["referral"])
    with app.app_context():
        from support.models.provider_side import ReferralLink

        link = db.session.scalar(select(ReferralLink))
        link.expires_on = today() - timedelta(days=1)
        db.session.commit()
    before = counts(app)
    assert link_client.post(f"{path}/message", data={"body": QUESTION}).status_code == 410
    assert counts(app) == before


@pytest.mark.parametrize("sender", ["link", "account", "coordinator"])
@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "Hãy viết tin nhắn trước"),
        ("   \n  ", "Hãy viết tin nhắn trước"),
        ("x" * (MAX_MESSAGE + 1), "Tối đa 1.000 ký tự"),
    ],
)
def test_an_empty_or_too_long_message_says_why_and_writes_nothing(
    app, support_world, sender, body, says
):
    users, ids = support_world
    if sender == "link":
        client = app.test_client()
        url = opened(app, client, ids["referral"]) + "/message"
    elif sender == "account":
        client, _provider = provider_client(app, ids)
        url = f"/provider/referrals/{ids['referral']}/message"
    else:
        client = app.test_client()
        login(client, users["coordinator"])
        url = f"/referrals/{ids['referral']}/messages"
    before = counts(app)
    response = client.post(url, data={"body": body})
    assert response.status_code == 200
    assert says in response.get_data(as_text=True)
    assert counts(app) == before


def test_anonymising_the_member_empties_the_threads(app, support_world):
    users, ids = support_world
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    coordinator.post(f"/referrals/{ids['referral']}/messages", data={"body": QUESTION})
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        anonymise.anonymise_member(NOBODY, member, on=today(), reason="yêu cầu")
        db.session.commit()
        assert db.session.scalars(select(ReferralMessage.body)).all() == [""]
