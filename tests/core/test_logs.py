"""No personal data in logs: canary values typed through the real pages, database errors
forced on the way, every log record captured at DEBUG; none of the canaries shows up."""

import logging
import threading
import urllib.request

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from accounts.models import Role
from core.db import db
from core.logs import strip_query
from groups.models import Member
from groups.services import members as member_services
from tests.conftest import login

NAME, PHONE, NOTE = "Canaryname Quyzx", "0912 777 031", "canarynote-Qz7 lives by the river"
# Long enough not to turn up by chance in a log of SQL, timings and random tokens.
CANARIES = ("Canaryname", "Quyzx", "0912 777 031", "0912777031", "canarynote-Qz7")


def member_form(**changes) -> dict:
    return {
        "full_name": NAME,
        "gender": "female",
        "birth_year": "1991",
        "phone": PHONE,
        "category": "survivor",
        "notes": NOTE,
        "joined_on": "2025-03-03",
        "role": "member",
        "consents": "programme_data",
        **changes,
    }


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    return caplog


def everything_logged(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.append(record.exc_text or "")
        parts.append(record.stack_info or "")
    return "\n".join(parts)


def test_canaries_typed_into_pages_never_reach_a_log(
    app, client, all_logs, monkeypatch, make_user, make_group
):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator])
    login(client, facilitator)

    # The ordinary flows: register, search, open, edit.
    created = client.post(f"/groups/{group.id}/members/new", data=member_form())
    assert created.status_code == 302, created.get_data(as_text=True)[:300]
    with app.app_context():
        member = db.session.scalar(select(Member))
        member_id, code, version = member.id, member.code, member.version
    assert NAME in client.get("/members?q=Canaryname+Quyzx").get_data(as_text=True)
    assert client.get(f"/members/{member_id}").status_code == 200
    edit = {**member_form(notes=NOTE + " again"), "version": str(version)}
    assert client.post(f"/members/{member_id}/edit", data=edit).status_code == 302

    # A duplicate key, as two facilitators saving at once get on PostgreSQL.
    # core.saving answers 409 with the form kept, and logs the constraint's name only.
    monkeypatch.setattr(member_services, "next_code", lambda *args, **kwargs: code)
    again = member_form(different_person="y")  # past the "same person?" question (R5)
    assert client.post(f"/groups/{group.id}/members/new", data=again).status_code == 409
    monkeypatch.undo()
    # A NOT NULL violation: PostgreSQL's error text quotes the whole failing row.
    monkeypatch.setattr(member_services, "sort_key", lambda name: None)
    assert client.post(f"/groups/{group.id}/members/new", data=again).status_code == 409
    monkeypatch.undo()

    # Any error whose message carries what was typed.
    def fail(actor, member, **values):
        raise ValueError(f"cannot save {values['full_name']} {values['phone']} {values['notes']}")

    monkeypatch.setattr(member_services, "update_member", fail)
    with app.app_context():
        version = db.session.get(Member, member_id).version
    edit = {**member_form(), "version": str(version)}
    assert client.post(f"/members/{member_id}/edit", data=edit).status_code == 500

    logged = everything_logged(all_logs)
    errors = [r for r in all_logs.records if r.getMessage().startswith("unhandled error on POST")]
    assert len(errors) == 1  # the errors were logged...
    assert "ValueError" in logged
    refused = [r for r in all_logs.records if "write refused" in r.getMessage()]
    assert len(refused) == 2
    for canary in CANARIES:
        assert canary not in logged, canary  # ...without what was typed


def test_the_development_servers_request_log_drops_query_strings(app, all_logs):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        for path in ("/healthz?q=Canaryname+Quyzx", "/login?next=%2Fmembers%3Fq%3DCanaryname"):
            with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310
                assert response.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
    logged = everything_logged(all_logs)
    assert "GET /healthz HTTP/1.1" in logged and "GET /login HTTP/1.1" in logged
    for canary in CANARIES:
        assert canary not in logged, canary


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("GET /members?q=Lan HTTP/1.1", "GET /members HTTP/1.1"),
        ("GET /members?q=Ph%E1%BA%A1m+Th%E1%BB%8B&page=2 HTTP/1.1", "GET /members HTTP/1.1"),
        ("code 400, message Bad request syntax ('GET /x?q=Lan HTTP/1.1')", None),
        ("GET / HTTP/1.1", "GET / HTTP/1.1"),
    ],
)
def test_query_strings_are_cut_from_request_lines(line, kept):
    out = strip_query(line)
    assert "Lan" not in out and "Ph%E1" not in out
    if kept:
        assert out == kept


def test_the_engine_hides_parameters_whatever_the_options(migrated):
    from app import create_app
    from tests.conftest import config_for

    for extra in ({}, {"SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": False}}):
        other = create_app(config_for(migrated, **extra))
        with other.app_context():
            assert db.engine.hide_parameters is True
            db.engine.dispose()


def test_the_readme_gives_an_access_log_format_without_query_strings():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    formats = re.findall(r"--access-logformat\s+'([^']+)'", readme)
    assert formats, "README must give gunicorn an --access-logformat"
    for fmt in formats:
        assert "%(U)s" in fmt
        for atom in ("%(r)s", "%(q)s", "%(f)s"):  # request line, query, referrer
            assert atom not in fmt
