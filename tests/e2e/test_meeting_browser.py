"""A facilitator records, then corrects, a meeting on a 360 px phone with JavaScript off.

The radio inputs of the attendance form are visually hidden, so the test taps the styled
<label> elements, as a person would. Some meeting strings are not translated yet, so those
pages are checked by structure (ids, classes, links); the login page and the greeting are
checked in Vietnamese.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from tests.conftest import HUE
from tests.e2e.conftest import submit

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360
NAMES = [
    "Trần Thị Mai",
    "Lê Văn Hùng",
    "Phạm Thị Hương",
    "Hoàng Văn Minh",
    "Võ Thị Thu",
    "Đặng Văn Tâm",
    "Bùi Thị Ngọc",
    "Đỗ Văn Phúc",
    "Hồ Thị Lan Anh",
    "Ngô Văn Sơn",
    "Dương Thị Yến",
    "Lý Văn Khoa",
]


def saved_marks(app, meeting_id: int) -> dict[int, AttendanceStatus]:
    """Attendance as stored, one entry per row (a duplicate row would fail the count)."""
    with app.app_context():
        rows = db.session.scalars(
            select(Attendance).where(Attendance.meeting_id == meeting_id)
        ).all()
        marks = {a.member_id: AttendanceStatus(a.status) for a in rows}
        assert len(marks) == len(rows)
        return marks


def expected_marks(members, absent=(), excused=()) -> dict[int, AttendanceStatus]:
    marks = {m.id: AttendanceStatus.PRESENT for m in members}
    marks.update({m.id: AttendanceStatus.ABSENT for m in absent})
    marks.update({m.id: AttendanceStatus.EXCUSED for m in excused})
    return marks


def tap(page, member, status: str) -> None:
    """Tap the visible label of one attendance choice; the radio behind it gets checked."""
    page.click(f'label[for="att-{member.id}-{status}"]')
    assert page.is_checked(f"#att-{member.id}-{status}")


def assert_checked(page, marks: dict[int, AttendanceStatus]) -> None:
    for member_id, status in marks.items():
        assert page.is_checked(f"#att-{member_id}-{status.value}"), (member_id, status)


def assert_meeting_page(page, meeting_id: int, present: int, absent: int, excused: int):
    assert page.locator("html").get_attribute("lang") == "vi"
    total = present + absent + excused
    assert page.locator("main li.att-present").count() == present
    assert page.locator("main li.att-absent").count() == absent
    assert page.locator("main li.att-excused").count() == excused
    # "%(present)d of %(total)d present", in whichever language the catalog has by now.
    summary = page.locator("main section.card strong").first.inner_text()
    assert re.search(rf"(?<!\d){present}(?!\d)\D+(?<!\d){total}(?!\d)", summary), summary
    assert page.locator(f'main a[href="/meetings/{meeting_id}/edit"]').count() == 1


def assert_fits_phone(page) -> None:
    # Playwright's evaluate runs over the DevTools protocol, so it works although the
    # context has JavaScript disabled (the page's own scripts would not run).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_facilitator_records_and_corrects_a_meeting_on_a_phone(
    app, live_server, phone, make_user, make_group, make_member, tmp_path
):
    user = make_user(
        Role.FACILITATOR,
        username="hoa",
        password="một câu dài dễ nhớ",
        full_name="Nguyễn Thị Hoa",
    )
    group = make_group(HUE, facilitators=[user], name="Nhóm Thôn Đông", founded_on=date(2025, 1, 6))
    members = [
        make_member(group, full_name=name, joined_on=date(2025, 1, 6) + timedelta(days=7 * i))
        for i, name in enumerate(NAMES)
    ]
    assert all(date(2025, 1, 6) + timedelta(days=7 * i) < today() for i in range(len(NAMES)))
    absent, excused = [members[2], members[7]], [members[10]]

    # Log in, in Vietnamese (the phone asks for vi-VN).
    phone.goto(live_server + "/")
    assert phone.locator("h1").inner_text() == "Đăng nhập"
    phone.fill("#username", "hoa")
    phone.fill("#password", "một câu dài dễ nhớ")
    submit(phone, "button[type=submit], input[type=submit]")
    assert phone.locator("h1").inner_text() == "Chào Nguyễn Thị Hoa"
    assert_fits_phone(phone)

    # Home → the group → record a meeting.
    phone.click(f'main a[href="/groups/{group.id}"]')
    phone.wait_for_url(f"**/groups/{group.id}")
    assert phone.locator("h1").inner_text() == "Nhóm Thôn Đông"
    assert_fits_phone(phone)
    phone.click(f'main .heading a.button[href="/groups/{group.id}/meetings/new"]')
    phone.wait_for_url(f"**/groups/{group.id}/meetings/new")

    form = phone.locator("form.meeting")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert form.locator(".att-row").count() == len(members)
    assert phone.input_value("#held_on") == today().isoformat()  # today's date, left as is
    assert_checked(phone, expected_marks(members))  # everyone present to start with

    for member in absent:
        tap(phone, member, "absent")
    for member in excused:
        tap(phone, member, "excused")
    assert_checked(phone, expected_marks(members, absent, excused))
    phone.fill("#topics", "Tiết kiệm nhóm; kế hoạch tháng sau")
    assert_fits_phone(phone)
    phone.screenshot(path=str(tmp_path / "meeting-form.png"), full_page=True)

    form.locator("[type=submit]").click()
    phone.wait_for_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(phone.url.rsplit("/", 1)[1])

    # What was saved, not just what is shown.
    assert saved_marks(app, meeting_id) == expected_marks(members, absent, excused)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.group_id == group.id
        assert meeting.held_on == today()
        assert meeting.kind == MeetingKind.REGULAR
        assert meeting.topics == "Tiết kiệm nhóm; kế hoạch tháng sau"
    assert_meeting_page(phone, meeting_id, present=9, absent=2, excused=1)
    assert phone.locator(".alert-success").count() == 1
    assert_fits_phone(phone)
    phone.screenshot(path=str(tmp_path / "meeting-saved.png"), full_page=True)

    # Correct it: one absent member did come after all.
    correct = phone.locator(f'main a[href="/meetings/{meeting_id}/edit"]')
    assert correct.inner_text() == "Sửa"
    correct.click()
    phone.wait_for_url(f"**/meetings/{meeting_id}/edit")
    assert_checked(phone, expected_marks(members, absent, excused))
    assert phone.input_value("#topics") == "Tiết kiệm nhóm; kế hoạch tháng sau"
    tap(phone, absent[0], "present")
    assert_fits_phone(phone)
    phone.screenshot(path=str(tmp_path / "meeting-correct.png"), full_page=True)
    phone.locator("form.meeting [type=submit]").click()
    phone.wait_for_url(re.compile(rf"/meetings/{meeting_id}$"))

    assert saved_marks(app, meeting_id) == expected_marks(members, absent[1:], excused)
    with app.app_context():
        assert db.session.scalar(select(func.count(Meeting.id))) == 1
    assert_meeting_page(phone, meeting_id, present=10, absent=1, excused=1)
    phone.screenshot(path=str(tmp_path / "meeting-corrected.png"), full_page=True)


def test_a_meeting_saved_after_the_session_ended_comes_back_after_login(
    app, live_server, phone, make_user, make_group, make_member
):
    """The facilitator opens the form at the start of the meeting and saves at the end,
    after the session has ended: nothing is lost."""
    from datetime import timedelta as _td

    from sqlalchemy import update

    from accounts.models import AuthSession
    from core.db import utcnow

    user = make_user(Role.FACILITATOR, username="hoa", password="một câu dài dễ nhớ")
    group = make_group(HUE, facilitators=[user], name="Nhóm Thôn Đông")
    members = [make_member(group, full_name=name) for name in NAMES[:4]]
    phone.goto(live_server + "/login")
    phone.fill("#username", "hoa")
    phone.fill("#password", "một câu dài dễ nhớ")
    phone.click("main form [type=submit]")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/groups/{group.id}/meetings/new")
    tap(phone, members[1], "absent")
    tap(phone, members[3], "excused")
    phone.fill("#topics", "Kế hoạch nuôi gà")

    # More than the idle time passes without a request.
    with app.app_context():
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - _td(minutes=31)))
        db.session.commit()
    phone.locator("form.meeting [type=submit]").click()
    phone.wait_for_url(re.compile(r"/login\?next="))
    assert "vẫn được giữ" in phone.locator("main .alert").first.inner_text()
    assert_fits_phone(phone)
    with app.app_context():
        assert db.session.scalar(select(func.count(Meeting.id))) == 0

    phone.fill("#username", "hoa")
    phone.fill("#password", "một câu dài dễ nhớ")
    phone.click("main form [type=submit]")
    phone.wait_for_url(f"**/groups/{group.id}/meetings/new")
    assert "điền lại" in phone.locator("main .alert").first.inner_text()
    assert phone.input_value("#topics") == "Kế hoạch nuôi gà"
    assert_checked(phone, expected_marks(members, [members[1]], [members[3]]))
    phone.locator("form.meeting [type=submit]").click()
    phone.wait_for_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(phone.url.rsplit("/", 1)[1])
    assert saved_marks(app, meeting_id) == expected_marks(members, [members[1]], [members[3]])
