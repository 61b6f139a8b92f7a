"""Every page that shows personal data leaves one audit event; audit rows hold no
personal data and cannot be changed.

The sweep walks every GET route of the authorization matrix, so a new page that shows a
member's name without its event fails here without anyone writing a test for it.
"""

import re

import pytest
from sqlalchemy import String, func, select, text

from core import audit
from core.audit import AuditEvent
from core.db import db
from tests import test_authorization as authz
from tests.conftest import HUE, login

world = authz.world  # the matrix's Huế group, member, meeting and grants
NAME = "Trần Thị Mai"  # the world's member (make_member's default name)


def events(app, *where) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.id))) or 0


GET_ROUTES = sorted(e for e, (method, *_rest) in authz.MATRIX.items() if method == "GET")


@pytest.mark.parametrize("role", ["admin", "coordinator", "facilitator"])
def test_every_page_that_shows_a_members_name_writes_exactly_one_event(app, client, world, role):
    users, ids = world
    login(client, users[role])
    shown = []
    for endpoint in GET_ROUTES:
        url = authz.MATRIX[endpoint][1].format(**ids)
        before = last_id(app)
        response = client.get(url)
        new = events(app, AuditEvent.id > before)
        assert len(new) <= 1, f"{url}: one INSERT per page, got {len(new)}"
        page = response.mimetype.startswith("text/")  # not the icon or a spreadsheet
        if response.status_code == 200 and page and NAME in response.get_data(as_text=True):
            shown.append(url)
            assert len(new) == 1, f"{url} shows a member's name but wrote no audit event"
            event = new[0]
            assert event.action in ("view", "list")
            assert event.actor_id == users[role].id
            if event.action == "view":
                assert event.province_code == HUE, url
    # The pages the task names are among them: lists, group, meeting, grant, profile.
    for must in ("/members", "/groups/{group}", "/meetings/{meeting}", "/grants/{grant}"):
        assert must.format(**ids) in shown
    assert "/members/{member}".format(**ids) in shown


def test_a_refused_request_writes_nothing(app, client, world):
    users, ids = world
    login(client, users["other_coordinator"])
    before = last_id(app)
    for path in ("/members/{member}", "/groups/{group}", "/meetings/{meeting}", "/grants/{grant}"):
        assert client.get(path.format(**ids)).status_code == 403
    assert events(app, AuditEvent.id > before) == []


@pytest.mark.parametrize(
    "path",
    [
        "/members/{member}?from=2026-02-30",
        "/members/{member}?from=2026-05-01&to=2026-01-01",
        "/groups/{group}?to=not-a-date",
        "/groups/{group}?from=%00",
    ],
)
def test_a_bad_period_shows_the_page_with_the_reason_and_audits_one_view(app, client, world, path):
    """A bad period no longer answers a bare 400 (usability B9): the page with the usual
    period and the reason at the top, audited as any view of it is, once."""
    users, ids = world
    login(client, users["admin"])
    before = last_id(app)
    response = client.get(path.format(**ids))
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)
    assert [e.action for e in events(app, AuditEvent.id > before)] == ["view"]


def test_an_empty_member_list_shows_no_names_and_writes_nothing(app, client, world):
    users, _ids = world
    login(client, users["admin"])
    before = last_id(app)
    assert client.get("/members?q=nobody-by-this-name").status_code == 200
    assert events(app, AuditEvent.id > before) == []


def test_the_event_names_its_subject_by_ids_only(app, client, world):
    users, ids = world
    login(client, users["coordinator"])
    before = last_id(app)
    client.get(f"/grants/{ids['grant']}")
    (event,) = events(app, AuditEvent.id > before)
    assert (event.object_type, event.object_id) == ("grants", ids["grant"])
    assert (event.member_id, event.group_id, event.province_code) == (
        ids["member"],
        ids["group"],
        HUE,
    )
    assert event.ip == "127.0.0.1"


def test_an_export_is_recorded_only_when_the_file_goes_out(app, make_user):
    """The helper exports call: a refused or failed export leaves no event."""
    from flask import Response

    from accounts.models import Role
    from core.auth import require

    @app.get("/__export_ok")
    def export_ok():
        audit.note_export("members", rows=12, filters=("province", "q"), province_code=HUE)
        return Response("code\n", mimetype="text/csv")

    @app.post("/__export_post")
    def export_post():
        audit.note_export("grants", rows=3)
        return Response("code\n", mimetype="text/csv")

    @app.get("/__export_refused")
    def export_refused():
        audit.note_export("members", rows=12)
        require(False)

    client = app.test_client()
    admin = make_user(Role.ADMIN)
    login(client, admin)
    before = last_id(app)
    assert client.get("/__export_refused").status_code == 403
    assert events(app, AuditEvent.id > before) == []
    assert client.get("/__export_ok").status_code == 200
    (event,) = events(app, AuditEvent.id > before)
    assert (event.action, event.object_type, event.actor_id) == ("export", "members", admin.id)
    assert event.detail == "rows=12;filters=province,q"
    assert event.province_code == HUE
    before = last_id(app)
    assert client.post("/__export_post").status_code == 200  # a POST export is audited too
    (event,) = events(app, AuditEvent.id > before)
    assert (event.action, event.object_type, event.detail) == ("export", "grants", "rows=3")


def test_audit_rows_hold_no_personal_data(app, client, world):
    """Create, change, view and anonymise a member with easy-to-spot details: no audit
    column holds any of them."""
    users, ids = world
    login(client, users["facilitator"])
    response = client.post(
        f"/groups/{ids['group']}/members/new",
        data={
            "full_name": "Canary Xuân Thị",
            "gender": "female",
            "birth_year": "1987",
            "phone": "0977 111 222",
            "category": "survivor",
            "notes": "canary-note",
            "joined_on": "2025-03-03",
            "role": "member",
            "consents": "programme_data",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from groups.models import Member

        member_id = db.session.scalar(
            select(Member.id).where(Member.full_name == "Canary Xuân Thị")
        )
    client.get(f"/members/{member_id}")
    coordinator = app.test_client()
    login(coordinator, users["coordinator"])
    response = coordinator.post(f"/members/{member_id}/anonymise", data={"confirm": "y"})
    assert response.status_code == 302
    # Only the columns that can hold text: a timestamp's microseconds or an id can hold
    # "0977" or "1987" by chance, and a test that fails by chance teaches to rerun.
    texts = [c.name for c in AuditEvent.__table__.columns if isinstance(c.type, String)]
    with app.app_context():
        rows = db.session.execute(select(*(AuditEvent.__table__.c[n] for n in texts))).all()
    values = [value for row in rows for value in row if value is not None]
    secrets = ("Canary", "Xuân", "111 222", "canary-note", "survivor")
    for secret in secrets:
        assert not [v for v in values if secret in v], secret
    # Digits as whole numbers: a detail can hold an id or a day ("from=10977",
    # "on=2026-01-09"), and those may contain the digits by chance.
    numbers = {n for v in values for n in re.findall(r"[0-9]+", v)}
    for secret in ("0977", "0977111222", "1987"):
        assert secret not in numbers, secret
    assert "anonymise" in values


def test_no_route_changes_or_deletes_audit_events(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_postgresql_refuses_to_change_or_delete_an_audit_event(app, world):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's; SQLite deployments are single-machine")
        event_id = db.session.scalar(select(func.min(AuditEvent.id)))
        for statement in (
            "UPDATE audit_events SET action = 'x' WHERE id = :id",
            "UPDATE audit_events SET member_id = NULL WHERE id = :id",
            "DELETE FROM audit_events WHERE id = :id",
        ):
            with pytest.raises(Exception, match="cannot be changed or deleted"):
                db.session.execute(text(statement), {"id": event_id})
            db.session.rollback()
        assert db.session.get(AuditEvent, event_id) is not None
