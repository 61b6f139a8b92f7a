"""Each role's main path on a 360×740 phone with JavaScript off, in Vietnamese and English.

On every page: nothing wider than the screen, no axe-core violation at WCAG 2.1 AA, and
(once per walk) no error from the Nu HTML Checker. Pages with form errors and the
confirmation steps are part of the walk.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Consent, Member
from livelihoods.models import FollowUp
from livelihoods.services.members import set_member_pin
from tests.conftest import HUE
from tests.e2e.conftest import submit
from tests.livelihoods.grant_fixtures import make_grant

pytestmark = pytest.mark.browser
# Each walk in Vietnamese on both databases; in English (the same queries, other words) once.
LOCALES = ["vi", pytest.param("en", marks=pytest.mark.once)]

PIN = "482915"
TITLE_ERROR = {"vi": "Lỗi", "en": "Error"}


@pytest.fixture
def people(app, make_user, make_group, make_member, make_meeting):
    """A Huế group with members, a meeting, a grant waiting for a decision, a paid one
    with visits due, and a member who can log in."""
    facilitator = make_user(Role.FACILITATOR, username="thu", full_name="Lê Thị Thu")
    coordinator = make_user(Role.COORDINATOR, username="binh", full_name="Phạm Văn Bình")
    admin = make_user(Role.ADMIN, username="quantri", full_name="Đỗ Văn Quản")
    group = make_group(HUE, facilitators=[facilitator], name="Nhóm Thôn Đông")
    mai = make_member(group, full_name="Trần Thị Mai", phone="0912345678")
    lan = make_member(group, full_name="Hồ Thị Lan")
    meeting = make_meeting(group, today() - timedelta(days=7))
    waiting = make_grant(app, lan, drafter=facilitator, upto="submitted")
    paid = make_grant(
        app,
        mai,
        drafter=facilitator,
        upto="disbursed",
        decider=coordinator,
        paid_on=today() - timedelta(days=40),
    )
    draft = make_grant(app, lan, drafter=facilitator, upto="draft", requested=2_000_000)
    with app.app_context():
        follow_up = db.session.scalar(
            select(FollowUp.id).where(FollowUp.grant_id == paid).order_by(FollowUp.due_on)
        )
        consent = db.session.scalar(select(Consent.id).where(Consent.member_id == mai.id))
        set_member_pin(db.session.get(User, facilitator.id), db.session.get(Member, mai.id), PIN)
        db.session.commit()
    return dict(
        facilitator=facilitator,
        coordinator=coordinator,
        admin=admin,
        group=group,
        mai=mai,
        lan=lan,
        waiting=waiting,
        paid=paid,
        draft=draft,
        follow_up=follow_up,
        meeting=meeting.id,
        consent=consent,
    )


@pytest.fixture
def walker(browser, live_server, markup):
    contexts = []

    def open_phone(locale: str):
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            java_script_enabled=False,
            locale="vi-VN",  # the phone's language; English only when chosen
        )
        contexts.append(context)
        page = context.new_page()
        markup.watch(page)
        page.goto(live_server + "/login")
        if locale == "en":
            page.click("footer button[value=en]")
            page.wait_for_url("**/login")
        assert page.locator("html").get_attribute("lang") == locale
        return page

    yield open_phone
    for context in contexts:
        context.close()


def visit(page, markup, base: str, path: str, name: str) -> None:
    page.goto(base + path)
    assert page.url == base + path, page.url
    markup.check(page, name)


def staff_login(page, markup, user) -> None:
    markup.check(page, "login")
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    page.click("main form [type=submit]")
    page.wait_for_url("**/")


def has_error_title(page, locale: str) -> bool:
    return page.title().startswith(TITLE_ERROR[locale])


@pytest.mark.parametrize("locale", LOCALES)
def test_facilitator_walk(walker, live_server, markup, people, locale):
    page = walker(locale)
    staff_login(page, markup, people["facilitator"])
    markup.check(page, "home")
    # The record button names the group.
    record = page.locator(f'main a.button[href="/groups/{people["group"].id}/meetings/new"]')
    assert "Nhóm Thôn Đông" in record.first.inner_text()
    # Compact header: the bar and one row of links, every link at least 44 px tall.
    assert page.locator("header.top").bounding_box()["height"] <= 100
    targets = page.locator("header nav > a, header summary, footer button").all()
    page.click("header details.account summary")
    targets += page.locator("header details.account .menu a, header details.account button").all()
    # The rest of the menu is under "More", one tap away, never cut off at 360 px.
    page.click("header details.account summary")  # closed again
    page.click("header details.more summary")
    more = page.locator("header details.more .menu a").all()
    assert more, "the menu's other links"
    for target in targets + more:
        box = target.bounding_box()
        assert box["height"] >= 44, target.inner_text()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, target.inner_text()
    group, mai = people["group"], people["mai"]
    for path, name in [
        (f"/groups/{group.id}", "group"),
        ("/members", "members"),
        (f"/members/{mai.id}", "member"),
        ("/due", "due"),
        (f"/follow-ups/{people['follow_up']}/visit", "visit"),
        (f"/follow-ups/{people['follow_up']}/missed", "missed"),
        (f"/grants/{people['paid']}", "grant"),
        (f"/grants/{people['draft']}/submit", "submit"),
        ("/grants", "grants"),
        ("/inbox", "inbox"),
        (f"/groups/{group.id}/members/new", "new-member"),
        (f"/meetings/{people['meeting']}", "meeting-page"),
        (f"/meetings/{people['meeting']}/edit", "meeting-edit"),
        (f"/members/{mai.id}/edit", "member-edit"),
        (f"/members/{mai.id}/membership", "membership"),
        (f"/members/{mai.id}/consents", "consent"),
        (f"/members/{mai.id}/consents/{people['consent']}/withdraw", "withdraw"),
        (f"/members/{mai.id}/pin", "pin"),
        (f"/members/{mai.id}/grants/new", "new-grant"),
        ("/account/password", "password"),
    ]:
        visit(page, markup, live_server, path, name)
    # The due list names the member and links to her page.
    visit(page, markup, live_server, "/due", "due-again")
    assert page.locator(f'main a[href="/members/{mai.id}"]').first.inner_text() == "Trần Thị Mai"
    # A form with errors: summary at the top linking to the field, title says so.
    visit(page, markup, live_server, f"/groups/{group.id}/meetings/new", "meeting")
    page.fill("#held_on", "")
    submit(page, "form.meeting [type=submit]")
    assert has_error_title(page, locale)
    summary = page.locator(".error-summary a[href='#held_on']")
    assert summary.count() == 1
    markup.check(page, "meeting-error")
    markup.assert_valid_html()


@pytest.mark.parametrize("locale", LOCALES)
def test_coordinator_walk(walker, live_server, markup, people, locale):
    page = walker(locale)
    staff_login(page, markup, people["coordinator"])
    markup.check(page, "home")
    waiting = people["waiting"]
    for path, name in [
        ("/grants?status=submitted", "grants-waiting"),
        (f"/grants/{waiting}", "grant"),
        ("/groups", "groups"),
        ("/members", "members"),
        ("/due", "due"),
        ("/groups/new", "new-group"),
        (f"/grants/{people['paid']}/tranches/new", "tranche"),
    ]:
        visit(page, markup, live_server, path, name)
    visit(page, markup, live_server, f"/grants/{waiting}/decide", "decide")
    # The decision page says who the person is, linked to her page.
    assert page.locator(f'main a[href="/members/{people["lan"].id}"]').count() >= 1
    page.check('input[name="decision"][value="approve"]')
    page.fill("#amount", "")
    submit(page)
    assert has_error_title(page, locale)
    assert page.locator(".error-summary a[href='#amount']").count() == 1
    markup.check(page, "decide-error")
    markup.assert_valid_html()


@pytest.mark.parametrize("locale", LOCALES)
def test_member_walk(walker, live_server, markup, people, locale):
    page = walker(locale)
    markup.check(page, "staff-login")
    # The member's door is found from the staff login page.
    page.click("main a[href='/login/member']")
    page.wait_for_url("**/login/member")
    markup.check(page, "member-login")
    page.fill("#code", people["mai"].code)
    page.fill("#pin", PIN)
    page.click("main form [type=submit]")
    page.wait_for_url("**/")
    markup.check(page, "member-home")
    # After logging out, the member is back at the members' door.
    page.click("header button[type=submit]")
    page.wait_for_url("**/login/member")
    markup.check(page, "member-logged-out")
    markup.assert_valid_html()


@pytest.mark.parametrize("locale", LOCALES)
def test_admin_walk(walker, live_server, markup, people, locale):
    page = walker(locale)
    staff_login(page, markup, people["admin"])
    markup.check(page, "home")
    user_id = people["facilitator"].id
    for path, name in [
        ("/admin/users", "users"),
        (f"/admin/users/{user_id}", "user"),
        (f"/admin/users/{user_id}/active", "deactivate"),
        (f"/admin/users/{user_id}/password", "password"),
    ]:
        visit(page, markup, live_server, path, name)
    visit(page, markup, live_server, "/admin/users/new", "new-user")
    submit(page)
    assert has_error_title(page, locale)
    assert page.locator(".error-summary a[href='#username']").count() == 1
    markup.check(page, "new-user-error")
    markup.assert_valid_html()


def test_a_visit_that_could_not_happen_is_confirmed_with_a_reason_and_undone(
    app, walker, live_server, markup, people
):
    page = walker("vi")
    staff_login(page, markup, people["facilitator"])
    follow_up = people["follow_up"]
    visit(page, markup, live_server, f"/follow-ups/{follow_up}/visit", "visit")
    page.click(f"main a[href='/follow-ups/{follow_up}/missed']")
    page.wait_for_url(f"**/follow-ups/{follow_up}/missed")
    submit(page)  # no reason yet: refused, nothing changed
    assert has_error_title(page, "vi")
    markup.check(page, "missed-error")
    page.fill("#reason", "Cả nhà đi làm xa")
    page.click("main form [type=submit]")
    page.wait_for_url(f"**/follow-ups/{follow_up}/visit")
    markup.check(page, "missed-done")
    assert "Cả nhà đi làm xa" in page.locator("main").inner_text()
    # Not a dead end: undo (same person, same day), back to the list, the member's page.
    assert page.locator("main a[href='/due']").count() == 1
    page.click(f"main form[action='/follow-ups/{follow_up}/missed/undo'] button")
    page.wait_for_url(f"**/follow-ups/{follow_up}/visit")
    assert page.locator("#visited_on").count() == 1  # the visit form is back
    with app.app_context():
        assert db.session.get(FollowUp, follow_up).status == "scheduled"
    markup.assert_valid_html()
