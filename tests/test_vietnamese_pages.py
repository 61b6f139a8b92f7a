"""Every page a person can reach, in Vietnamese, speaks Vietnamese: no English word, and
dates written dd/MM/yyyy. A crawl per role follows the links from the home page."""

import html
import os
import re
from collections import deque
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.models import ConsentPurpose, Member
from groups.services import members as member_services
from livelihoods import jobs
from livelihoods.services.members import set_member_pin
from tests.conftest import HUE, ROOT, login
from tests.livelihoods.grant_fixtures import make_grant

MAX_PAGES = 45  # per role: enough for every kind of page, small enough to stay fast
PER_PATTERN = 2  # /members/1 and /members/2 are the same template
# Words that are the same in both languages, or names: the app's name, the language
# switch, codes and abbreviations.
# "tp": thành phố, as people write it before a city's name; an English message quotes the
# Vietnamese column header "Tỉnh/TP", which made it look English.
ALLOWED = {"english", "pin", "email", "osso", "hue", "nan", "tp"}
# Common English words that may be written outside the catalog (a hard-coded label).
COMMON_ENGLISH = {
    "the", "and", "of", "to", "for", "with", "not", "this", "your", "you", "was", "were",
    "are", "is", "be", "been", "has", "have", "no", "yes", "save", "edit", "delete", "back",
    "next", "previous", "page", "error", "home", "group", "groups", "member", "members",
    "meeting", "visit", "visits", "grant", "grants", "login", "logout", "password", "name",
    "date", "status", "all", "none", "search", "filter", "submit", "cancel", "new", "add",
    "record", "show", "hide", "due", "overdue", "today", "week", "month", "months", "year",
}
WORD = re.compile(r"[A-Za-z]+")
# A date with a one-digit day or month: 1/12/2026, 5/1/2026.
SHORT_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
# A decimal point with one or two digits after it ("0.47", "12.5"): Vietnamese writes
# "0,47"; a point only groups thousands ("1.500.000"), three digits at a time.
DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])")


def catalog_words() -> tuple[set[str], set[str]]:
    """(English words of the source messages, plain-ASCII words Vietnamese also uses)."""
    with open(os.path.join(ROOT, "translations", "vi", "LC_MESSAGES", "messages.po"), "rb") as f:
        catalog = read_po(f, locale="vi")
    english, vietnamese = set(), set()
    for m in catalog:
        if not m.id:
            continue
        for text in m.id if isinstance(m.id, tuple) else (m.id,):
            english |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)\w", " ", text))}
        for text in m.string if isinstance(m.string, tuple) else (m.string,):
            vietnamese |= {
                w.lower()
                for w in re.findall(r"\w+", re.sub(r"%\(\w+\)\w", " ", text))
                if w.isascii()
            }
    return english, vietnamese


ENGLISH, VIETNAMESE_ASCII = catalog_words()
# A word counts as English when it is English and Vietnamese does not also write it so
# ("do", "to", "an", "con" are Vietnamese words too).
ENGLISH_ONLY = (ENGLISH | COMMON_ENGLISH) - VIETNAMESE_ASCII - ALLOWED


def visible_text(page: str) -> str:
    """What a person reads: text, the title, and the attributes a screen shows or reads."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    # Machine data shown as it is stored (an audit event's detail, key=value) is marked
    # lang="zxx", "no linguistic content": it is not a sentence in any language.
    page = re.sub(r'(?is)<(code|span)\b[^>]*\blang="zxx"[^>]*>.*?</\1>', " ", page)
    # A passage marked as English on purpose (the donor report's bilingual legend).
    page = re.sub(r'(?is)<(p)\b[^>]*\blang="en"[^>]*>.*?</\1>', " ", page)
    attributes = re.findall(r'(?i)\b(?:placeholder|aria-label|title|alt)="([^"]*)"', page)
    buttons = re.findall(r'(?i)<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *attributes, *buttons]))


def english_words(text: str, data: set[str]) -> set[str]:
    """English words in text, leaving out what the test data put there (names, codes)."""
    words = {w.lower() for w in WORD.findall(text)}
    return {w for w in words if w in ENGLISH_ONLY and w not in data}


def pattern_of(path: str) -> str:
    return re.sub(r"/\d+", "/{id}", urlsplit(path).path) + ("?" if urlsplit(path).query else "")


def crawl(browser, start: str = "/") -> dict[str, str]:
    """GET pages reachable by links from start, bounded; returns {url: html}."""
    seen, pages, per_pattern = {start}, {}, {}
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
        if "text/html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        pages[url] = page
        for href in re.findall(r'href="([^"]+)"', page):
            href = urldefrag(html.unescape(href))[0]
            if not href.startswith("/") or href.startswith(("//", "/static/")) or href in seen:
                continue
            key = pattern_of(href)
            if per_pattern.get(key, 0) >= PER_PATTERN:
                continue
            per_pattern[key] = per_pattern.get(key, 0) + 1
            seen.add(href)
            queue.append(href)
    return pages


@pytest.fixture
def programme(app, make_user, make_group, make_member, make_meeting):
    """One province's work in progress, with staff usernames that are not English words."""
    facilitator = make_user(Role.FACILITATOR, username="thu.le", full_name="Lê Thị Thu")
    coordinator = make_user(
        Role.COORDINATOR, username="binh.pham", provinces=(HUE,), full_name="Phạm Văn Bình"
    )
    admin = make_user(Role.ADMIN, username="quocanh.vu", full_name="Vũ Quốc Anh")
    group = make_group(HUE, facilitators=[facilitator], name="Nhóm Thôn Đông")
    mai = make_member(group, full_name="Trần Thị Mai", phone="0912 345 678")
    lan = make_member(group, full_name="Hồ Thị Lan")
    make_member(group, full_name="Nguyễn Văn Hùng")
    day = today()
    make_meeting(group, day - timedelta(days=14), {lan.id: "absent"})
    make_meeting(group, day - timedelta(days=7), {lan.id: "absent"})
    make_grant(app, mai, drafter=facilitator, upto="disbursed", decider=coordinator)
    make_grant(app, lan, drafter=facilitator, upto="submitted")
    with app.app_context():
        member_services.record_consent(
            SimpleNamespace(id=None),
            db.session.get(Member, mai.id),
            purpose=ConsentPurpose.PHONE_CONTACT,
            provider=None,
            given_on=day,
        )
        db.session.commit()
    with app.app_context():  # the inboxes get reminders, an escalation and a digest
        for offset in (0, 1, 30, 60):
            jobs.daily_sweep(day + timedelta(days=offset))
        jobs.escalate_overdue(day + timedelta(days=60))
        jobs.weekly_digest(day + timedelta(days=60))
    return SimpleNamespace(facilitator=facilitator, coordinator=coordinator, admin=admin, mai=mai)


def data_words(app) -> set[str]:
    """Words the test data itself holds (names, usernames, places): data, not interface."""
    from sqlalchemy import select

    from accounts.models import User
    from core.places import Commune, Province
    from groups.models import Group

    words: set[str] = set()
    with app.app_context():
        for text in [
            *db.session.scalars(select(User.username)),
            *db.session.scalars(select(User.full_name)),
            *db.session.scalars(select(Member.full_name)),
            *db.session.scalars(select(Group.name)),
            *db.session.scalars(select(Group.village)),
            *db.session.scalars(select(Province.name)),
            *db.session.scalars(select(Commune.name)),  # place names are data, any province
        ]:
            words |= {w.lower() for w in WORD.findall(text or "")}
    return words


def test_the_detector_finds_english_on_an_english_page(app, programme):
    browser = app.test_client()
    login(browser, programme.facilitator)
    browser.post("/language", data={"locale": "en"})
    found = english_words(visible_text(browser.get("/").get_data(as_text=True)), set())
    assert {"groups", "members", "home"} <= found


@pytest.mark.parametrize("role", ["anonymous", "facilitator", "coordinator", "admin", "member"])
def test_every_vietnamese_page_has_no_english_and_writes_dates_dd_mm_yyyy(app, programme, role):
    browser = app.test_client()
    if role == "member":
        with app.app_context():
            from accounts.models import User

            actor = db.session.get(User, programme.facilitator.id)
            set_member_pin(actor, db.session.get(Member, programme.mai.id), "482915")
            db.session.commit()
        login(
            browser,
            SimpleNamespace(role=Role.MEMBER, username=programme.mai.code, password="482915"),
        )
    elif role != "anonymous":
        login(browser, getattr(programme, role))
    pages = crawl(browser, "/" if role != "anonymous" else "/login")
    assert len(pages) >= {"anonymous": 2, "member": 1}.get(role, 12), sorted(pages)
    data = data_words(app)
    english, short_dates, points = {}, {}, {}
    for url, page in pages.items():
        assert '<html lang="vi">' in page, url
        text = visible_text(page[: page.find("<footer")] if "<footer" in page else page)
        if found := english_words(text, data):
            english[url] = sorted(found)
        if dates := [
            m.group(0)
            for m in SHORT_DATE.finditer(text)
            if len(m.group(1)) < 2 or len(m.group(2)) < 2
        ]:
            short_dates[url] = dates
        if found := DECIMAL_POINT.findall(text):
            points[url] = found
    assert english == {}
    assert short_dates == {}
    assert points == {}
