"""Slow connections: compressed pages, a stylesheet that is fetched once, statistics."""

import gzip
import re

import pytest
from flask import url_for
from sqlalchemy import text

from core.db import db
from core.scheduler import JOBS
from core.schema import refresh_statistics


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    plain = client.get("/login")
    packed = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    without_token = lambda body: re.sub(rb'(value|content)="[^"]{40,}"', b"", body)  # noqa: E731
    assert without_token(gzip.decompress(packed.get_data())) == without_token(plain.get_data())
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert packed.headers["Cache-Control"] == "no-store"  # still never cached


def test_the_stylesheet_url_changes_with_its_content_and_is_cached_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    response = client.get(href)
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert "no-cache" not in cache  # it would cancel the year: every page revalidated
    response.close()
    # Without the version the browser must ask again (no year-long cache on a stale URL).
    bare = client.get("/static/app.css")
    assert "immutable" not in bare.headers.get("Cache-Control", "")
    bare.close()


def versioned(client, filename: str) -> str:
    with client.application.test_request_context():
        return url_for("static", filename=filename)


@pytest.mark.parametrize("filename", ["app.css", "outbox.js"])
def test_the_stylesheet_and_the_script_go_gzipped_to_a_browser_that_takes_it(client, filename):
    """Static files are sent as streams, which flask-compress leaves alone: the versioned
    text ones are sent gzipped by core.web (outbox.js: 20 KB, about 6 gzipped)."""
    url = versioned(client, filename)
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert "immutable" in packed.headers["Cache-Control"]
    assert "Content-Encoding" not in plain.headers
    plain.close()
    packed.close()


def test_sqlite_gets_planner_statistics(app, make_group, make_member):
    group = make_group()
    for _ in range(3):
        make_member(group)
    with app.app_context():
        result = refresh_statistics()
        if db.engine.dialect.name == "sqlite":
            assert result == {"analyzed": True}
            tables = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
            assert {"members", "groups", "memberships"} <= tables
        else:
            assert "skipped" in result
    assert "core.schema:refresh_statistics" in {job.func for job in JOBS}


def test_the_statistics_job_runs_from_the_scheduler_table(app):
    from core.scheduler import run_job

    job = next(j for j in JOBS if j.id == "db.statistics")
    result = run_job(app, job)
    assert result == {"analyzed": True} or "skipped" in result


def test_the_icon_is_served_at_favicon_ico_to_anyone_and_cached_for_a_year(client):
    # Browsers ask for /favicon.ico whatever the page says, before anyone logs in.
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    body = response.get_data()
    assert body[:4] == b"\x00\x00\x01\x00" and 0 < len(body) < 4096  # an icon, and small
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "no-store" not in cache
    response.close()
    # Pages carry their icon inside (a data: address): a phone asks for no file for it.
    page = client.get("/login").get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert len(icons) == 1 and icons[0].startswith("data:image/svg+xml,"), icons
    assert len(icons[0]) < 300
    linked = client.get(versioned(client, "favicon.ico"))  # the file, still versioned
    assert linked.status_code == 200 and linked.get_data() == body
    assert "immutable" in linked.headers["Cache-Control"]
    linked.close()
    # Pages themselves are still never cached.
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_every_scheduled_job_runs_by_hand_by_its_name(app, runner):
    """One command for every job (`flask scheduler run-job NAME`), not a copy per package;
    an unknown name or day is refused with the choices."""
    for job in JOBS:
        result = runner.invoke(args=["scheduler", "run-job", job.id, "--today", "2026-12-01"])
        assert result.exit_code == 0, (job.id, result.output)
        assert result.output.startswith(f"{job.id} 2026-12-01: ")
    unknown = runner.invoke(args=["scheduler", "run-job", "no.such.job"])
    assert unknown.exit_code != 0 and "followups.sweep" in unknown.output
    assert (
        runner.invoke(args=["scheduler", "run-job", JOBS[0].id, "--today", "2026-02-30"]).exit_code
        != 0
    )
