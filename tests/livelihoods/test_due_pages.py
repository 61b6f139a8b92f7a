"""The due list shows every open visit, page by page: none is cut off silently."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert

from accounts.models import Role
from core.clock import today
from core.db import db
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from livelihoods.views.visit_pages import DUE_PER_PAGE
from tests.conftest import HUE


def test_every_overdue_visit_is_reachable_page_by_page(
    app, client, login_as, make_group, make_member
):
    login_as(Role.COORDINATOR, provinces=(HUE,))
    group = make_group(HUE)
    member = make_member(group)
    total = DUE_PER_PAGE + 7
    with app.app_context():
        db.session.execute(
            insert(FollowUp),
            [
                dict(
                    kind=FollowUpKind.HOME_VISIT,
                    source_key=f"home:{member.id}:{i}",
                    member_id=member.id,
                    source_on=today() - timedelta(days=30 + i),
                    due_on=today() - timedelta(days=20 + i),
                    status=FollowUpStatus.SCHEDULED,
                )
                for i in range(total)
            ],
        )
        db.session.commit()
    seen, url, pages = [], "/due", 0
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/follow-ups/(\d+)/visit"', page)
        assert f"{total}" in page  # the count of all of them, on every page
        following = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = following.group(1).replace("&amp;", "&") if following else None
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == total  # each once, none cut off
    # Backwards from the end, the same visits.
    last = client.get("/due?last=1").get_data(as_text=True)
    assert re.findall(r'href="/follow-ups/(\d+)/visit"', last) == seen[-DUE_PER_PAGE:]
    # Old page numbers and cursors that are gone give a page, not an error.
    assert client.get("/due?page=99").status_code == 200
    assert client.get("/due?after=2147483647").status_code == 200
    assert client.get("/due?before=abc").status_code == 200


def test_the_count_stops_at_the_cap(app, client, login_as, make_group, make_member, monkeypatch):
    from livelihoods.views import visit_pages as views

    monkeypatch.setattr(views, "DUE_COUNT_CAP", 3)
    login_as(Role.COORDINATOR, provinces=(HUE,))
    member = make_member(make_group(HUE))
    with app.app_context():
        db.session.execute(
            insert(FollowUp),
            [
                dict(
                    kind=FollowUpKind.HOME_VISIT,
                    source_key=f"home:{member.id}:{i}",
                    member_id=member.id,
                    source_on=today() - timedelta(days=30 + i),
                    due_on=today() - timedelta(days=20 + i),
                    status=FollowUpStatus.SCHEDULED,
                )
                for i in range(5)
            ],
        )
        db.session.commit()
    page = client.get("/due").get_data(as_text=True)
    assert len(re.findall(r'href="/follow-ups/(\d+)/visit"', page)) == 5  # all listed
    assert "Hơn 3 lần thăm" in page  # the cap, said so


@pytest.mark.parametrize(("n", "expected"), [(2, "2"), (3, "2+")])
def test_coordinator_home_counts_stop_at_the_cap(
    app, client, login_as, make_group, make_member, monkeypatch, n, expected
):
    from reports import views as home_views

    monkeypatch.setattr(home_views, "HOME_COUNT_CAP", 2)
    login_as(Role.COORDINATOR, provinces=(HUE,))
    member = make_member(make_group(HUE))
    with app.app_context():
        db.session.execute(
            insert(FollowUp),
            [
                dict(
                    kind=FollowUpKind.HOME_VISIT,
                    source_key=f"home:{member.id}:{i}",
                    member_id=member.id,
                    source_on=today() - timedelta(days=30 + i),
                    due_on=today() - timedelta(days=20 + i),
                    status=FollowUpStatus.SCHEDULED,
                )
                for i in range(n)
            ],
        )
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    late = re.search(r"<strong>([^<]+)</strong> <a href=\"/due\">", home).group(1)
    assert late == expected


def test_coordinator_home_sends_the_grants_waiting_to_the_decision_queue(client, login_as):
    """The count of grants waiting opens the queue with attendance and earlier grants
    beside each application, not the plain list (usability F9c)."""
    login_as(Role.COORDINATOR, provinces=(HUE,))
    home = client.get("/").get_data(as_text=True)
    waiting = re.search(r'<a href="([^"]+)">[^<]*(?:chờ bạn duyệt|waiting for your decision)', home)
    assert waiting.group(1) == "/progress/grants"
    assert client.get(waiting.group(1)).status_code == 200
