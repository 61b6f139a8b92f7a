"""A live server on loopback and a real headless Chromium (Debian's, not a download)."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import ON_POSTGRES

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def submit(page, selector: str = "main form [type=submit]") -> None:
    """Send a form and wait for its answer. Playwright's click returns once the navigation
    starts; a form that comes back with errors answers at the same address, so neither the
    URL nor a heading the old page also had tells that the answer has arrived."""
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def live_server(app):
    """Serve the test app on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TULUC_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must run the browser tests")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360×740 phone-sized page with JavaScript off, as on a cheap Android phone."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="vi-VN"
    )
    page = context.new_page()
    yield page
    context.close()


# Markup quality: every page a browser test checks is audited twice. axe-core (WCAG 2.1
# A and AA) runs in a JavaScript-enabled page that is served the very HTML the phone got
# (axe cannot run with JavaScript off); the Nu HTML Checker (vnu.jar, with Java) reads the
# same HTML once per test. `.ci/run` installs vnu-jar under tests/e2e/node_modules. The
# markup is the same on either database: the PostgreSQL pass checks only that pages fit.
E2E = os.path.dirname(os.path.abspath(__file__))
VNU = os.path.join(E2E, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE_WIDTH = 360


@pytest.fixture(scope="session")
def auditor(browser):
    """A JavaScript-enabled page at phone size that axe runs in."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=True, bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


class Markup:
    """Collects the HTML of the pages a test visits and checks each of them."""

    def __init__(self, auditor, tmp_path):
        self.auditor, self.dir, self.pages = auditor, tmp_path / "html", {}
        self.dir.mkdir()
        self.last = {}

    def watch(self, page) -> None:
        """Remember the last HTML document each page received."""

        def on_response(response):
            if response.request.resource_type == "document" and response.frame == page.main_frame:
                self.last[id(page)] = response

        page.on("response", on_response)

    def check(self, page, name: str) -> None:
        """The page fits the phone, and its HTML passes axe; keep it for vnu."""
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, f"{name}: {page.url} is {width}px wide on a {inner}px screen"
        response = self.last[id(page)]
        # A fragment (#messages) is the browser's, never sent: the same document.
        assert response.url == page.url.split("#")[0], (response.url, page.url)
        html = response.text()
        path = self.dir / f"{len(self.pages):03d}-{name}.html"
        path.write_text(html, encoding="utf-8")
        self.pages[path.name] = page.url
        if not ON_POSTGRES:  # the same markup on either database: audited in the SQLite pass
            self.axe(page.url, html, name)

    def axe(self, url: str, html: str, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        target = self.auditor
        target.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        try:
            target.goto(url)
            results = (
                Axe().run(target, options={"runOnly": {"type": "tag", "values": AXE_TAGS}}).response
            )
        finally:
            target.unroute(url)
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
            for v in results["violations"]
        ]
        assert not problems, f"axe on {name} ({url}):\n" + "\n".join(problems)

    def assert_valid_html(self) -> None:
        """Run the Nu HTML Checker once over every page kept; no error allowed."""
        import json
        import subprocess

        if not self.pages or ON_POSTGRES:
            return
        if not os.path.exists(VNU):
            if os.environ.get("TULUC_REQUIRE_BROWSER") or os.environ.get("CI"):
                pytest.fail(f"{VNU} is missing: run `npm install` in tests/e2e (.ci/run does)")
            pytest.skip("vnu.jar is not installed (npm install in tests/e2e)")
        done = subprocess.run(  # noqa: S603 - fixed arguments, our own files
            ["java", "-jar", VNU, "--format", "json", "--errors-only", str(self.dir)],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
        )
        messages = json.loads(done.stderr or done.stdout or "{}").get("messages", [])
        errors = [
            f"{os.path.basename(m.get('url', ''))} line {m.get('lastLine')}: {m['message']}"
            for m in messages
            if m.get("type") == "error"
        ]
        assert not errors, "Nu HTML Checker:\n" + "\n".join(errors)


@pytest.fixture
def markup(auditor, tmp_path):
    return Markup(auditor, tmp_path)
