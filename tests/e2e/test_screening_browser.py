"""A facilitator screens a member and refers them, on a 360 px phone with JavaScript off.

From the member's page: "Sàng lọc và dịch vụ" → a new screening, one section per page,
each page chosen with radio buttons and saved before the next; the finish page closes it,
and the answers are then out of the facilitator's reach. Then a referral to the provider
the member agreed to share with, and its page with the letter link.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Member
from support import questionnaire
from support.models.referrals import Referral, ReferralStatus
from support.models.screening import Screening, ScreeningStatus
from support.services import directory as directory_services
from tests.conftest import HUE
from tests.e2e.test_grant_browser import shoot, staff_login
from tests.support.helpers import add_provider

pytestmark = pytest.mark.browser


def test_facilitator_screens_and_refers_on_a_phone(
    app, live_server, phone, make_user, make_group, make_member, tmp_path
):
    facilitator = make_user(Role.FACILITATOR, username="thu", full_name="Lê Thị Thu")
    group = make_group(HUE, facilitators=[facilitator])
    mai = make_member(group, full_name="Trần Thị Mai")
    with app.app_context():
        version = questionnaire.install(questionnaire.V1)
        pages = len(version.sections)
        provider = add_provider(HUE, "Trung tâm Công tác xã hội Huế")
        directory_services.record_sharing_consent(
            db.session.get(User, facilitator.id),
            db.session.get(Member, mai.id),
            provider,
            given_on=today(),
            today=today(),
        )
        db.session.commit()
        provider_id = provider.id

    staff_login(phone, live_server, facilitator)
    phone.goto(f"{live_server}/members/{mai.id}")
    phone.click(f'main a[href="/members/{mai.id}/support"]')
    phone.wait_for_url(f"**/members/{mai.id}/support")
    shoot(phone, tmp_path, "01-support")
    phone.click(f'main a[href="/members/{mai.id}/screenings/new"]')
    assert phone.input_value("#screened_on") == today().isoformat()
    phone.click("main form [type=submit]")
    for page in range(1, pages + 1):
        phone.wait_for_url(re.compile(rf"/pages/{page}$"))
        assert phone.locator("main .meta").inner_text().endswith(f"Trang {page}/{pages}")
        for fieldset in phone.locator("main form fieldset").all():
            fieldset.locator("input[type=radio]").last.check()
        shoot(phone, tmp_path, f"02-page-{page}")
        phone.click("main form [type=submit].primary")
    phone.wait_for_url(re.compile(r"/finish$"))
    shoot(phone, tmp_path, "03-finish")
    phone.click("main form [type=submit]")
    phone.wait_for_url(f"**/members/{mai.id}/support")
    assert phone.locator(".alert-success").inner_text() == "Đã lưu phiếu sàng lọc."
    with app.app_context():
        screening = db.session.scalar(select(Screening).where(Screening.member_id == mai.id))
        assert screening.status == ScreeningStatus.COMPLETE
        assert (screening.economic, screening.social, screening.psychosocial) == (1.0, 1.0, 1.0)
    response = phone.goto(f"{live_server}/screenings/{screening.id}")
    assert response.status == 403  # entered it; cannot read it back

    phone.goto(f"{live_server}/members/{mai.id}/referrals/new")
    phone.select_option("#provider_id", str(provider_id))
    phone.select_option("#service", "psychosocial")
    phone.fill("#reason", "Cần người tư vấn.")
    phone.fill("#expected_on", (today() + timedelta(days=7)).isoformat())
    shoot(phone, tmp_path, "04-referral-form")
    phone.click("main form [type=submit]")
    phone.wait_for_url(re.compile(r"/referrals/\d+$"))
    assert "Đã chuyển" in phone.locator("main dl.facts").inner_text()
    assert "Cần người tư vấn." not in phone.locator("main").inner_text()
    shoot(phone, tmp_path, "05-referral")
    with app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.member_id == mai.id))
        assert referral.status == ReferralStatus.REFERRED
