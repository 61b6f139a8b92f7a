"""Issue 25, layer 1: a meeting saved with no signal is kept on the phone and sent once.

JavaScript on (the outbox is a service worker and a small script). The signal is cut with
Playwright's offline switch; what reached the server is counted in the database.
"""

import re
import time
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.meeting_models import Meeting
from tests.conftest import HUE
from tests.e2e.conftest import submit

pytestmark = pytest.mark.browser

PASSWORD = "một câu dài dễ nhớ"


def meetings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Meeting.id)))


def until(page, expression: str, seconds: float = 15) -> None:
    """Wait until a JavaScript expression is true. Playwright's wait_for_function evaluates
    its predicate with eval, which the pages' CSP (script-src 'self') rightly forbids."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(f"!!({expression})"):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        time.sleep(0.1)


def entries(page) -> list[dict]:
    """The entries kept in the phone's IndexedDB, as outbox.js stores them."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open('tuluc-outbox', 1);
            open.onsuccess = () => {
                const all = open.result.transaction('entries').objectStore('entries').getAll();
                all.onsuccess = () => { open.result.close(); resolve(all.result); };
                all.onerror = () => reject(all.error);
            };
            open.onerror = () => reject(open.error);
        })"""
    )


@pytest.fixture
def online_phone(browser):
    """A phone-sized page with JavaScript on, as the outbox needs."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    yield context, page
    context.close()


@pytest.fixture
def facilitator_group(make_user, make_group, make_member):
    user = make_user(
        Role.FACILITATOR, username="hoa", password=PASSWORD, full_name="Nguyễn Thị Hoa"
    )
    group = make_group(HUE, facilitators=[user], name="Nhóm Thôn Đông", founded_on=date(2025, 1, 6))
    for name in ("Trần Thị Mai", "Lê Văn Hùng", "Phạm Thị Hương"):
        make_member(group, full_name=name, joined_on=date(2025, 1, 6))
    return user, group


def log_in(page, live_server, username: str = "hoa") -> None:
    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    submit(page, "main form [type=submit]")
    # The service worker controls the pages from now on.
    until(page, "navigator.serviceWorker && navigator.serviceWorker.controller")


def record_offline(context, page, live_server, group, held_on: date, topics: str) -> None:
    page.goto(f"{live_server}/groups/{group.id}/meetings/new")
    page.fill("#held_on", held_on.isoformat())
    page.fill("#topics", topics)
    context.set_offline(True)
    submit(page, "form.meeting [type=submit]")
    saved = page.locator("#offline-saved")
    assert "Đã lưu trên máy, sẽ gửi khi có mạng" in saved.inner_text()
    assert "Saved on this phone; it will be sent when there is signal" in saved.inner_text()
    assert saved.locator('a[href="/outbox"]').count() >= 1


def test_a_meeting_saved_offline_is_sent_once_when_the_signal_returns(
    app, live_server, online_phone, facilitator_group, markup
):
    context, page = online_phone
    user, group = facilitator_group
    log_in(page, live_server)

    record_offline(context, page, live_server, group, today(), "Tiết kiệm nhóm")
    assert meetings(app) == 0
    kept = entries(page)
    assert len(kept) == 1
    assert kept[0]["state"] == "waiting"
    assert kept[0]["user"] == str(user.id)
    assert kept[0]["url"].endswith(f"/groups/{group.id}/meetings/new")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", kept[0]["key"])
    body = kept[0]["body"]
    # With no signal, opening a page says so in the app's look, not the browser's error.
    page.goto(live_server + "/outbox")
    assert "Không có mạng" in page.locator("#no-signal h1").inner_text()

    # Signal back: the next page load sends it, once.
    context.set_offline(False)
    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li.state-sent') !== null")
    assert meetings(app) == 1
    assert [e["state"] for e in entries(page)] == ["sent"]
    assert page.locator("#outbox-banner").is_hidden()

    # The same stored entry sent three times at once (a replay): still one meeting.
    statuses = page.evaluate(
        """([url, body]) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const params = new URLSearchParams(body);
            params.set('csrf_token', token);
            return Promise.all([1, 2, 3].map(() => fetch(url, {
                method: 'POST', body: params.toString(), credentials: 'same-origin',
                headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            }).then((r) => r.status)));
        }""",
        [kept[0]["url"], body],
    )
    assert statuses == [200, 200, 200]  # each redirected to the meeting saved first
    assert meetings(app) == 1

    # The pages the outbox adds pass axe and the HTML checker.
    markup.watch(page)
    for name in ("offline.html", "no-signal.html"):
        page.goto(f"{live_server}/static/{name}")
        markup.check(page, name)
    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li') !== null")
    markup.check(page, "outbox")
    markup.assert_valid_html()


def test_two_meetings_saved_offline_become_two_and_the_banner_counts_them(
    app, live_server, online_phone, facilitator_group
):
    context, page = online_phone
    _user, group = facilitator_group
    log_in(page, live_server)

    record_offline(context, page, live_server, group, today(), "Buổi một")
    context.set_offline(False)
    # Back on a page while the second one is typed: the first is sent on that page's load.
    page.goto(f"{live_server}/groups/{group.id}/meetings/new")
    deadline = time.monotonic() + 15
    while [e["state"] for e in entries(page)] != ["sent"]:
        assert time.monotonic() < deadline, entries(page)
        time.sleep(0.1)
    assert meetings(app) == 1
    assert page.locator("#outbox-banner").is_hidden()
    record_offline(context, page, live_server, group, today() - timedelta(days=7), "Buổi hai")
    assert meetings(app) == 1
    assert [e["state"] for e in entries(page)].count("waiting") == 1

    # Still offline, the banner on the next page says one entry is waiting.
    context.set_offline(False)
    page.route("**/groups/*/meetings/new", lambda route: route.abort())  # the sending fails
    page.goto(live_server + "/")
    banner = page.locator("#outbox-banner")
    banner.wait_for(state="visible")
    assert re.search(r"\b1\b", banner.inner_text())
    assert banner.locator('a[href="/outbox"]').count() == 1
    page.unroute("**/groups/*/meetings/new")

    page.goto(live_server + "/outbox")
    page.locator("#outbox-list button", has_text="Gửi lại").first.click()
    until(page, "document.querySelectorAll('#outbox-list li.state-sent').length === 2")
    assert meetings(app) == 2
    with app.app_context():
        topics = set(db.session.scalars(select(Meeting.topics)))
    assert topics == {"Buổi một", "Buổi hai"}


def test_the_signal_returning_under_an_open_page_sends_the_queue_without_a_page_load(
    app, live_server, online_phone, facilitator_group
):
    """Background Sync is not everywhere (and the service worker may be asleep): a page
    left open sends the queue on the browser's `online` event, with no reload."""
    context, page = online_phone
    _user, group = facilitator_group
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Mạng về lại")
    # The signal comes back, but the first sending (on the outbox page's load) is lost.
    context.set_offline(False)
    page.route("**/groups/*/meetings/new", lambda route: route.abort())
    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li.state-waiting') !== null")
    deadline = time.monotonic() + 15
    while not any(e.get("attempts") for e in entries(page)):
        assert time.monotonic() < deadline, entries(page)
        time.sleep(0.1)
    page.unroute("**/groups/*/meetings/new")
    assert meetings(app) == 0
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    # The signal drops and returns while the page stays open: sent at once, no back-off.
    context.set_offline(True)
    context.set_offline(False)
    # Within 5 s: before the back-off's own retry (10 s after the lost sending).
    until(page, "document.querySelector('#outbox-list li.state-sent') !== null", seconds=5)
    assert meetings(app) == 1
    assert loads == []
    assert [e["state"] for e in entries(page)] == ["sent"]


def wait_sent(page, count: int) -> None:
    deadline = time.monotonic() + 15
    while [e["state"] for e in entries(page)].count("sent") != count:
        assert time.monotonic() < deadline, entries(page)
        time.sleep(0.1)


def test_an_entry_is_sent_only_in_the_session_of_the_user_who_made_it(
    app, live_server, online_phone, facilitator_group, make_user, make_group
):
    context, page = online_phone
    _user, group = facilitator_group
    other = make_user(Role.FACILITATOR, username="lan", password=PASSWORD, full_name="Lê Thị Lan")
    make_group(HUE, facilitators=[other], name="Nhóm Thôn Tây", founded_on=date(2025, 1, 6))
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Buổi chờ")
    context.set_offline(False)

    # The signal is back but the sending fails; logging out warns that it is still here.
    page.route("**/groups/*/meetings/new", lambda route: route.abort())
    page.goto(live_server + "/")
    page.locator("#outbox-banner").wait_for(state="visible")
    warnings = []

    def answer(dialog):
        warnings.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.click(".account summary")
    with page.expect_navigation():
        page.click(".account form button[type=submit]")
    assert len(warnings) == 1 and re.search(r"\b1\b", warnings[0]), warnings
    page.unroute("**/groups/*/meetings/new")
    assert meetings(app) == 0

    # Another facilitator on the same phone: not sent, not shown.
    log_in(page, live_server, "lan")
    page.goto(live_server + "/outbox")
    until(page, "!document.getElementById('outbox-empty').hidden")
    assert page.locator("#outbox-list li").count() == 0
    assert page.locator("#outbox-banner").is_hidden()
    assert meetings(app) == 0
    assert [e["state"] for e in entries(page)] == ["waiting"]
    page.click(".account summary")
    with page.expect_navigation():
        page.click(".account form button[type=submit]")
    assert warnings == [warnings[0]]  # lan had nothing waiting: no question

    # Its maker logs in again: it is sent with the new session's token, without retyping.
    log_in(page, live_server)
    wait_sent(page, 1)
    assert meetings(app) == 1


def test_an_entry_in_conflict_is_kept_beside_the_record_there_until_discarded(
    app, live_server, online_phone, facilitator_group, make_meeting
):
    context, page = online_phone
    _user, group = facilitator_group
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Buổi trùng")
    # Meanwhile, the same day was recorded from another phone.
    there = make_meeting(group, today())
    context.set_offline(False)

    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li.state-conflict') !== null")
    entry = page.locator("#outbox-list li.state-conflict")
    assert entry.locator(".outbox-problem").inner_text().strip()  # the server's own words
    assert entry.locator(f'a[href$="/groups/{group.id}/meetings/new"]').count() == 1
    # Beside it, the meeting already there, one tap away.
    assert entry.locator(f'a.there[href$="/meetings/{there.id}"]').count() == 1
    # Beside the server's words, what was typed, in the form's own labels.
    typed = entry.locator("details")
    typed.locator("summary").click()
    names, values = typed.locator("dt").all_inner_texts(), typed.locator("dd").all_inner_texts()
    shown = dict(zip(names, values, strict=True))
    assert "Buổi trùng" in shown.values()
    marks = {k: v for k, v in shown.items() if k.startswith("Trần Thị Mai")}
    assert list(marks.values()) == ["Có mặt"], shown  # a mark, by its member and its word
    assert not any(kept_key in v for v in shown.values() for kept_key in [entries(page)[0]["key"]])
    assert meetings(app) == 1
    assert parse_qs(entries(page)[0]["body"])["topics"] == ["Buổi trùng"]  # nothing dropped

    page.goto(live_server + "/")  # another page load does not send it again by itself
    banner = page.locator("#outbox-banner")
    banner.wait_for(state="visible")
    assert meetings(app) == 1

    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li') !== null")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("#outbox-list li button.danger").click()
    until(page, "!document.getElementById('outbox-empty').hidden")
    assert len(asked) == 1
    assert entries(page) == []


def test_an_entry_answered_form_expired_waits_for_login_and_is_sent_with_a_fresh_token(
    app, live_server, online_phone, facilitator_group
):
    context, page = online_phone
    _user, group = facilitator_group
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Buổi hết hạn")
    context.set_offline(False)

    # The server answers "the form has expired" (400, a stale CSRF token): kept, not dropped.
    def expired(route):
        route.fulfill(status=400, body="<main><h1>Biểu mẫu đã hết hạn</h1></main>")

    page.route("**/groups/*/meetings/new", expired)
    page.goto(live_server + "/outbox")
    until(page, "document.querySelector('#outbox-list li.state-login') !== null")
    assert "đăng nhập" in page.locator("#outbox-list li .outbox-state").inner_text()
    assert meetings(app) == 0
    page.unroute("**/groups/*/meetings/new")

    # The next page of a logged-in session sends it again with that page's token.
    page.goto(live_server + "/")
    wait_sent(page, 1)
    assert meetings(app) == 1


def meeting_makers(app) -> list[int]:
    """Who recorded each meeting, as the audit log has it."""
    from core.audit import AuditEvent

    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.actor_id).where(
                    AuditEvent.action == "create", AuditEvent.object_type == "meetings"
                )
            )
        )


def revoke(app, user) -> None:
    """The session ends on the server (logged out elsewhere, deactivated, timed out)."""
    from accounts.models import User
    from accounts.services import revoke_sessions

    with app.app_context():
        assert revoke_sessions(db.session.get(User, user.id)) >= 1
        db.session.commit()


def test_a_session_revoked_while_offline_keeps_the_entries_for_their_maker_alone(
    app, live_server, online_phone, facilitator_group, make_user, make_group
):
    context, page = online_phone
    user, group = facilitator_group
    other = make_user(Role.FACILITATOR, username="lan", password=PASSWORD, full_name="Lê Thị Lan")
    make_group(HUE, facilitators=[other], name="Nhóm Thôn Tây", founded_on=date(2025, 1, 6))
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Buổi một")
    revoke(app, user)  # still offline, the session ends on the server meanwhile

    # The signal returns on an open page: the sending meets the login page and waits.
    context.set_offline(False)
    page.goto(live_server + "/groups")
    assert "/login" in page.url
    assert [e["state"] for e in entries(page)] == ["waiting"]
    assert meetings(app) == 0

    # Another facilitator logs in on this phone: nothing of hoa's is sent under lan.
    log_in(page, live_server, "lan")
    page.goto(live_server + "/outbox")
    until(page, "!document.getElementById('outbox-empty').hidden")
    assert meetings(app) == 0
    page.click(".account summary")
    with page.expect_navigation():
        page.click(".account form button[type=submit]")

    # hoa logs in again: it is sent once, under hoa, with the new session's token.
    log_in(page, live_server)
    wait_sent(page, 1)
    assert meetings(app) == 1
    assert meeting_makers(app) == [user.id]


def test_a_session_revoked_under_an_open_page_waits_as_needs_login_then_is_sent_once(
    app, live_server, online_phone, facilitator_group
):
    context, page = online_phone
    user, group = facilitator_group
    log_in(page, live_server)
    record_offline(context, page, live_server, group, today(), "Buổi chờ")
    context.set_offline(False)
    page.route("**/groups/*/meetings/new", lambda route: route.abort())
    page.goto(live_server + "/outbox")  # logged in, but the first sending fails
    until(page, "document.querySelector('#outbox-list li.state-waiting') !== null")
    page.unroute("**/groups/*/meetings/new")
    revoke(app, user)

    # The page still open sends again: the server answers with its login page.
    page.locator("#outbox-list button", has_text="Gửi lại").first.click()
    until(page, "document.querySelector('#outbox-list li.state-login') !== null")
    assert meetings(app) == 0

    log_in(page, live_server)
    wait_sent(page, 1)
    page.goto(live_server + "/")
    assert meetings(app) == 1
    assert meeting_makers(app) == [user.id]


def kept_count(page) -> int:
    return page.evaluate(
        """() => caches.has('tuluc-forms').then((has) => !has ? -1 : caches.open('tuluc-forms')
            .then((c) => c.keys()).then((keys) => keys.length - 1))"""
    )


def test_a_facilitator_who_keeps_their_groups_opens_and_saves_a_form_with_no_signal(
    app, live_server, online_phone, facilitator_group, markup
):
    context, page = online_phone
    user, group = facilitator_group
    log_in(page, live_server)
    form_url = f"{live_server}/groups/{group.id}/meetings/new"

    # Without the choice, no page holding names is kept: a dead zone says what to do.
    page.goto(live_server + "/account")
    assert kept_count(page) == -1
    context.set_offline(True)
    page.goto(form_url)
    assert page.locator("#no-signal").count() == 1
    context.set_offline(False)

    page.goto(live_server + "/account")
    with page.expect_navigation():
        page.click("#keep-forms button[name=keep][value='1']")
    state = page.locator("#keep-forms-state")
    state.wait_for(state="visible")
    assert "1 phiếu" in state.inner_text()
    assert kept_count(page) == 1
    markup.watch(page)
    page.goto(live_server + "/account")
    state.wait_for(state="visible")
    markup.check(page, "account-keeping")

    # In a dead zone the kept form opens, says it is a copy, and keeps two meetings.
    context.set_offline(True)
    for held_on, topics in ((today(), "Buổi một"), (today() - timedelta(days=7), "Buổi hai")):
        page.goto(form_url)
        notice = page.locator(".offline-copy")
        notice.wait_for(state="visible")
        assert "Không có mạng" in notice.inner_text()
        assert page.locator("main").inner_text().count("Trần Thị Mai") == 1
        page.fill("#held_on", held_on.isoformat())
        page.fill("#topics", topics)
        with page.expect_navigation():
            page.click("form.meeting [type=submit]")
        assert page.locator("#offline-saved").count() == 1
    kept = entries(page)
    assert [e["state"] for e in kept] == ["waiting", "waiting"]
    assert len({e["key"] for e in kept}) == 2  # one copy, two meetings, two keys
    assert meetings(app) == 0

    # Signal back: both are sent once, with a fresh token.
    context.set_offline(False)
    page.goto(live_server + "/outbox")
    wait_sent(page, 2)
    assert meetings(app) == 2
    assert meeting_makers(app) == [user.id, user.id]

    # The group is given to another facilitator: its form leaves the phone with the next
    # page that has signal (the account page asks at once).
    from groups.models import Group

    with app.app_context():
        db.session.get(Group, group.id).facilitators = []
        db.session.commit()
    page.goto(live_server + "/account")
    state.wait_for(state="visible")
    assert "0 phiếu" in state.inner_text()
    assert kept_count(page) == 0

    # Logging out wipes what was kept.
    page.click(".account summary")
    with page.expect_navigation():
        page.click(".account form button[type=submit]")
    assert kept_count(page) == -1
    markup.assert_valid_html()
