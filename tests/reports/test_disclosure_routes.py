"""Every way figures leave the app goes through the one disclosure module (issue 21).

The download routes are found, not listed by hand: every endpoint of app.url_map whose
view calls, directly or through other functions of the app, core.downloads.attachment
(every file goes out through it: tests/test_downloads.py). Each must be named below as a
protected aggregate file, the audited internal export of exact figures, or a file of
records (rows of members, groups, grants: the case team's work files, audited; no
aggregate), or a blank or returned upload. A new download fails here until it is placed.

A protected file opens (CSV with a BOM and XLSX, read with csv and openpyxl) on its
notes: the method, the threshold, the period, the scope, when it was made, the legend in
Vietnamese and English. Pages with exact figures say they are for internal use.
"""

import ast
import csv
import html
import inspect
import io
import os
import re
import textwrap
from collections import deque
from urllib.parse import parse_qs, urldefrag, urlsplit

import openpyxl
import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from reports.models import Release
from tests.conftest import HUE, NGHE_AN, ROOT, login
from tests.reports import world as world_module
from tests.test_downloads import APP_DIRS

PROTECTED, INTERNAL, RECORDS, UPLOAD = "protected", "internal", "records", "upload"
DOWNLOADS = {
    "progress.donor_export": PROTECTED,
    "progress.export_figures": PROTECTED,
    "progress.release_export": PROTECTED,
    "progress.export_internal": INTERNAL,
    "exports.download": RECORDS,
    "exports.register": RECORDS,
    "exports.personal": RECORDS,
    "export_jobs.job_file": RECORDS,
    "imports.template": UPLOAD,
    "imports.annotated": UPLOAD,
}
Q1 = [("period", "quarter"), ("on", "2025-01-01")]


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def called(node) -> set[str]:
    out = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        out.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return out


def file_senders() -> set[str]:
    """Names of the app's functions that send a file, directly or through others."""
    calls: dict[str, set] = {}
    for folder in APP_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in (n for n in files if n.endswith(".py")):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.FunctionDef):
                        calls.setdefault(node.name, set()).update(called(node))
    found = {"attachment"}
    while more := {f for f, names in calls.items() if names & found} - found:
        found |= more
    return found


def test_every_download_route_is_protected_or_the_audited_internal_export(app):
    senders = file_senders()
    downloads = set()
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(view))))
        if called(tree) & senders:
            downloads.add(endpoint)
    assert downloads == set(DOWNLOADS), downloads ^ set(DOWNLOADS)
    # Every aggregate file goes through reports.suppression (the exact one aside).
    source = {e: inspect.getsource(inspect.getmodule(app.view_functions[e])) for e in DOWNLOADS}
    for endpoint, kind in DOWNLOADS.items():
        if kind == PROTECTED:
            assert "reports.suppression import" in source[endpoint], endpoint


def csv_notes(body: bytes) -> tuple[dict, list]:
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    blank = lines.index([])
    return {r[0]: r[1] for r in lines[:blank]}, lines[blank + 1 :]


def xlsx_notes(body: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(body))
    data, notes = book.worksheets
    assert notes.title == "Notes" and data.max_row > 1
    return {r[0]: r[1] for r in notes.iter_rows(values_only=True)}


def assert_protected_notes(notes: dict, scope: str):
    assert notes["Threshold"] == "5"
    assert "base 5" in notes["How figures are protected"]
    assert "2025-01-01" in notes["Period"]
    assert scope in notes.get("Provinces", notes.get("Scope", ""))
    assert notes.get("Made on") or notes.get("Figures as of")
    assert "[c]: hidden to protect people" in notes["Legend (English)"]
    assert "[c]" in notes["Legend (Tiếng Việt)"]
    assert "<5" not in " ".join(notes.values())


def test_every_protected_download_opens_on_its_notes(app, client, make_user, world):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    province = [("province", HUE), *Q1]
    urls = [
        ("/progress/donor/export", province, "Huế"),
        ("/progress/export", province, "Huế"),
        ("/progress/export", [("group", world.groups.a.id), *Q1], "Nhóm A"),
        ("/progress/export", Q1, "My provinces"),
    ]
    assert client.post("/progress/releases", query_string=province).status_code == 302
    with app.app_context():
        release_id = db.session.scalar(select(Release.id))
    checker = app.test_client()
    login(checker, make_user(Role.COORDINATOR, provinces=(HUE,)))
    assert checker.post(f"/progress/releases/{release_id}/approve").status_code == 302
    urls.append((f"/progress/releases/{release_id}/export", [], str(HUE)))
    for url, args, scope in urls:
        csv_file = client.get(url, query_string=[("format", "csv"), *args])
        xlsx_file = client.get(url, query_string=[("format", "xlsx"), *args])
        assert csv_file.status_code == xlsx_file.status_code == 200, url
        notes, rows = csv_notes(csv_file.data)
        assert_protected_notes(notes, scope)
        assert_protected_notes(xlsx_notes(xlsx_file.data), scope)
        assert "For internal use only" not in notes
        assert rows[0][:3] == ["Section", "Figure", "Unit"] and len(rows) > 20


def test_the_exact_export_needs_a_reason_says_internal_and_is_audited(app, client, world):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    url = "/progress/export/internal?province=46&period=quarter&on=2025-01-01"
    form = client.get(url)
    assert form.status_code == 200 and "Content-Disposition" not in form.headers
    refused = client.post(url, data={"format": "csv", "reason": "x"})
    assert "Content-Disposition" not in refused.headers
    assert "Write a reason of 15 to 300 characters." in refused.get_data(as_text=True)
    reason = "Quarterly review with the province team"
    sent = client.post(url, data={"format": "csv", "reason": reason})
    notes, _rows = csv_notes(sent.data)
    assert "exact" in notes["For internal use only"] and notes["Reason"] == reason
    assert notes["Scope"] == "Huế"
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "indicators")
        ).all()
    assert [e.action for e in events] == ["export"]
    assert reason in events[0].detail and "exact" in events[0].detail
    # A facilitator gets the protected file only; another province's coordinator nothing.
    for user, status in ((world.facilitator, 403), (world.other, 403)):
        other = app.test_client()
        login(other, user)
        assert other.get(url).status_code == status


@pytest.mark.parametrize("path", ["/progress", "/progress/scorecard", "/progress/workload"])
def test_pages_with_exact_figures_say_they_are_for_internal_use(client, world, path):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    body = client.get(path).get_data(as_text=True)
    assert "For internal use" in body


def test_the_grant_portfolio_says_it_is_for_internal_use(client, world):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    assert "For internal use" in client.get("/progress/grants").get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "status"),
    [
        ([("province", "abc")], 400),
        ([("province", "46"), ("province", "")], 400),
        ([("province", str(NGHE_AN))], 403),
        ([("province", "9999")], 403),
    ],
)
def test_provinces_that_cannot_be_read_or_are_not_ones_publish_nothing(client, world, args, status):
    login(client, world.coordinator)
    for url in ("/progress/donor", "/progress/donor/export"):
        response = client.get(url, query_string=args)
        assert response.status_code == status, (url, args)
        assert "Content-Disposition" not in response.headers
        if status == 400:
            assert "Chọn tỉnh/thành phố trong danh sách." in response.get_data(as_text=True)


def test_an_admin_asking_for_no_province_gets_a_message(client, world):
    login(client, world.admin)
    response = client.get("/progress/donor?province=9999")
    assert response.status_code == 400


def test_an_impossible_period_publishes_no_figure(client, world):
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    page = client.get("/progress/donor?period=month&on=2025-13-01")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="alert"' in body and "Members in a group" not in body
    for url in ("/progress/donor/export", "/progress/export"):
        refused = client.get(f"{url}?format=csv&period=month&on=2025-13-01")
        assert refused.status_code == 400 and "Content-Disposition" not in refused.headers


def pattern(url: str) -> str:
    """/members/1 and /members/2 are one page; a file's format makes another."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return re.sub(r"/\d+", "/{id}", parts.path) + str(sorted(query)) + str(query.get("format"))


def test_a_coordinator_following_plain_links_gets_no_exact_aggregate_file(
    app, client, make_user, world
):
    """The outside probe's way: from the home page, the donor report and the progress page,
    every link (GET) is followed, bounded; every file met is a download placed above, and
    none is the exact export (it needs a reason, by POST)."""
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    province = [("province", HUE), *Q1]
    assert client.post("/progress/releases", query_string=province).status_code == 302
    checker = app.test_client()
    login(checker, make_user(Role.COORDINATOR, provinces=(HUE,)))
    with app.app_context():
        release_id = db.session.scalar(select(Release.id))
    assert checker.post(f"/progress/releases/{release_id}/approve").status_code == 302
    starts = ["/", "/progress/donor?period=quarter&on=2025-01-01", "/progress/releases"]
    queue, seen, per_pattern, files = deque(starts), set(starts), {}, {}
    adapter = app.url_map.bind("localhost")
    while queue and len(seen) < 160:
        url = queue.popleft()
        response = client.get(url)
        if "attachment" in response.headers.get("Content-Disposition", ""):
            files[url] = response
            continue
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for href in re.findall(r'href="([^"]+)"', response.get_data(as_text=True)):
            href = urldefrag(html.unescape(href))[0]
            if not href.startswith("/") or href.startswith(("//", "/static/")) or href in seen:
                continue
            key = pattern(href)
            if per_pattern.get(key, 0) >= 2:
                continue
            per_pattern[key] = per_pattern.get(key, 0) + 1
            seen.add(href)
            queue.append(href)
    reached = {}
    for url, response in files.items():
        endpoint, _args = adapter.match(urlsplit(url).path)
        assert DOWNLOADS.get(endpoint) in (PROTECTED, RECORDS, UPLOAD), (url, endpoint)
        reached.setdefault(endpoint, []).append(url)
        if DOWNLOADS[endpoint] == PROTECTED:
            if "format=csv" in url:
                notes, _rows = csv_notes(response.data)
            else:
                notes = xlsx_notes(response.data)
            assert notes["Threshold"] == "5" and "[c]" in notes["Legend (English)"], url
            assert "For internal use only" not in notes, url
    protected = {e for e in reached if DOWNLOADS[e] == PROTECTED}
    assert protected == {e for e, kind in DOWNLOADS.items() if kind == PROTECTED}, reached
