"""Frozen releases of the donor report (issue 21): prepared by one person, approved by
another, then served as stored whatever is entered later; corrections are new versions."""

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from reports.models import Release
from reports.pages.releases import is_closed
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, login
from tests.reports import world as world_module

Q1 = "period=quarter&on=2025-01-01"


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def prepare(client, query=Q1, changes=""):
    return client.post(f"/progress/releases?{query}&province={HUE}", data={"changes": changes})


def page_values(body: str) -> list[str]:
    return re.findall(r"<tr><td>[^<]*</td><td>(.*?)</td></tr>", re.sub(r"\s+", " ", body))


def test_a_release_is_frozen_once_approved_and_audited(app, client, make_user, make_member, world):
    login(client, world.coordinator)
    response = prepare(client)
    assert response.status_code == 302
    with app.app_context():
        release = db.session.scalar(select(Release))
        assert release.version == 1 and release.provinces == str(HUE) and not release.approved
        release_id = release.id
    url = f"/progress/releases/{release_id}"
    # The one who prepared it cannot approve it.
    page = client.get(url).get_data(as_text=True)
    assert "Đang chờ duyệt" in page
    assert f"/progress/releases/{release_id}/approve" not in page
    client.post(f"{url}/approve")
    with app.app_context():
        assert not db.session.get(Release, release_id).approved
    assert client.get(f"{url}/export?format=csv").status_code == 400  # not approved yet

    second = make_user(Role.COORDINATOR, provinces=(HUE,))
    checker = app.test_client()
    login(checker, second)
    before = page_values(checker.get(url).get_data(as_text=True))
    assert checker.post(f"{url}/approve").status_code == 302
    file_before = checker.get(f"{url}/export?format=csv").data
    # Data entered later: many members join in the first quarter.
    group = type("G", (), {"id": world.groups.a.id})
    for _ in range(12):
        make_member(group, joined_on=date(2025, 2, 3))
    after = page_values(checker.get(url).get_data(as_text=True))
    assert after == before
    assert (
        checker.get(f"{url}/export?format=csv").data.split(b"\r\n")[-20:]
        == (file_before.split(b"\r\n")[-20:])
    )
    # ... while the live report has moved.
    live = checker.get(f"/progress/donor?{Q1}&province={HUE}").get_data(as_text=True)
    assert page_values(live) != before
    with app.app_context():
        release = db.session.get(Release, release_id)
        assert release.approved_by_id == second.id
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "releases")
        ).all()
        assert [e.action for e in events] == ["prepare_release", "approve_release"]
        assert all("threshold=5" in e.detail for e in events)
        assert all("period=2025-01-01..2025-03-31" in e.detail for e in events)
    rows = list(csv.reader(io.StringIO(file_before.decode("utf-8-sig"))))
    notes = dict(r[:2] for r in rows[: rows.index([])])
    assert notes["Phiên bản"] == "1" and notes["Ngưỡng"] == "5"


def test_a_correction_is_a_new_version_that_says_what_changed(app, client, world):
    login(client, world.coordinator)
    prepare(client)
    refused = prepare(client)  # no word on what changed
    assert refused.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Release)).all()) == 1
    prepare(client, changes="Thêm hai thành viên nhập muộn")
    with app.app_context():
        versions = db.session.scalars(select(Release).order_by(Release.version)).all()
        assert [r.version for r in versions] == [1, 2]
        assert versions[1].changes == "Thêm hai thành viên nhập muộn"


@pytest.mark.parametrize(
    "query",
    ["period=month&on=2025-03-01", "period=quarter&on=2099-01-01", "period=custom&start=x"],
)
def test_only_a_closed_quarter_half_or_year_can_be_released(app, client, world, query):
    login(client, world.coordinator)
    response = prepare(client, query)
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalars(select(Release)).all() == []


def test_halves_are_closed_periods():
    today = date(2026, 1, 10)
    assert is_closed(Period.custom(date(2025, 7, 1), date(2025, 12, 31)), today)
    assert not is_closed(Period.custom(date(2025, 7, 1), date(2025, 12, 30)), today)
    assert not is_closed(Period.containing("year", date(2026, 1, 1)), today)


def test_releases_of_other_provinces_are_refused(app, client, world):
    login(client, world.coordinator)
    prepare(client)
    with app.app_context():
        release_id = db.session.scalar(select(Release.id))
    other = app.test_client()
    login(other, world.other)
    assert other.get(f"/progress/releases/{release_id}").status_code == 403
    assert other.post(f"/progress/releases/{release_id}/approve").status_code == 403
    listing = other.get("/progress/releases").get_data(as_text=True)
    assert f"/progress/releases/{release_id}" not in listing
    assert other.post(f"/progress/releases?{Q1}&province={HUE}").status_code == 403
    assert other.post(f"/progress/releases?{Q1}&province={NGHE_AN}").status_code == 302
