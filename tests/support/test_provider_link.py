"""The letter's link (issue 26): a provider without an account answers one referral.

The link needs the code printed beside it; it stops at once when the consent is
withdrawn or the referral closes, and when it expires; wrong codes are throttled like a
login; every refusal is audited; every answer is a dated event on the timeline, a notice
in the inbox of the referrer and the province's coordinators, and stops the chase.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.clock import today
from core.db import db
from core.errors import DomainError
from groups.models import Consent
from groups.services import members as member_services
from inbox.models import Notification
from livelihoods.models import FollowUp
from support.jobs import open_referral_checks
from support.models.provider_side import ReferralLink
from support.models.referrals import Referral, ReferralEvent, ReferralStatus
from support.services import provider_answers, provider_links
from tests.conftest import login
from tests.support.helpers import NOBODY

DAY = today().isoformat()


def make_link(app, referral_id: int) -> tuple[str, str, int]:
    """(address path, code, link id) of the referral's letter link."""
    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        link = provider_links.ensure_link(
            referral, today=today(), days=30, secret=app.config["SECRET_KEY"]
        )
        db.session.commit()
        token = provider_links.link_token(link, app.config["SECRET_KEY"])
        return f"/r/{token}", provider_links.link_code(link, app.config["SECRET_KEY"]), link.id


def refusals(app, detail_start: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(
                AuditEvent.action == "provider_link_refused",
                AuditEvent.detail.startswith(detail_start),
            )
        )


def opened(app, client, referral_id: int):
    path, code, _link = make_link(app, referral_id)
    response = client.post(path, data={"code": code.lower()[:3] + "-" + code[3:]})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return path


def submission_key(page: str, action: str) -> str:
    form = page.split(f'action="{action}"', 1)[1]
    return re.search(r'name="submission" type="hidden" value="([^"]+)"', form).group(1)


def test_the_letter_carries_a_link_a_qr_code_and_the_code(app, client, support_world):
    users, ids = support_world
    login(client, users["coordinator"])
    page = client.get(f"/referrals/{ids['referral']}/letter").get_data(as_text=True)
    path, code, _link = make_link(app, ids["referral"])
    assert f"http://localhost{path}" in page
    assert code in page
    assert "<svg" in page
    with app.app_context():
        link = db.session.scalar(select(ReferralLink))
        # Neither the address nor the code is kept: only a hash and the nonce.
        assert link.token_hash == provider_links.token_hash(path.removeprefix("/r/"))
        assert path.removeprefix("/r/") not in (link.nonce, link.token_hash)
        assert link.expires_on == today() + timedelta(days=30)


def test_the_link_asks_for_the_code_and_a_wrong_one_is_refused_and_audited(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path, code, link_id = make_link(app, ids["referral"])
    page = client.get(path).get_data(as_text=True)
    assert "Cần khám" not in page  # the reason: not before the code
    wrong = "2" * 6 if code != "2" * 6 else "3" * 6
    response = client.post(path, data={"code": wrong})
    assert response.status_code == 200
    assert "Cần khám" not in response.get_data(as_text=True)
    assert refusals(app, f"wrong_code;link={link_id}") == 1
    assert client.get(path).status_code == 200
    assert "Cần khám" not in client.get(path).get_data(as_text=True)


def test_wrong_codes_are_throttled_like_a_login(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path, code, _link = make_link(app, ids["referral"])
    wrong = "2" * 6 if code != "2" * 6 else "3" * 6
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_USER_AND_IP"]):
        assert client.post(path, data={"code": wrong}).status_code == 200
    # Even the right code now waits: nothing is checked.
    response = client.post(path, data={"code": code})
    assert response.status_code == 429
    assert refusals(app, "throttled") == 1


def test_a_guessed_link_is_refused_audited_and_counted(app, support_world):
    client = app.test_client()
    make_link(app, support_world[1]["referral"])
    response = client.get("/r/" + "A" * 32)
    assert response.status_code == 404
    assert refusals(app, "unknown") == 1


def test_the_provider_acknowledges_accepts_and_records_the_service(app, support_world):
    users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    page = client.get(path).get_data(as_text=True)
    assert "Cần khám sức khỏe tổng quát" in page
    assert client.post(f"{path}/acknowledge", data={"on": DAY}).status_code == 302
    assert client.post(f"{path}/accept", data={"on": DAY}).status_code == 302
    response = client.post(
        f"{path}/served",
        data={
            "service_given": "Khám tổng quát, cấp thuốc",
            "on": DAY,
            "served_by": "Bác sĩ Lan",
            "next_appointment_on": (today() + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response.location.endswith("/r/done")
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == ReferralStatus.SERVICE_RECEIVED
        assert referral.closed_on == today()
        assert referral.provider_answered_on == today()
        assert referral.served_by == "Bác sĩ Lan"
        assert referral.next_appointment_on == today() + timedelta(days=14)
        steps = [(e.to_status, e.via, e.actor_id) for e in referral.events]
        assert steps[1:] == [
            (ReferralStatus.ACKNOWLEDGED, "link", None),
            (ReferralStatus.ACCEPTED, "link", None),
            (ReferralStatus.SERVICE_RECEIVED, "link", None),
        ]
        told = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "referral_answered")
            )
        )
        assert told == {users["coordinator"].id, users["facilitator"].id}
        audited = db.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.object_type == "referrals",
                AuditEvent.action == "update",
                AuditEvent.object_id == referral.id,
            )
        ).all()
        # The day it took place first (core.audit.record(on=…)), then what changed.
        assert any(
            re.fullmatch(r"on=\d{4}-\d\d-\d\d;accepted>service_received;via=link", d)
            for d in audited
        ), audited
    # Closed: the link stops at once, and says so.
    assert client.get(path).status_code == 410
    assert refusals(app, "closed") == 1


def test_the_coordinators_inbox_says_what_the_provider_did(app, support_world):
    users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    client.post(f"{path}/acknowledge", data={"on": DAY})
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    page = coordinator.get("/inbox").get_data(as_text=True)
    assert "Đơn vị tiếp nhận đã trả lời" in page
    with app.app_context():
        code = db.session.get(Referral, ids["referral"]).member.code
    assert code in page
    assert "Cần khám" not in page  # no reason, no notes
    # The timeline says who recorded the step.
    timeline = coordinator.get(f"/referrals/{ids['referral']}").get_data(as_text=True)
    assert "đơn vị tiếp nhận, qua địa chỉ trên phiếu" in timeline


def test_a_double_tap_records_the_service_once(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    page = client.get(path).get_data(as_text=True)
    key = submission_key(page, f"{path}/served")
    data = {"service_given": "Tư vấn", "on": DAY, "submission": key}
    first = client.post(f"{path}/served", data=data)
    second = client.post(f"{path}/served", data=data)
    assert first.status_code == 302
    assert second.status_code in (302, 303)
    with app.app_context():
        served = db.session.scalar(
            select(func.count()).where(
                ReferralEvent.referral_id == ids["referral"],
                ReferralEvent.to_status == ReferralStatus.SERVICE_RECEIVED,
            )
        )
        assert served == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "sớm hơn ngày chuyển gửi"), (1, "không được sau hôm nay")],
    ids=["before_the_referral", "in_the_future"],
)
def test_a_date_before_the_referral_or_in_the_future_is_refused(app, support_world, days, message):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    day = (today() + timedelta(days=days)).isoformat()
    response = client.post(f"{path}/acknowledge", data={"on": day})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.REFERRED
        assert len(db.session.get(Referral, ids["referral"]).events) == 1


def test_a_decline_needs_a_reason_from_the_list_and_closes_the_link(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    assert client.post(f"{path}/decline", data={"on": DAY, "reason": "nonsense"}).status_code == 200
    assert client.post(f"{path}/decline", data={"on": DAY, "reason": "other"}).status_code == 200
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.REFERRED
    response = client.post(
        f"{path}/decline", data={"on": DAY, "reason": "no_capacity", "note": "Hết chỗ"}
    )
    assert response.status_code == 302
    # A declined referral cannot be accepted later, by the link or otherwise.
    assert client.post(f"{path}/accept", data={"on": DAY}).status_code == 410
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == ReferralStatus.DECLINED
        assert referral.decline_reason == "no_capacity"
        with pytest.raises(DomainError):
            provider_answers.answer(
                None,
                referral,
                action=provider_answers.Action.ACCEPT,
                on=today(),
                today=today(),
                via="link",
            )


def test_the_link_stops_at_once_when_consent_is_withdrawn(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    assert client.get(path).status_code == 200
    with app.app_context():
        consent = db.session.get(Consent, ids["sharing_consent"])
        member_services.withdraw_consent(NOBODY, consent, on=today())
        db.session.commit()
    assert client.get(path).status_code == 410
    assert client.post(f"{path}/acknowledge", data={"on": DAY}).status_code == 410
    assert refusals(app, "consent_withdrawn") == 2
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).provider_answered_on is None


def test_the_link_expires(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    with app.app_context():
        link = db.session.scalar(select(ReferralLink))
        link.expires_on = today() - timedelta(days=1)
        db.session.commit()
    assert client.get(path).status_code == 410
    assert client.post(f"{path}/acknowledge", data={"on": DAY}).status_code == 410
    assert refusals(app, "expired") == 2


def test_a_letter_printed_again_after_expiry_has_a_new_link(app, support_world):
    _users, ids = support_world
    old_path, old_code, _link = make_link(app, ids["referral"])
    with app.app_context():
        link = db.session.scalar(select(ReferralLink))
        link.expires_on = today() - timedelta(days=1)
        db.session.commit()
    new_path, new_code, _link = make_link(app, ids["referral"])
    assert (new_path, new_code) != (old_path, old_code)
    client = app.test_client()
    assert client.get(old_path).status_code == 404  # the old copy opens nothing
    assert client.post(new_path, data={"code": new_code}).status_code == 302


def test_another_browser_without_the_code_cannot_answer(app, support_world):
    _users, ids = support_world
    path = opened(app, app.test_client(), ids["referral"])
    stranger = app.test_client()
    response = stranger.post(f"{path}/acknowledge", data={"on": DAY})
    assert response.status_code == 302 and response.location.endswith(path)
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == ReferralStatus.REFERRED


def test_the_chase_stops_once_the_provider_answers(app, support_world):
    _users, ids = support_world
    client = app.test_client()
    path = opened(app, client, ids["referral"])
    later = today() + timedelta(days=30)
    with app.app_context():
        assert open_referral_checks(later)["referral_checks"] == 1
    assert client.post(f"{path}/acknowledge", data={"on": DAY}).status_code == 302
    with app.app_context():
        follow_up = db.session.scalar(select(FollowUp))
        assert follow_up.status.value == "done"
        # Running the job again opens nothing new and tells nobody.
        assert open_referral_checks(later + timedelta(days=1)) == {
            "referral_checks": 0,
            "told": 0,
        }
