"""What the demo offers each role, walked as a person would: every kind of page, with a
browser tab title that is plain translated text.

The demo is loaded once for the module (it is the slowest fixture of the suite); each
role's walk follows the links from its home page, one page per kind of address.
"""

import html
import re
from collections import deque
from types import SimpleNamespace
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest

from accounts.models import Role
from app import create_app
from core.db import db
from demo.data import DEMO_PASSWORD, DEMO_PIN
from tests.conftest import Client, config_for, empty_tables, login
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


@pytest.fixture(scope="module")
def demo(migrated):
    """An app with the demo loaded; emptied when the module is done."""
    app = create_app(config_for(migrated))
    app.test_client_class = Client
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
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
            walks[role] = crawl(browser, "/" if role != "anonymous" else "/login")
            walks[role].browser = browser
        return walks[role]

    yield SimpleNamespace(app=app, walk=walk, member_code=member_code)
    with app.app_context():
        db.session.rollback()
        empty_tables()
        db.engine.dispose()


def crawl(browser, start: str) -> SimpleNamespace:
    """GET every kind of address reachable by links from start, one of each."""
    seen, kinds = {start}, {kind_of(start)}
    pages, downloads = {}, {}
    queue = deque([start])
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = browser.get(url)
        if response.status_code in (301, 302, 303):
            target = response.headers["Location"]
            if target.startswith("/") and target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        assert response.status_code < 500, url
        if "attachment" in response.headers.get("Content-Disposition", ""):
            downloads[url] = SimpleNamespace(headers=response.headers, body=response.get_data())
            response.close()
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


TITLE = re.compile(r"<title>(.*?)</title>", re.S)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_demo_offers_has_a_plain_translated_title(demo, role):
    walk = demo.walk(role)
    assert len(walk.pages) >= {"anonymous": 2, "member": 1}.get(role, 20), sorted(walk.pages)
    data = data_words(demo.app)
    wrong = {}
    for url, page in walk.pages.items():
        found = TITLE.findall(page)
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
