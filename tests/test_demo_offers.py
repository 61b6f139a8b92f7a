"""What the demo offers each role, walked as a person would: every kind of page, with a
browser tab title that is plain translated text; every file to download, with one charset
if it is text; and every file an admin can export, opened in LibreOffice Calc set to
Vietnamese (tests/spreadsheet.py), reading as the app meant it.

The demo is loaded once for the module (it is the slowest fixture of the suite); each
role's walk follows the links from its home page, one page per kind of address.
"""

import csv
import html
import io
import os
import re
from collections import deque
from datetime import datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, urldefrag, urlsplit

import openpyxl
import pytest
from sqlalchemy import select

from accounts.models import Role
from app import create_app
from core.clock import today
from core.db import db
from demo.data import DEMO_PASSWORD
from demo.grants import DEMO_PIN
from groups.models import Group
from reports import export_files, exports
from tests.conftest import Client, config_for, empty_tables, login
from tests.spreadsheet import SOFFICE, open_in_calc, read_fods
from tests.test_vietnamese_pages import data_words, english_words

MAX_PAGES = 400  # per role; the demo offers about 80 kinds of address
# One page per kind of address: the path with its numbers as {id}, the names of its query
# arguments, and the file format asked for (an XLSX and a CSV are two kinds).
ROLES = ("anonymous", "member", "facilitator", "coordinator", "admin")


def kind_of(url: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return "{}?{}#{}".format(
        re.sub(r"/\d+", "/{id}", parts.path), ",".join(sorted(query)), query.get("format", "")
    )


class Declared(list):
    """A file's columns as declared, and how many lines of notes come before its table."""

    skip = 0


@pytest.fixture(scope="module")
def demo(migrated):
    """An app with the demo loaded; emptied when the module is done."""
    app = create_app(config_for(migrated))
    app.test_client_class = Client
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    # Each file's columns as the app declared them (kind, day), for the spreadsheet test.
    written = []
    patch = pytest.MonkeyPatch()
    original = export_files.write_table

    def recording(fmt, columns, rows, out, **kwargs):
        declared = Declared((c.kind, c.day, c.note) for c in columns)
        notes = kwargs.get("notes")
        # A CSV's notes come first, one line each and an empty line (reports.exports.Notes).
        declared.skip = len(notes.lines) + 1 if notes is not None and fmt == "csv" else 0
        written.append(declared)
        return original(fmt, columns, rows, out, **kwargs)

    patch.setattr(export_files, "write_table", recording)
    assert result.exit_code == 0, result.output
    member_code = re.search(r"code (\S+), PIN", result.output).group(1)
    walks: dict[str, SimpleNamespace] = {}

    def walk(role: str) -> SimpleNamespace:
        """(pages {url: html}, downloads {url: response}) of one role's walk, made once."""
        if role not in walks:
            browser = app.test_client()
            if role == "member":
                person = SimpleNamespace(role=Role.MEMBER, username=member_code, password=DEMO_PIN)
                login(browser, person)
            elif role != "anonymous":
                login(browser, SimpleNamespace(username=role, password=DEMO_PASSWORD))
            walks[role] = crawl(browser, "/" if role != "anonymous" else "/login", written)
            walks[role].browser = browser
        return walks[role]

    yield SimpleNamespace(app=app, walk=walk, member_code=member_code, written=written)
    patch.undo()
    with app.app_context():
        db.session.rollback()
        empty_tables()
        db.engine.dispose()


def download(response, written: list, before: int) -> SimpleNamespace:
    """A file sent: its headers, body, and the columns the app wrote it with (None when
    it was not written by reports.exports)."""
    file = SimpleNamespace(
        headers=response.headers,
        body=response.get_data(),
        columns=written[-1] if len(written) > before else None,
    )
    response.close()
    return file


def crawl(browser, start: str, written: list) -> SimpleNamespace:
    """GET every kind of address reachable by links from start, one of each."""
    seen, kinds = {start}, {kind_of(start)}
    pages, downloads = {}, {}
    queue = deque([start])
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        before = len(written)
        response = browser.get(url)
        if response.status_code in (301, 302, 303):
            target = response.headers["Location"]
            if target.startswith("/") and target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        assert response.status_code < 500, url
        if "attachment" in response.headers.get("Content-Disposition", ""):
            downloads[url] = download(response, written, before)
            continue
        if "text/html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        for href in re.findall(r'href="([^"]+)"', page):
            href = urldefrag(html.unescape(href))[0]
            if not href.startswith("/") or href.startswith(("//", "/static/")) or href in seen:
                continue
            if kind_of(href) in kinds:
                continue
            kinds.add(kind_of(href))
            seen.add(href)
            queue.append(href)
    return SimpleNamespace(pages=pages, downloads=downloads)


REASON = "Báo cáo tháng cho nhà tài trợ của chương trình"
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_demo_offers_has_a_plain_translated_title(demo, role):
    walk = demo.walk(role)
    assert len(walk.pages) >= {"anonymous": 2, "member": 1}.get(role, 20), sorted(walk.pages)
    data = data_words(demo.app)
    wrong = {}
    for url, page in walk.pages.items():
        found = TITLE.findall(page.split("</head>")[0])  # not the <title> of an SVG bar
        raw = found[0] if len(found) == 1 else ""
        text = html.unescape(raw)
        name = text.removesuffix(" · Tự Lực").strip()
        problems = [
            problem
            for problem, bad in (
                ("not one <title>", len(found) != 1),
                ("markup in the title", "<" in text or ">" in text),
                ("more than one line", "\n" in text),
                ("no app name at the end", not text.endswith(" · Tự Lực")),
                ("no name of the page", not name or name.startswith("·")),
                ("longer than a tab can show", len(text) > 120),
                ("English words", english_words(name, data)),
            )
            if bad
        ]
        if problems:
            wrong[url] = (problems, text[:200])
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_file_the_demo_offers_names_its_charset_once_if_it_is_text(demo, role):
    downloads = demo.walk(role).downloads
    if role in ("facilitator", "coordinator", "admin"):
        assert downloads, "the walk found no file to download"
    wrong = {
        url: file.headers["Content-Type"]
        for url, file in downloads.items()
        if file.headers["Content-Type"].count("charset=")
        != (1 if file.headers["Content-Type"].startswith("text/") else 0)
    }
    assert wrong == {}


# Files, opened in a real spreadsheet ----------------------------------------------------


class Forms(HTMLParser):
    """A page's forms: method, action and fields (name, type, value, the list's options)."""

    def __init__(self):
        super().__init__()
        self.forms, self._select = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self.forms.append(SimpleNamespace(method=method, action=a["action"], fields=[]))
        elif self.forms and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            field = SimpleNamespace(name=a["name"], type=kind, value=a.get("value", ""), options=[])
            self.forms[-1].fields.append(field)
            self._select = field if tag == "select" else None
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def submissions(form, fill: dict) -> list[dict]:
    """Every file a form offers: each value of its radios and of its lists of tables and
    formats (a page to print is not a file); other fields as the form fills them, or
    from `fill` (a month with meetings, a reason, a group where the form needs one)."""
    choices, fixed = {}, {}
    for field in form.fields:
        if field.type == "radio":
            choices.setdefault(field.name, []).append(field.value)
        elif field.type == "select" and field.name in ("table", "format"):
            choices[field.name] = [v for v in field.options if v != "html"]
        elif field.type == "select":
            fixed[field.name] = field.options[0] if field.options else ""
        elif field.type == "checkbox":
            fixed[field.name] = field.value or "y"
        elif field.type not in ("submit", "hidden"):
            fixed[field.name] = field.value
    fixed.update({k: v for k, v in fill.items() if k in fixed and k != "group"})
    sent = [{}]
    for name, values in choices.items():
        sent = [{**s, name: v} for s in sent for v in values]
    sent = [{**fixed, **s} for s in sent]
    for data in sent:  # a register is of one group
        if not data.get("group") and ("register" in form.action or data.get("table") == "register"):
            data["group"] = fill["group"]
    return sent


def admin_files(demo) -> dict[str, SimpleNamespace]:
    """Every file the demo offers an admin: the links of the walk, and each choice of the
    forms on /exports and /exports/personal."""
    walk = demo.walk("admin")
    browser, files = walk.browser, dict(walk.downloads)
    with demo.app.app_context():
        group = db.session.scalar(select(Group.code).order_by(Group.id).limit(1))
    last_month = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    fill = {"group": group, "month": last_month, "confirm": "y", "reason": REASON}
    for page in ("/exports", "/exports/personal"):
        parser = Forms()
        parser.feed(browser.get(page).get_data(as_text=True))
        for form in parser.forms:
            if not any(f.name == "format" for f in form.fields):
                continue
            for data in submissions(form, fill):
                before = len(demo.written)
                if form.method == "post":
                    response = browser.post(form.action, data=data)
                else:
                    response = browser.get(form.action, query_string=data)
                label = f"{form.method.upper()} {form.action} {sorted(data.items())}"
                assert response.status_code == 200, (label, response.get_data(as_text=True))
                assert "attachment" in response.headers.get("Content-Disposition", ""), label
                files[label] = download(response, demo.written, before)
    return files


def raw_rows(name: str, body: bytes) -> list[list]:
    """The cells as the app wrote them: CSV text, or XLSX values as openpyxl reads them."""
    if name.endswith(".csv"):
        assert body.startswith(b"\xef\xbb\xbf"), name  # UTF-8, said by its byte order mark
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def as_day(value) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]


def misread(kind, raw, cell, csv_file: bool) -> str | None:
    """What is wrong with how the spreadsheet read one cell the app wrote, if anything."""
    if raw is None or raw == "":
        return None
    if raw == "[c]":  # a cell hidden to protect people (reports.suppression): text
        return None if cell == ("string", "[c]") else "a hidden cell's mark changed"
    got_type, got = cell if cell else (None, None)
    if kind in (exports.INTEGER, exports.MONEY) or (
        kind == exports.DECIMAL and re.fullmatch(r"-?\d+", str(raw))
    ):
        ok = got_type == "float" and got == float(raw)
        return None if ok else "a count or amount not read as that number"
    if kind == exports.DECIMAL:
        if got_type == "float":
            return None if abs(got - float(raw)) < 1e-9 else "a decimal read as another number"
        # A CSV is for programs: where "," is the decimal mark, "0.4667" stays text.
        return None if csv_file and got == raw else "a decimal not read as a number"
    if kind == exports.DATE:
        return None if cell == ("date", as_day(raw)) else "a date not read as that day"
    if kind == exports.PHONE:
        ok = got_type == "string" and got.startswith("0") and got == raw
        return None if ok else "a phone not kept as text with its first 0"
    return None if cell == ("string", str(raw)) else "text changed"


def header_misread(column, raw, cell) -> str | None:
    kind, day, note = column if column else (None, None, None)
    if day is not None and not note:
        return None if cell == ("date", day.isoformat()) else "a meeting's day misread"
    return None if cell == ("string", str(raw)) else "a header changed"


@pytest.fixture(scope="module")
def soffice():
    if SOFFICE is None:
        if os.environ.get("TULUC_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) not found; CI must open the exports in it")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    return SOFFICE


@pytest.mark.once
def test_every_file_the_demo_offers_an_admin_reads_as_meant_in_a_vietnamese_spreadsheet(
    demo, soffice, tmp_path
):
    """Opened in LibreOffice Calc set to Vietnamese (CSVs also to US English, where
    "02/11/2026" is 11 February): counts and amounts are numbers, dates the right day,
    Vietnamese text as written, phones keep their first 0."""
    files = admin_files(demo)
    kinds = {re.sub(r"\d{4}-\d{2}-\d{2}", "", urlsplit(u).path) for u in files}
    assert len(files) >= 20 and {"/progress/export", "/exports/register"} <= kinds, sorted(files)
    written, names = {}, {}
    for index, (label, file) in enumerate(sorted(files.items())):
        name = re.search(r'filename="[^"]*\.(csv|xlsx)"', file.headers["Content-Disposition"])
        path = tmp_path / "files" / f"{index:02d}.{name.group(1)}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(file.body)
        written[path], names[path] = file, label
    profile = tmp_path / "profile"
    opened = {}
    for suffix, languages in ((".xlsx", ("vi-VN",)), (".csv", ("vi-VN", "en-US"))):
        batch = [p for p in written if p.suffix == suffix]
        assert batch, suffix
        for language in languages:
            out = tmp_path / language / suffix[1:]
            for path, fods in zip(batch, open_in_calc(batch, out, profile, language), strict=True):
                opened[path, language] = read_fods(fods)
    wrong, checked = {}, {"phone": 0, "day": 0, "count": 0, "vietnamese": 0}
    for (path, language), rows in opened.items():
        file, csv_file = written[path], path.suffix == ".csv"
        raw = raw_rows(path.name, file.body)
        skip = getattr(file.columns, "skip", 0) if csv_file else 0
        columns = file.columns or [(exports.TEXT, None, None)] * len(raw[0])
        problems = set()
        for r, raw_row in enumerate(raw):
            if r < skip:  # the notes above a CSV's table: text
                continue
            got_row = rows[r] if r < len(rows) else []
            for c, value in enumerate(raw_row):
                cell = got_row[c] if c < len(got_row) else None
                if r == skip:
                    problem = header_misread(columns[c], value, cell)
                    checked["day"] += columns[c][1] is not None
                    checked["vietnamese"] += not str(value).isascii()
                else:
                    problem = misread(columns[c][0], value, cell, csv_file)
                    checked["phone"] += columns[c][0] == exports.PHONE and bool(value)
                    checked["count"] += columns[c][0] in (exports.INTEGER, exports.MONEY)
                if problem:
                    problems.add(f"{problem}: {value!r} read as {cell!r}")
        if problems:
            wrong[f"{names[path]} ({language})"] = sorted(problems)[:5]
    assert wrong == {}
    assert all(checked.values()), checked  # each kind of cell was met


CHART = re.compile(r'<svg class="chart".*?</svg>', re.S)
NEGATIVE = re.compile(r">\s*[-−]\s?\d")


@pytest.mark.parametrize("role", ("facilitator", "coordinator", "admin"))
def test_every_past_month_of_the_demo_reads_like_a_real_programme(demo, role):
    """Issue 22: for each of the last twelve months, the progress page and the scorecard
    a person of this role opens have no empty chart and no negative figure (days from
    approval to payment, say)."""
    browser = demo.walk(role).browser
    first = today().replace(day=1)
    wrong = {}
    for back in range(1, 12):
        month = (first - timedelta(days=28 * back + 1)).replace(day=15)
        for path in ("/progress", "/progress/scorecard"):
            url = f"{path}?period=month&on={month.isoformat()}"
            response = browser.get(url)
            assert response.status_code == 200, url
            page = response.get_data(as_text=True)
            empty = [
                re.search(r"<title[^>]*>(.*?)</title>", chart).group(1)
                for chart in CHART.findall(page)
                if not re.search(r'<rect [^>]*class="chart-(bar|ok|mid|bad)"', chart)
            ]
            negative = [page[m.start() - 80 : m.end() + 10] for m in NEGATIVE.finditer(page)]
            if empty or negative:
                wrong[url] = (empty, negative[:2])
    assert wrong == {}, "\n".join(f"{url}: {found}" for url, found in wrong.items())


def test_members_join_and_leave_through_the_demos_year(demo):
    """Issue 22: a few members leave and a few join during the year, so "joined" and
    "left" are not 0 in every past month of the progress page."""
    from groups.models import Membership

    year_ago = today() - timedelta(days=365)
    with demo.app.app_context():
        left = db.session.scalars(
            select(Membership.left_on).where(Membership.left_on >= year_ago)
        ).all()
        joined = db.session.scalars(
            select(Membership.joined_on).where(Membership.joined_on >= year_ago)
        ).all()
    assert len(left) >= 3 and len({(d.year, d.month) for d in left}) >= 3, left
    assert len({(d.year, d.month) for d in joined}) >= 6, joined
