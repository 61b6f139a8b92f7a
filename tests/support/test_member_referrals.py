"""The member's own page says where they were referred and whether it was received, in
plain words, never the service or the reason (issue 26): a family member may read it on
a shared phone."""

from datetime import timedelta
from types import SimpleNamespace

from flask_babel import force_locale

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Member
from livelihoods.services.members import set_member_pin
from support.models.referrals import Referral, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import provider_answers
from support.services import referrals as referral_services
from tests.conftest import login

PIN = "482915"


def member_client(app, ids, facilitator_id):
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        set_member_pin(db.session.get(User, facilitator_id), member, PIN)
        db.session.commit()
        code = member.code
    client = app.test_client()
    login(client, SimpleNamespace(role=Role.MEMBER, username=code, password=PIN))
    return client


def words(app, status) -> str:
    with app.test_request_context(), force_locale("vi"):
        return str(referral_services.MEMBER_WORDS[status])


def test_the_member_sees_where_and_whether_it_was_received(app, support_world):
    users, ids = support_world
    client = member_client(app, ids, users["facilitator"].id)
    page = client.get("/").get_data(as_text=True)
    assert "Văn phòng một cửa" in page  # the provider of the helpers' referral
    assert words(app, "referred") in page
    assert "Cần khám" not in page  # the reason
    with app.app_context():
        assert str(SupportType.HEALTH.label) not in page
        referral = db.session.get(Referral, ids["referral"])
        provider_answers.answer(
            None,
            referral,
            action=provider_answers.Action.ACKNOWLEDGE,
            on=today(),
            today=today(),
            via="link",
        )
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert words(app, "acknowledged") in page


def test_a_provider_whose_kind_says_too_much_is_not_named(app, support_world):
    users, ids = support_world
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        legal = db.session.get(ServiceProvider, ids["far_provider"])
        # A legal aid centre in the member's own province.
        legal.province_code = member.province_code
        facilitator = db.session.get(User, users["facilitator"].id)
        directory_services.record_sharing_consent(
            facilitator, member, legal, given_on=today(), today=today()
        )
        referral_services.refer(
            facilitator,
            member,
            provider=legal,
            service=SupportType.LEGAL,
            reason="Tư vấn",
            expected_on=today() + timedelta(days=3),
            today=today(),
        )
        db.session.commit()
        name = legal.name
    client = member_client(app, ids, users["facilitator"].id)
    page = client.get("/").get_data(as_text=True)
    assert name not in page
    assert "Văn phòng một cửa" in page
