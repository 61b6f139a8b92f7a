"""Every page: a title that names it, unique ids, and for a form sent back with errors a
summary at the top linking to each field in error, and a title starting with "Lỗi"."""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from tests import test_authorization
from tests.conftest import login
from tests.test_authorization import MATRIX, POSTED

world = test_authorization.world  # the authorization matrix's people and records

CODE_ONLY = re.compile(r"^[A-Z]{2,4}-(N\d+|\d{4}-\d{4})$")
GET_PAGES = sorted(e for e, (method, *_rest) in MATRIX.items() if method == "GET")


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.title, self._in_title = [], "", False
        self.summary_links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "title":
            self._in_title = True
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.summary_links.append(a["href"][1:])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def role_for(endpoint: str, table) -> str | None:
    allowed = table[endpoint]
    if isinstance(allowed, tuple):
        allowed = allowed[3]
    return next(
        (r for r in ("facilitator", "coordinator", "admin", "anonymous") if allowed[r] == 200),
        None,
    )


@pytest.mark.parametrize("endpoint", GET_PAGES)
def test_every_page_has_a_title_that_names_it_and_unique_ids(client, world, endpoint):
    users, ids = world
    role = role_for(endpoint, MATRIX)
    if role is None or endpoint == "core.healthz":
        pytest.skip("no HTML page for any role")
    if role != "anonymous":
        login(client, users[role])
    response = client.get(MATRIX[endpoint][1].format(**ids))
    if "text/html" not in response.content_type:
        pytest.skip("a file to download (CSV), not a page")
    page = parse(response.get_data(as_text=True))
    name = page.title.rsplit(" · ", 1)[0].strip()
    assert name and not CODE_ONLY.match(name), page.title
    duplicated = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicated, duplicated


@pytest.mark.parametrize("endpoint", sorted(e for e in POSTED if role_for(e, POSTED)))
def test_a_form_sent_back_with_errors_says_so_at_the_top_and_in_the_title(client, world, endpoint):
    users, ids = world
    role = role_for(endpoint, POSTED)
    if role != "anonymous":
        login(client, users[role])
    response = client.post(MATRIX[endpoint][1].format(**ids), data={})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = parse(html)
    assert page.title.startswith("Lỗi: "), page.title
    assert 'class="error-summary"' in html
    # Every field marked in error is linked from the summary, and every link has a target.
    invalid = re.findall(r'<(?:input|select|textarea)[^>]*aria-invalid="true"[^>]*>', html)
    invalid_ids = {re.search(r'\sid="([^"]+)"', tag).group(1) for tag in invalid}
    assert invalid_ids <= set(page.summary_links), (invalid_ids, page.summary_links)
    assert set(page.summary_links) - {"main"} <= set(page.ids)
    duplicated = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicated, duplicated
