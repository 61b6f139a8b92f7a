# ruff: noqa: F811 - fixtures imported from jobs_fixtures are arguments of the tests
"""What notifications say (neutral words, in English and Vietnamese) and the inbox that
shows them to their owner."""

import re
from datetime import date, timedelta

import pytest
from flask import url_for
from flask_babel import force_locale
from sqlalchemy import select

from core.db import db
from inbox.models import Notification
from inbox.services import render
from livelihoods.jobs import daily_sweep, escalate_overdue, weekly_digest
from tests.conftest import login
from tests.groups.helpers import use_english
from tests.livelihoods.jobs_fixtures import (  # noqa: F401 - fixtures
    DUE,
    MAI_NAME,
    assert_neutral,
    make_paid_grant,
    make_submitted_grant,
    notifications,
    run,
    world,
)

FOLLOW_UP_KINDS = ("due_soon", "due_today", "overdue", "escalated")
DATES = {"en": "10 Feb 2026", "vi": "10/02/2026"}  # 10 February 2026, the due date


@pytest.fixture
def every_kind(app, world, make_paid_grant, make_submitted_grant):
    """Mai's grant (1.500.000 ₫) checked on 10 Feb 2026; one notification of every kind
    sent: reminders at each stage to `fac`, escalation and digest to `coord`."""
    grant = make_paid_grant(world.mai)
    make_submitted_grant(world.mai)
    for day in (DUE - timedelta(days=1), DUE, DUE + timedelta(days=1)):
        run(app, daily_sweep, day)
    late = DUE + timedelta(days=15)
    run(app, escalate_overdue, late)
    run(app, weekly_digest, late)
    with app.app_context():
        ids = {
            kind: db.session.scalar(
                select(Notification.id).where(
                    Notification.kind == kind,
                    Notification.user_id.in_([world.fac.id, world.coord.id]),
                )
            )
            for kind in (*FOLLOW_UP_KINDS, "digest")
        }
    assert None not in ids.values()
    return world, grant, ids


def rendered(app, locale: str) -> dict[int, tuple]:
    """Every notification in words, as a page in that language shows them: subject, body
    and the link's URL."""
    with app.test_request_context(), force_locale(locale):
        texts = render(list(db.session.scalars(select(Notification))))
        return {n: (subject, body, url_of(link)) for n, (subject, body, link) in texts.items()}


def url_of(link) -> str | None:
    """A renderer's link, a URL or an (endpoint, arguments) pair, as a URL."""
    if link is None or isinstance(link, str):
        return link
    endpoint, values = link
    return url_for(endpoint, **values)


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_follow_up_notifications_name_the_member_by_code_only(app, every_kind, locale):
    world, grant, ids = every_kind
    texts = rendered(app, locale)
    subjects = set()
    for kind in FOLLOW_UP_KINDS:
        subject, body, link = texts[ids[kind]]
        assert_neutral(subject, code=world.mai.code)
        assert_neutral(body, code=world.mai.code)
        assert DATES[locale] in body
        # The link carries an id, never the code or name.
        assert link == f"/follow-ups/{grant.checks[1]}/visit"
        subjects.add(subject)
    assert len(subjects) == len(FOLLOW_UP_KINDS)  # each stage says which it is


def test_follow_up_notifications_in_english_say_the_stage_kind_code_and_day(app, every_kind):
    world, _grant, ids = every_kind
    texts = rendered(app, "en")
    code = world.mai.code
    stages = {
        "due_soon": "coming up",
        "due_today": "due today",
        "overdue": "overdue",
        "escalated": "more than two weeks",
    }
    for kind, words in stages.items():
        subject, body, _link = texts[ids[kind]]
        assert words in subject
        assert subject.endswith(code)
        assert body.startswith("Livelihood check")
        assert code in body
        assert body.endswith("10 Feb 2026.")  # day first, month named: never 2/10/2026


def test_vietnamese_texts_differ_from_english_ones(app, every_kind):
    _world, _grant, ids = every_kind
    english, vietnamese = rendered(app, "en"), rendered(app, "vi")
    for notification_id in ids.values():
        assert vietnamese[notification_id] != english[notification_id]


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_digest_gives_counts_without_names_or_amounts(app, every_kind, locale):
    _world, _grant, ids = every_kind
    subject, body, link = rendered(app, locale)[ids["digest"]]
    assert_neutral(subject)
    assert_neutral(body)
    assert "Huế" not in subject + body
    assert link == "/due"
    # Huế on 25 Feb: 1 overdue visit; 2 groups behind (never met); 1 grant waiting.
    assert [int(n) for n in re.findall(r"\d+", body)] == [1, 2, 1]
    if locale == "en":
        assert body == (
            "In your provinces: 1 visit is overdue. 2 groups are behind on meetings. "
            "1 grant is waiting for a decision."
        )
    else:  # the plurals reach Vietnamese readers too (they once stayed in English)
        assert body == (
            "Ở các tỉnh/thành phố bạn phụ trách: 1 lần thăm đã quá hạn. "
            "2 nhóm trễ lịch sinh hoạt. 1 đơn đề nghị hỗ trợ đang chờ duyệt."
        )


# The inbox -------------------------------------------------------------------------------

BADGE = re.compile(r'<span class="badge">(\d+)</span>')


def badge(client) -> int | None:
    match = BADGE.search(client.get("/").get_data(as_text=True))
    return int(match.group(1)) if match else None


@pytest.fixture
def reminded(app, world, make_paid_grant):
    """Due-soon reminders on 9 Feb 2026: Mai's visit to `fac` (and `fac2`), Bình's
    visit in another group to `other_fac`."""
    mine = make_paid_grant(world.mai).checks[1]
    theirs = make_paid_grant(world.other).checks[1]
    run(app, daily_sweep, DUE - timedelta(days=1))
    return world, mine, theirs


def unread_of(app, user_id) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(Notification).where(
                    Notification.user_id == user_id, Notification.read_at.is_(None)
                )
            ).all()
        )


def test_inbox_shows_the_owners_notifications_and_marks_them_read(app, client, reminded):
    world, mine, _theirs = reminded
    login(client, world.fac)
    use_english(client)
    assert badge(client) == 1

    page = client.get("/inbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Visit coming up: {world.mai.code}" in html
    assert "Livelihood check" in html
    assert f'href="/follow-ups/{mine}/visit"' in html
    assert 'class="unread"' in html
    assert world.other.code not in html
    # Beside the code, who it is, linked to her page: the facilitator may see her name.
    assert f'<a href="/members/{world.mai.id}">{MAI_NAME}</a>' in html

    assert unread_of(app, world.fac.id) == 0
    # Other people's notifications stay unread.
    assert unread_of(app, world.fac2.id) == 1
    assert unread_of(app, world.other_fac.id) == 1
    # The badge is gone, and a second visit shows them as read.
    assert badge(client) is None
    again = client.get("/inbox").get_data(as_text=True)
    assert f"Visit coming up: {world.mai.code}" in again
    assert 'class="unread"' not in again


def test_inbox_never_shows_another_users_notifications(app, reminded):
    world, _mine, theirs = reminded
    client = app.test_client()
    login(client, world.other_fac)
    use_english(client)
    html = client.get("/inbox").get_data(as_text=True)
    assert f"Visit coming up: {world.other.code}" in html
    assert f'href="/follow-ups/{theirs}/visit"' in html
    assert world.mai.code not in html
    assert unread_of(app, world.fac.id) == 1


def test_inbox_of_someone_without_notifications_is_empty(app, reminded):
    world, _mine, _theirs = reminded
    client = app.test_client()
    login(client, world.coord)
    use_english(client)
    assert badge(client) is None
    html = client.get("/inbox").get_data(as_text=True)
    assert "No messages." in html
    assert world.mai.code not in html
    assert len(notifications(app)) == 3
    assert unread_of(app, world.fac.id) == 1


def test_inbox_in_vietnamese_shows_the_code_and_the_vietnamese_date(app, client, reminded):
    world, _mine, _theirs = reminded
    login(client, world.fac)
    html = client.get("/inbox").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert world.mai.code in html
    assert DATES["vi"] in html
    assert MAI_NAME in html  # in the app, for staff who may see it; emails keep the code


def test_unread_badge_counts_new_notifications_after_the_inbox_was_opened(app, client, reminded):
    world, _mine, _theirs = reminded
    login(client, world.fac)
    client.get("/inbox")
    assert badge(client) is None
    run(app, daily_sweep, DUE)  # due today: a new one
    assert badge(client) == 1
    run(app, daily_sweep, date(2026, 2, 11))
    assert badge(client) == 2
