"""Progress, definitions, scorecard, workload and portfolio pages, by role and scope."""

import re
from datetime import date
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from core.db import db
from groups.models import Group, Member
from reports.definitions import FIGURES, SUPPORT
from tests.conftest import HUE, NGHE_AN, login
from tests.reports import world as world_module

MARCH = "period=month&on=2025-03-01"


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_coordinator_sees_their_provinces_and_drills_down_to_a_group(client, world):
    login(client, world.coordinator)
    page = client.get(f"/progress?{MARCH}")
    assert page.status_code == 200
    html = text(page)
    assert "Thừa Thiên Huế" in html or "Huế" in html
    assert "Nghệ An" not in html
    assert f"province={HUE}" in html
    province = client.get(f"/progress?province={HUE}&{MARCH}")
    assert province.status_code == 200
    commune = re.search(r"commune=(\d+)", text(province)).group(1)
    communes = client.get(f"/progress?commune={commune}&{MARCH}")
    assert "Nhóm A" in text(communes)
    group = client.get(f"/progress?group={world.groups.a.id}&{MARCH}")
    html = text(group)
    assert group.status_code == 200
    assert world.members.m2.code in html and "Trần Thị Mai" in html  # the group's members
    assert "<svg" in html and "<title" in html and "<desc" in html


@pytest.mark.parametrize("scope", ["", f"province={HUE}&", "group={a}&"])
def test_the_page_starts_with_the_summary_and_places_and_folds_every_chart(client, world, scope):
    """Issue 27 (the phone): /progress was 11 screens at 360 px; the summary and the table
    of places come first, and every chart is folded behind a tap (its table is beside it)."""
    login(client, world.coordinator)
    html = text(client.get(f"/progress?{scope.format(a=world.groups.a.id)}{MARCH}"))
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert headings[0] == "Tóm tắt"
    assert headings[1] in ("Tỉnh/thành phố", "Xã/phường", "Nhóm") or scope.startswith("group")
    charts = re.findall(r'<svg class="chart"', html)
    folded = re.findall(
        r'<details class="chart-fold">\s*<summary>[^<]*</summary>\s*<svg class="chart"', html
    )
    assert charts and len(folded) == len(charts)


def test_coordinator_is_refused_another_provinces_scope(client, world):
    login(client, world.coordinator)
    assert client.get(f"/progress?province={NGHE_AN}").status_code == 403
    assert client.get(f"/progress?group={world.groups.d.id}").status_code == 403
    assert client.get(f"/progress/scorecard?group={world.groups.d.id}").status_code == 403
    assert client.get(f"/progress/grants?province={NGHE_AN}").status_code == 403
    assert client.get("/progress?province=99999").status_code == 404


def test_after_a_group_moves_province_it_leaves_the_coordinators_pages(app, client, world):
    with app.app_context():
        db.session.execute(
            update(Group)
            .where(Group.id == world.groups.a.id)
            .values(province_code=NGHE_AN, commune_code=world.groups.d.commune_code)
        )
        db.session.commit()
    login(client, world.coordinator)
    assert client.get(f"/progress?group={world.groups.a.id}").status_code == 403
    html = text(client.get(f"/progress/scorecard?{MARCH}"))
    assert "Nhóm B" in html and "Nhóm A" not in html
    assert world.members.m5.code not in text(client.get("/progress/grants"))


def test_figures_reflect_a_meeting_recorded_a_second_ago(client, world, make_meeting):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    url = f"/progress?group={world.groups.a.id}&{MARCH}"
    assert "Regular meetings held</td><td>3</td>" in text(client.get(url))
    make_meeting(world.groups.a, date(2025, 3, 24))
    assert "Regular meetings held</td><td>4</td>" in text(client.get(url))


def test_a_bad_period_is_explained_not_an_error(client, world):
    login(client, world.coordinator)
    page = client.get("/progress?period=custom&start=2025-03-10&end=2025-01-01")
    assert page.status_code == 200
    assert 'role="alert"' in page.get_data(as_text=True)
    assert client.get("/progress?group=abc").status_code == 200  # not an id: no narrowing


def test_the_definitions_page_shows_every_figure(client, world):
    login(client, world.facilitator)
    client.post("/language", data={"locale": "en"})
    html = client.get("/progress/how").get_data(as_text=True)
    with client.application.test_request_context(), force_locale("en"):
        for figure in [*FIGURES.values(), *SUPPORT.figures]:
            assert str(figure.label) in html
            assert " ".join(str(figure.how).split()) in " ".join(unescape(html).split())


def test_facilitator_sees_their_own_groups_scorecard(client, world):
    login(client, world.facilitator)
    html = text(client.get(f"/progress/scorecard?{MARCH}"))
    assert "Nhóm A" in html and "Nhóm B" not in html
    assert client.get(f"/progress?group={world.groups.b.id}").status_code == 403
    assert client.get(f"/progress?province={HUE}").status_code == 403
    assert client.get("/progress/grants").status_code == 403


def test_scorecard_ranks_the_group_that_needs_a_visit_first(client, world):
    login(client, world.coordinator)
    html = text(client.get(f"/progress/scorecard?{MARCH}"))
    assert html.index("Nhóm A") < html.index("Nhóm B")  # A held 3 of 5; B all it had to
    assert "Nhóm C" not in html  # closed


def test_workload_counts_visits_per_facilitator(app, client, world):
    with app.app_context():
        from livelihoods.models import FollowUp

        due = db.session.scalars(
            select(FollowUp.due_on).join(Member).where(Member.id == world.members.m2.id)
        ).all()
    assert due  # m2's grant checks, in group A (facilitated by `facilitator`)
    login(client, world.coordinator)
    html = text(client.get("/progress/workload"))
    assert "Nguyễn Thị Hoa" in html  # the facilitator of A


def test_portfolio_shows_the_queue_with_attendance_and_earlier_grants(
    app, client, world, monkeypatch
):
    from types import SimpleNamespace

    from livelihoods.models import Activity
    from livelihoods.services.grants import draft_grant, submit_grant

    with app.app_context():
        m2 = db.session.get(Member, world.members.m2.id)
        grant = draft_grant(
            SimpleNamespace(id=None),
            m2,
            activity=Activity.TAILORING,
            plan="May",
            amount_requested=1_000_000,
        )
        submit_grant(SimpleNamespace(id=None), grant)
        db.session.commit()
    monkeypatch.setattr("reports.pages.review.today", lambda: date(2025, 4, 15))
    login(client, world.coordinator)
    page = client.get("/progress/grants")
    html = text(page)
    assert page.status_code == 200
    assert world.members.m2.code in html
    assert "2/3" in html  # m2 was absent at one of A's three meetings
    assert "1 ·" in html  # one earlier grant (approved, paid)


def test_pages_are_in_vietnamese_by_default(client, world):
    login(client, world.coordinator)
    html = client.get(f"/progress?{MARCH}").get_data(as_text=True)
    assert "Tiến độ" in html


def test_donor_report_rounds_counts_and_never_shows_a_small_one(client, world):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/progress/donor?{MARCH}")
    html = text(page)
    assert page.status_code == 200
    # Six members in a group, one joined: published as multiples of 5, never as 1.
    members = re.search(r"Members in a group</td><td>(\d+)</td>", html).group(1)
    joined = re.search(r"Joined</td><td>(\d+)</td>", html).group(1)
    assert members in ("5", "10") and joined in ("0", "5")
    # Category 2: all six; categories 1 and 3: none (0 stays 0).
    assert re.search(r"Category 2</td><td>(5|10)</td>", html)
    assert "Category 1</td><td>0</td>" in html
    # Three decisions in March: their median is hidden, marked [c], never "<5" (F4).
    assert '<span class="hidden-cell">[c]</span>' in html
    assert "&lt;5" not in html and "<5" not in html
    # The legend, in both languages whatever the user's.
    assert "[c]: hidden to protect people" in html and "bội số của 5" in html
    assert world.members.m2.code not in html and "Trần Thị Mai" not in html
    assert client.get(f"/progress/donor?province={NGHE_AN}").status_code == 403
    assert client.get(f"/progress/donor?province={HUE}").status_code == 200


def test_facilitators_have_no_donor_report(client, world):
    login(client, world.facilitator)
    assert client.get("/progress/donor").status_code == 403


def test_demo_coordinator_sees_progress_in_vietnamese_and_drills_into_a_group(app, runner):
    from demo.data import DEMO_PASSWORD

    runner.invoke(args=["demo", "--no-serve"])
    client = app.test_client()
    login(client, type("U", (), {"username": "coordinator", "password": DEMO_PASSWORD}))
    assert "Tiến độ" in client.get("/").get_data(as_text=True)  # linked from the home page
    page = text(client.get("/progress"))
    assert "Tiến độ: Tỉnh/thành phố của tôi" in page
    groups = int(re.search(r"<strong>(\d+)</strong> nhóm đang hoạt động", page).group(1))
    assert groups > 0
    province = re.search(r'href="(/progress\?province=\d+[^"]*)"', page).group(1)
    commune_page = text(client.get(province.replace("&amp;", "&")))
    commune = re.search(r'href="(/progress\?commune=\d+[^"]*)"', commune_page).group(1)
    group_page = text(client.get(commune.replace("&amp;", "&")))
    group = re.search(r'href="(/progress\?group=\d+[^"]*)"', group_page).group(1)
    drilled = client.get(group.replace("&amp;", "&"))
    assert drilled.status_code == 200
    assert "Thành viên hiện nay" in text(drilled)


@pytest.mark.parametrize(
    "query",
    [
        "period=%00&on=2025-13-40",
        "period=custom&start=&end=",
        "period=custom&start=0001-01-01&end=9999-12-31",
        "province=１２&commune=-1&group=99999999999999999999",
        "group=2147483648&page=99999999999999999999",
        "page=0&period=year&on=2025-02-29",
    ],
)
def test_bad_query_strings_are_answered_never_a_500(client, world, query):
    login(client, world.coordinator)
    for url in (
        "/progress",
        "/progress/scorecard",
        "/progress/workload",
        "/progress/grants",
        "/progress/donor",
    ):
        status = client.get(f"{url}?{query}").status_code
        # 400: the donor report says which provinces it cannot read, publishing nothing.
        assert status in (200, 400, 403, 404), (url, query, status)


def test_the_figures_go_out_as_a_spreadsheet_with_numbers_and_an_audit_event(app, client, world):
    import csv
    import io
    import re

    from openpyxl import load_workbook
    from sqlalchemy import func, select

    from core.audit import AuditEvent

    login(client, world.coordinator)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page = client.get(f"/progress?{MARCH}").get_data(as_text=True)
    assert "Chỉ dùng nội bộ: số liệu trên trang này là số chính xác" in page
    assert "/progress/export/internal?" in page
    response = client.get(f"/progress/export?format=xlsx&{MARCH}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > 10 and len(rows[0]) == 5
    assert any(isinstance(r[3], (int, float)) for r in rows[1:])
    # The file anyone may be sent is protected as the donor report is (issue 21): counts
    # are multiples of 5, amounts whole numbers or hidden ([c], text).
    counts, amounts = "số lượng", "đồng"  # progress.UNITS of counts and amounts
    assert all(r[3] % 5 == 0 for r in rows[1:] if r[2] == counts and r[3] is not None)
    assert {type(r[3]) for r in rows[1:] if r[2] == amounts and r[3] is not None} <= {int, str}
    assert {r[3] for r in rows[1:] if isinstance(r[3], str)} <= {"[c]"}
    csv_rows = list(
        csv.reader(
            io.StringIO(client.get(f"/progress/export?format=csv&{MARCH}").data.decode("utf-8-sig"))
        )
    )
    blank = csv_rows.index([])
    notes = dict(csv_rows[:blank])
    assert "Chỉ dùng nội bộ" not in notes, notes
    assert "bội số của 5" in notes["Chú thích (Tiếng Việt)"]
    csv_rows = csv_rows[blank + 1 :]
    values = [(r[2], v) for r in csv_rows[1:] for v in r[3:] if v and v != "[c]"]
    assert values and all(re.fullmatch(r"-?\d+|-?\d+\.\d{4}", v) for _u, v in values), values
    assert all("." not in v for unit, v in values if unit in (counts, amounts))
    with app.app_context():
        after = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > before
        assert after >= 1
    assert client.get("/progress/export?format=pdf").status_code == 404
    assert client.get(f"/progress/export?province={NGHE_AN}&format=csv").status_code == 403


def test_exact_figures_only_with_a_reason_recorded_in_the_audit_log(app, client, world):
    import csv
    import io

    from sqlalchemy import select

    from core.audit import AuditEvent

    login(client, world.coordinator)
    url = f"/progress/export/internal?{MARCH}"
    form = client.get(url)
    assert form.status_code == 200 and "nội bộ" in form.get_data(as_text=True)
    short = client.post(url, data={"format": "csv", "reason": "vì"})
    assert short.status_code == 200 and "15" in short.get_data(as_text=True)
    reason = "Đối chiếu với sổ sách của tỉnh"
    response = client.post(url, data={"format": "csv", "reason": reason})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    blank = rows.index([])
    notes = dict(rows[:blank])
    assert "không công bố" in notes["Chỉ dùng nội bộ"] and notes["Lý do"] == reason
    joined = next(r for r in rows[blank + 2 :] if r[1] == "Mới tham gia")
    assert joined[3] == "1"  # exact: m4 joined in March
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id.desc())
        ).first()
        assert reason in (event.detail or "")
    # Facilitators get the protected file only; others' provinces are refused.
    assert client.get(f"/progress/export/internal?province={NGHE_AN}").status_code == 403
    facilitator = app.test_client()
    login(facilitator, world.facilitator)
    assert facilitator.get(url).status_code == 403
    assert facilitator.post(url, data={"format": "csv", "reason": reason}).status_code == 403
