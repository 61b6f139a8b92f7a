"""A provider without an account answers a referral from its letter, on a 360 px phone
with JavaScript off (issue 26).

The coordinator prints the letter; the provider's phone opens the address printed on it
(what its QR code holds), enters the code printed beside it, says the referral was
received, asks the coordinator a question on the referral's thread, then records the
service given, and the link closes behind it. Every page fits
the phone and passes axe; the HTML passes the Nu checker where it is installed.
"""

import re
from datetime import timedelta

import pytest

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Member
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from tests.conftest import HUE
from tests.e2e.test_grant_browser import shoot, staff_login
from tests.support.helpers import add_provider

pytestmark = pytest.mark.browser


def test_a_provider_goes_from_the_letter_to_a_recorded_service_on_a_phone(
    app, live_server, browser, phone, markup, make_user, make_group, make_member, tmp_path
):
    facilitator = make_user(Role.FACILITATOR, username="thu", full_name="Lê Thị Thu")
    coordinator = make_user(Role.COORDINATOR, username="binh", full_name="Phạm Văn Bình")
    group = make_group(HUE, facilitators=[facilitator])
    mai = make_member(group, full_name="Trần Thị Mai")
    with app.app_context():
        provider = add_provider(HUE, "Trung tâm Công tác xã hội Huế")
        member = db.session.get(Member, mai.id)
        actor = db.session.get(User, facilitator.id)
        directory_services.record_sharing_consent(
            actor, member, provider, given_on=today(), today=today()
        )
        referral = referral_services.refer(
            actor,
            member,
            provider=db.session.get(ServiceProvider, provider.id),
            service=SupportType.HEALTH,
            reason="Cần khám sức khỏe.",
            expected_on=today() + timedelta(days=7),
            today=today(),
        )
        db.session.commit()
        referral_id = referral.id

    staff_login(phone, live_server, coordinator)
    phone.goto(f"{live_server}/referrals/{referral_id}/letter")
    assert phone.locator(".answer-link svg").count() == 1  # the QR code, drawn inline
    address = phone.locator(".link-url").inner_text().strip()
    code = phone.locator(".link-code").inner_text().strip()
    assert address.startswith(f"{live_server}/r/")
    shoot(phone, tmp_path, "01-letter")

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="vi-VN"
    )
    page = context.new_page()
    markup.watch(page)
    try:
        page.goto(address)
        assert page.locator("h1").inner_text() == f"Phiếu chuyển gửi số {referral_id}"
        assert "Cần khám" not in page.content()  # nothing before the code
        markup.check(page, "code")
        page.fill("#code", code.lower())
        page.click("main form [type=submit]")
        page.wait_for_url(address)
        assert "Cần khám sức khỏe." in page.content()
        markup.check(page, "referral")
        shoot(page, tmp_path, "02-referral")

        with page.expect_navigation():
            page.click("#acknowledge [type=submit]")
        assert page.locator(".alert-success").count() == 1

        # A question to the coordinator, on the thread below the answers.
        page.fill("#message-body", "Chị ấy đến buổi sáng được không?")
        with page.expect_navigation():
            page.click("#messages [type=submit]")
        assert page.locator(".alert-success").count() == 1
        assert "Chị ấy đến buổi sáng được không?" in page.locator("#messages").inner_text()
        markup.check(page, "thread")
        shoot(page, tmp_path, "03-question")
        page.fill("#served-service_given", "Khám tổng quát, cấp thuốc.")
        page.fill("#served-served_by", "Bác sĩ Lan")
        page.fill("#served-next_appointment_on", (today() + timedelta(days=14)).isoformat())
        shoot(page, tmp_path, "04-service")
        with page.expect_navigation():
            page.click("#served [type=submit]")
        page.wait_for_url(re.compile(r"/r/done$"))
        assert page.locator("h1").inner_text() == "Cảm ơn bạn"
        markup.check(page, "done")

        # The link closed with the referral.
        assert page.goto(address).status == 410
    finally:
        context.close()
    markup.assert_valid_html()

    with app.app_context():
        referral = db.session.get(Referral, referral_id)
        assert referral.status == ReferralStatus.SERVICE_RECEIVED
        assert referral.served_by == "Bác sĩ Lan"
        assert [e.via for e in referral.events] == [None, "link", "link"]
        assert [(m.via, m.body) for m in referral.messages] == [
            ("link", "Chị ấy đến buổi sáng được không?")
        ]
