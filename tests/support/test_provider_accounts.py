"""Provider accounts (issue 26): staff of one provider, made by an admin or the
coordinator of its province; two-factor like other staff; they see their provider's
referrals while consent holds, only what the letter shows, and nothing else."""

from datetime import timedelta

from sqlalchemy import select

from accounts import two_factor
from accounts.forms import role_choices
from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Consent, Member
from groups.services import members as member_services
from support.models.provider_side import ProviderStaff
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from tests.conftest import login
from tests.support.helpers import NOBODY
from tests.test_authorization import make_provider_user

NEW = {
    "full_name": "Lê Văn Hùng",
    "username": "osso.hue",
    "new_password": "một mật khẩu đủ dài",
    "confirm": "một mật khẩu đủ dài",
}


def test_the_coordinator_of_the_province_makes_an_account_for_a_provider(
    app, client, support_world
):
    users, ids = support_world
    login(client, users["coordinator"])
    response = client.post(f"/providers/{ids['provider']}/accounts", data=NEW)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "osso.hue"))
        assert user.role == Role.PROVIDER
        assert user.must_change_password
        staff = db.session.get(ProviderStaff, user.id)
        assert staff.provider_id == ids["provider"]
        # Two-factor like other staff: required wherever it is not skipped (demo, tests).
        assert two_factor.is_required(user, skip=False)


def test_another_provinces_coordinator_or_a_facilitator_cannot(app, support_world):
    users, ids = support_world
    for role in ("other_coordinator", "facilitator"):
        client = app.test_client()
        login(client, users[role])
        assert client.post(f"/providers/{ids['provider']}/accounts", data=NEW).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "osso.hue")) is None


def test_the_users_page_does_not_offer_the_provider_role_for_a_new_user():
    assert Role.PROVIDER.value not in [c.value for c in role_choices()]
    assert Role.PROVIDER.value in [c.value for c in role_choices(Role.PROVIDER)]


def _refer_to_health(app, users, ids) -> int:
    """A second referral, to the Huế health post, with consent."""
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        health = db.session.get(ServiceProvider, ids["health"])
        facilitator = db.session.get(User, users["facilitator"].id)
        directory_services.record_sharing_consent(
            facilitator, member, health, given_on=today(), today=today()
        )
        referral = referral_services.refer(
            facilitator,
            member,
            provider=health,
            service=SupportType.HEALTH,
            reason="Khám răng",
            expected_on=today() + timedelta(days=3),
            today=today(),
        )
        db.session.commit()
        return referral.id


def test_a_provider_sees_its_own_referrals_only_while_consent_holds(app, support_world):
    users, ids = support_world
    other = _refer_to_health(app, users, ids)
    with app.app_context():
        provider = make_provider_user(app, ids["provider"], "osso")
    client = app.test_client()
    login(client, provider)
    home = client.get("/provider").get_data(as_text=True)
    assert f"/provider/referrals/{ids['referral']}" in home
    assert f"/provider/referrals/{other}" not in home
    assert client.get(f"/provider/referrals/{other}").status_code == 404
    page = client.get(f"/provider/referrals/{ids['referral']}").get_data(as_text=True)
    assert "Cần khám sức khỏe tổng quát" in page
    # Nothing else of the app.
    for path in ("/members", "/groups", f"/members/{ids['member']}", "/grants", "/inbox"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/referrals/{ids['referral']}").status_code == 403
    assert client.get("/").location.endswith("/provider")
    with app.app_context():
        consent = db.session.get(Consent, ids["sharing_consent"])
        member_services.withdraw_consent(NOBODY, consent, on=today())
        db.session.commit()
    assert f"/provider/referrals/{ids['referral']}" not in client.get("/provider").get_data(
        as_text=True
    )
    assert client.get(f"/provider/referrals/{ids['referral']}").status_code == 404


def test_a_provider_account_answers_and_the_timeline_names_it(app, support_world):
    users, ids = support_world
    with app.app_context():
        provider = make_provider_user(app, ids["provider"], "osso")
    client = app.test_client()
    login(client, provider)
    day = today().isoformat()
    response = client.post(f"/provider/referrals/{ids['referral']}/accept", data={"on": day})
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == ReferralStatus.ACCEPTED
        assert referral.acknowledged_on == today()
        last = referral.events[-1]
        assert (last.actor_id, last.via) == (provider.id, "account")


def test_an_admin_can_still_edit_a_provider_account(app, support_world):
    users, ids = support_world
    with app.app_context():
        provider = make_provider_user(app, ids["provider"], "osso")
    client = app.test_client()
    login(client, users["admin"])
    form = client.get(f"/admin/users/{provider.id}").get_data(as_text=True)
    assert 'value="provider" selected' in form or 'selected value="provider"' in form
    response = client.post(
        f"/admin/users/{provider.id}", data={"full_name": "Trần Thị Mai Anh", "role": "provider"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, provider.id)
        assert (user.full_name, user.role) == ("Trần Thị Mai Anh", Role.PROVIDER)
