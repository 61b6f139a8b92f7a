"""Every page each role can reach, on the demo's data, at 360 px with JavaScript off.

The walk tests follow each role's main path; this crawl follows every link instead, so a
template nobody thought to add to a walk is still checked: nothing wider than the screen,
no axe-core violation (scroll boxes a keyboard can reach included), every tap target in the
page body at least 44 px tall, and valid HTML. One page per address pattern per role
(`/members/17` and `/members/18` are one pattern), so the crawl stays bounded.
"""

import re
from collections import deque
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from demo.data import DEMO_PASSWORD

pytestmark = pytest.mark.browser

# Links that do not lead to a page: downloads, and the ones that act (log out is a form).
NOT_PAGES = re.compile(r"/export|[?&]format=|/download|/file\b|\.(csv|xlsx|ico|css)$")
MAX_PAGES = 120  # per role; the demo has about 75 patterns for an admin

# Every tap target in <main> under 44 px tall. A radio or checkbox is tapped through its
# label, so the label is what is measured.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main a, main button, main summary, main select, main input:not([type=hidden])')]
  .map(e => (e.type === 'radio' || e.type === 'checkbox')
    ? (e.closest('label') || document.querySelector(`label[for="${e.id}"]`) || e) : e)
  .filter(e => e.offsetParent !== null)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.height > 0 && r.height < 43.5)
  .map(([e, r]) => [e.tagName.toLowerCase(), (e.innerText || e.name || '').trim(), r.height])
  .map(([tag, text, height]) => `${tag} "${text.slice(0, 40)}" ${Math.round(height)}px`)"""


def pattern(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/\d+", "/{id}", parts.path)
    keys = sorted({k for k, _ in parse_qsl(parts.query)} - {"page", "after", "before"})
    return path + ("?" + "&".join(keys) if keys else "")


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return app


def crawl(page, markup, base: str, role: str, seen: set[str]) -> list[str]:
    queue, problems, visited = deque(["/"]), [], []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        key = pattern(path)
        if key in seen:
            continue
        seen.add(key)
        try:
            response = page.goto(base + path)
        except PlaywrightError as error:  # a file to download, not a page
            assert "Download is starting" in str(error), error
            continue
        assert response.status < 500, f"{role}: {path} answered {response.status}"
        if response.status >= 400:
            problems.append(f"{path}: {response.status} behind a link shown to {role}")
            continue
        visited.append(path)
        markup.check(page, f"{role}-{len(visited)}")
        small = page.evaluate(SMALL_TARGETS)
        if small:
            problems.append(f"{path}: tap targets under 44 px: " + "; ".join(small[:4]))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            url = urlsplit(urljoin(base + path, href))
            if url.netloc != urlsplit(base).netloc or NOT_PAGES.search(url.path + "?" + url.query):
                continue
            target = url.path + ("?" + url.query if url.query else "")
            if pattern(target) not in seen:
                queue.append(target)
    assert not problems, f"{role}:\n" + "\n".join(problems)
    return visited


@pytest.mark.once  # markup does not depend on the database
def test_every_page_staff_reach_fits_a_phone_and_passes_axe(demo, browser, live_server, markup):
    """The admin reaches most pages; the coordinator, the facilitator and a provider's
    account then add the pages only they reach (their homes, their own lists), each
    pattern checked once."""
    seen: set[str] = set()
    visited = []
    for username in ("admin", "coordinator", "facilitator", "provider"):
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="vi-VN"
        )
        page = context.new_page()
        markup.watch(page)
        page.goto(live_server + "/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("main form [type=submit]")
        # A provider account's home is its referrals (issue 26).
        page.wait_for_url("**/provider" if username == "provider" else "**/")
        seen.discard("/")  # each role's home is its own template
        visited += crawl(page, markup, live_server, username, seen)
        context.close()
    assert len(visited) >= 50, visited  # the crawl really went round the app
    markup.assert_valid_html()
