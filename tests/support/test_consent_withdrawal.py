"""Consent that takes effect (issue 22): withdrawing the consent a referral relies on, or
anonymising the member, closes the open referral with a status of its own; its letter
is refused with a message, its check leaves the due lists, the job stops chasing it,
the confirmation page lists it first, and the figures count it apart."""

from datetime import timedelta

from sqlalchemy import select

from core.clock import today
from core.db import db
from groups.models import Consent, Member
from groups.services import anonymise
from groups.services import members as member_services
from livelihoods.models import FollowUp, FollowUpStatus
from reports.indicators import support as figures
from support.jobs import open_referral_checks
from support.models.referrals import Referral, ReferralEvent, ReferralStatus
from tests.conftest import login
from tests.support.helpers import NOBODY


def referral(app, ids) -> Referral:
    with app.app_context():
        row = db.session.get(Referral, ids["referral"])
        _ = row.events
        db.session.expunge_all()
        return row


def overdue_check(app, ids) -> None:
    """The referral is past its expected day and the job opened its check."""
    with app.app_context():
        row = db.session.get(Referral, ids["referral"])
        row.expected_on = today() - timedelta(days=3)
        db.session.commit()
        open_referral_checks(today())
        db.session.commit()


def test_withdrawing_the_consent_closes_the_referral_and_its_letter(app, client, support_world):
    users, ids = support_world
    overdue_check(app, ids)
    login(client, users["coordinator"])
    url = f"/members/{ids['member']}/consents/{ids['sharing_consent']}/withdraw"
    page = client.get(url).get_data(as_text=True)
    assert "Văn phòng một cửa" in page and today().strftime("%d/%m/%Y") in page  # listed first
    assert client.get(f"/referrals/{ids['referral']}/letter").status_code == 200

    response = client.post(url, data={"on": today().isoformat()})
    assert response.status_code == 302

    closed = referral(app, ids)
    assert closed.status == ReferralStatus.CONSENT_WITHDRAWN
    assert closed.closed_on == today()
    assert closed.events[-1].to_status == ReferralStatus.CONSENT_WITHDRAWN
    letter = client.get(f"/referrals/{ids['referral']}/letter")
    assert letter.status_code == 403
    text = letter.get_data(as_text=True)
    assert "không in Phiếu chuyển gửi được nữa" in text and "Trần Thị Mai" not in text
    with app.app_context():
        checks = db.session.scalars(
            select(FollowUp).where(FollowUp.source_key == f"referral:{ids['referral']}")
        ).all()
        assert [c.status for c in checks] == [FollowUpStatus.CANCELLED]
        # The job does not open it again, nor remind anyone of it.
        before = db.session.scalar(select(db.func.count()).select_from(FollowUp))
        open_referral_checks(today() + timedelta(days=1))
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(FollowUp)) == before
        counts = figures.referral_counts(None, today() - timedelta(days=30), today())
        assert (counts["made"], counts["consent_withdrawn"], counts["completed"]) == (1, 1, 0)
    # No status change is offered any more.
    page = client.get(f"/referrals/{ids['referral']}").get_data(as_text=True)
    assert 'name="to_status"' not in page


def test_a_withdrawal_dated_before_the_referral_closes_it_on_the_referral_day(app, support_world):
    users, ids = support_world
    with app.app_context():
        consent = db.session.get(Consent, ids["sharing_consent"])
        member_services.withdraw_consent(NOBODY, consent, on=today())
        db.session.commit()
    closed = referral(app, ids)
    assert closed.status == ReferralStatus.CONSENT_WITHDRAWN
    assert closed.closed_on >= closed.referred_on


def test_anonymising_the_member_closes_their_open_referrals(app, support_world):
    users, ids = support_world
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        anonymise.anonymise_member(NOBODY, member, on=today(), reason="request")
        db.session.commit()
        events = db.session.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == ids["referral"])
        ).all()
        assert events[-1].to_status == ReferralStatus.CONSENT_WITHDRAWN
    assert referral(app, ids).status == ReferralStatus.CONSENT_WITHDRAWN


def test_other_consents_leave_the_referral_open(app, support_world):
    users, ids = support_world
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        other = next(c for c in member.consents if c.id != ids["sharing_consent"])
        member_services.withdraw_consent(NOBODY, other, on=today())
        db.session.commit()
    assert referral(app, ids).status == ReferralStatus.REFERRED
