"""A facilitator's core flows over 2G, in a real Chromium on a throttled loopback (issue 25).

    .venv/bin/python -m bench.slow_link [--runs 3] [--latency 800] [--down 50] [--up 20]

Loads the demo data set into a temporary SQLite database, serves it with the demo's server
(waitress) on 127.0.0.1, logs in as `facilitator` at full speed, then throttles the phone's
link with Chromium's network emulation (DevTools `Network.emulateNetworkConditions`: 800 ms
latency, 50 kbit/s down, 20 kbit/s up by default, the issue's 2G) and times, at 360×740:

- meeting: home → "record a meeting" → the form (the group's members, all present) → save
  → the saved meeting's page;
- visit: home → visits due → the first visit's form → save → where the save leads.

Each flow runs once with an empty browser cache ("cold") and then `--runs` times with the
cache the first run left ("warm", the everyday case). For each it reports the time from
starting to open the home page to the saved record's page being loaded, the bytes that
crossed the link (DevTools' encoded lengths: headers and compressed bodies, both ways), the
requests, and the requests for static files (a warm run should make none). The service
worker is blocked: DevTools throttles the page's own requests, not a worker's, and a
worker that fetched on the page's behalf would be measured at full speed.
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from app import create_app
from bench.harness import bench_config
from core.clock import today
from core.db import db
from core.schema import upgrade_schema

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def load_demo(app) -> None:
    from demo.data import seed_demo

    with app.app_context():
        upgrade_schema()
        seed_demo()
        db.session.commit()


def free_day(app, group_id: int, taken: set) -> str:
    """A past day without a meeting of the group (a day already recorded is refused)."""
    from groups.meeting_models import Meeting

    with app.app_context():
        held = set(db.session.scalars(select(Meeting.held_on).where(Meeting.group_id == group_id)))
    day = today() - timedelta(days=1)
    while day in held or day in taken:
        day -= timedelta(days=1)
    taken.add(day)
    return day.isoformat()


class Link:
    """Counts what crosses the emulated link (DevTools network events of the page)."""

    def __init__(self, cdp):
        self.cdp = cdp
        self.bytes_down = 0
        self.bytes_up = 0
        self.requests: list[str] = []  # those that went to the server, not the cache
        self.sizes: list[int] = []  # bytes down of each of those (headers and body)
        self._urls: dict[str, str] = {}
        self._cached: set[str] = set()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.responseReceived", self._answered)
        cdp.on("Network.loadingFinished", self._done)

    def _sent(self, event):
        request = event["request"]
        if request["url"].startswith("data:"):
            return
        self._urls[event["requestId"]] = request["url"]
        self.bytes_up += len(request.get("postData", "") or "") + 400  # about a header's size

    def _from_cache(self, event):
        self._cached.add(event["requestId"])

    def _answered(self, event):
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self._cached.add(event["requestId"])

    def _done(self, event):
        url = self._urls.pop(event["requestId"], None)
        if url is None:
            return
        if event["requestId"] in self._cached:
            self.bytes_up -= 400  # never left the phone
            return
        self.requests.append(url)
        self.sizes.append(int(event.get("encodedDataLength", 0)))
        self.bytes_down += self.sizes[-1]

    def reset(self) -> None:
        self.bytes_down = self.bytes_up = 0
        self.requests = []
        self.sizes = []
        self._cached = set()

    def throttle(self, latency: int, down_kbit: int, up_kbit: int) -> None:
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": latency,
                "downloadThroughput": down_kbit * 1000 / 8,
                "uploadThroughput": up_kbit * 1000 / 8,
            },
        )

    def full_speed(self) -> None:
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )


def meeting_flow(page, base: str, app, taken: set) -> None:
    page.goto(base + "/")
    link = page.locator('main a[href$="/meetings/new"]').first
    group_id = int(re.search(r"/groups/(\d+)/", link.get_attribute("href")).group(1))
    with page.expect_navigation():
        link.click()
    page.fill("#held_on", free_day(app, group_id, taken))
    with page.expect_navigation():
        page.click("form.meeting [type=submit]")
    assert re.search(r"/meetings/\d+$", page.url), page.url


def visit_flow(page, base: str, app, taken: set) -> None:
    page.goto(base + "/")
    with page.expect_navigation():
        page.goto(base + "/due")
    link = page.locator('main a[href$="/visit"]').first
    with page.expect_navigation():
        link.click()
    if page.locator("#business_status").count():
        page.select_option("#business_status", index=1)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    problem = page.locator("main .error-summary, main .alert-error")
    assert "/visit" not in page.url, (page.url, problem.all_inner_texts())


FLOWS = {"meeting": meeting_flow, "visit": visit_flow}


def run(args) -> int:
    if not os.path.exists(CHROMIUM):
        print(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from demo.cli import make_server
    from demo.data import DEMO_PASSWORD

    tmp = tempfile.mkdtemp(prefix="tuluc-slow-")
    app = create_app(bench_config("sqlite:///" + tmp + "/bench.sqlite3", tmp))
    started = time.perf_counter()
    load_demo(app)
    print(f"demo data loaded in {time.perf_counter() - started:.0f} s")
    server = make_server(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.effective_port}"
    threading.Thread(target=server.run, daemon=True).start()
    results = {}
    taken: set = set()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(
                viewport={"width": 360, "height": 740}, locale="vi-VN", service_workers="block"
            )
            page = context.new_page()
            page.set_default_timeout(120_000)
            link = Link(context.new_cdp_session(page))
            link.cdp.send("Network.enable")
            page.goto(base + "/login")
            page.fill("#username", "facilitator")
            page.fill("#password", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("main form [type=submit]")
            for name, flow in FLOWS.items():
                link.cdp.send("Network.clearBrowserCache")
                for i in range(1 + args.runs):
                    link.reset()
                    link.throttle(args.latency, args.down, args.up)
                    t = time.perf_counter()
                    flow(page, base, app, taken)
                    seconds = time.perf_counter() - t
                    link.full_speed()
                    static = [u for u in link.requests if "/static/" in u or u.endswith(".ico")]
                    if args.verbose:
                        print(f"{name} {i}")
                        for url, size in zip(link.requests, link.sizes, strict=True):
                            print(f"  {size:>7,} B  {url}")
                    results.setdefault((name, "cold" if i == 0 else "warm"), []).append(
                        (seconds, link.bytes_down, link.bytes_up, len(link.requests), len(static))
                    )
            browser.close()
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\n2G: {args.latency} ms latency, {args.down} kbit/s down, {args.up} kbit/s up; "
        "360x740 Chromium, service worker blocked"
    )
    print(
        f"{'flow':<9}{'cache':<6}{'runs':>5}{'time s':>9}{'KB down':>9}{'KB up':>7}"
        f"{'requests':>10}{'static':>8}"
    )
    for (name, cache), rows in results.items():
        median = [statistics.median(column) for column in zip(*rows, strict=True)]
        print(
            f"{name:<9}{cache:<6}{len(rows):>5}{median[0]:>9.1f}{median[1] / 1024:>9.1f}"
            f"{median[2] / 1024:>7.1f}{median[3]:>10.0f}{median[4]:>8.0f}"
        )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs per flow (3)")
    parser.add_argument("--latency", type=int, default=800, help="ms each way (800)")
    parser.add_argument("--down", type=int, default=50, help="kbit/s down (50)")
    parser.add_argument("--up", type=int, default=20, help="kbit/s up (20)")
    parser.add_argument("--verbose", action="store_true", help="list the requests of each run")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
