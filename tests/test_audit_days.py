"""Issue 22: every decision and status change carries the day it happened beside the
moment it was recorded and by whom, in the history and in the audit log. A grant approved
at Monday's meeting and typed in on Thursday is audited on Thursday (`at`) as having
taken place on Monday (`on=` in its detail), and the viewer says so in words.

The cases drive the services the forms, the import and the CLI share (the helpers of
tests/test_order_of_events.py); a scan of the code keeps any new dated change in the
class: a function that takes a day and writes an audit event other than a creation
passes that day on."""

import ast
import os
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.audit import AuditEvent
from core.clock import today
from core.db import db
from groups.models import Consent, ConsentPurpose
from groups.services import anonymise
from groups.services import members as member_services
from livelihoods.models import Grant
from reports.audit_details import describe
from tests.conftest import ROOT
from tests.test_order_of_events import (
    ADMIN,
    APPROVED,
    SUBMITTED,
    _close,
    _close_grant,
    _consent,
    _decide,
    _grant,
    _leave,
    _mai,
    _missed,
    _move,
    _referral,
    _role,
    _status,
    _submitted,
    _visit,
    _withdraw,
    d,
    t,
    world,  # noqa: F401 (a fixture)
)


def _withdraw_sharing(w, referred_days_ago, on):
    _referral(w, referred_days_ago)
    db.session.flush()
    consent = db.session.scalar(
        select(Consent).where(Consent.purpose == ConsentPurpose.PROVIDER_SHARING)
    )
    member_services.withdraw_consent(ADMIN, consent, on=on)


def _anonymise(w, on):
    anonymise.anonymise_member(ADMIN, _mai(w), on=on, reason="theo yêu cầu")


# (name, what is done, the record type and action audited, the day it took place)
CASES = [
    ("submitted", lambda w: _submitted(w), ("grants", "update"), SUBMITTED),
    ("approved", lambda w: _decide(w, "approve", APPROVED), ("grants", "update"), APPROVED),
    ("rejected", lambda w: _decide(w, "reject", APPROVED), ("grants", "update"), APPROVED),
    ("returned", lambda w: _decide(w, "return", APPROVED), ("grants", "update"), APPROVED),
    ("paid", lambda w: _grant(w, paid_on=t(-30)), ("grants", "update"), t(-30)),
    ("grant closed", lambda w: _close_grant(w, t(-30), t(-20)), ("grants", "update"), t(-20)),
    ("visit", lambda w: _visit(w, t(-30), t(-20)), ("follow_ups", "update"), t(-20)),
    ("visit missed", lambda w: _missed(w, t(-30), t(-20)), ("follow_ups", "missed"), t(-20)),
    ("referral outcome", lambda w: _status(w, 10, t(-4)), ("referrals", "update"), t(-4)),
    (
        "referral closed by a withdrawal",
        lambda w: _withdraw_sharing(w, 10, t(-3)),
        ("referrals", "update"),
        t(-3),
    ),
    ("consent", lambda w: _consent(w, d(4)), ("consents", "consent"), d(4)),
    (
        "consent withdrawn",
        lambda w: _withdraw(w, d(4), d(9)),
        ("consents", "withdraw_consent"),
        d(9),
    ),
    ("left", lambda w: _leave(w, d(3)), ("memberships", "leave"), d(3)),
    ("moved", lambda w: _move(w, d(10), d(5)), ("memberships", "move"), d(10)),
    ("new role", lambda w: _role(w, d(2)), ("memberships", "change_role"), d(2)),
    ("group closed", lambda w: _close(w, d(30)), ("groups", "update"), d(30)),
    ("anonymised", lambda w: _anonymise(w, t(-2)), ("members", "anonymise"), t(-2)),
]


@pytest.mark.parametrize("done, audited, day", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_audit_log_keeps_the_day_a_change_took_place(app, world, done, audited, day):  # noqa: F811
    object_type, action = audited
    with app.test_request_context():
        done(world)
        db.session.flush()
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.action == action)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None, audited
        assert event.detail.startswith(f"on={day.isoformat()}"), event.detail
        with force_locale("vi"):
            said = describe(event.action, event.detail)
        assert said.startswith(f"diễn ra ngày {day.strftime('%d/%m/%Y')}"), said
        assert "on=" not in said and "step=" not in said, said
        db.session.rollback()


def test_a_decision_typed_in_days_later_reads_so_in_the_audit_viewer(app, client, login_as, world):  # noqa: F811
    """The reviewer's case: approved at the district meeting, typed in later."""
    from accounts.models import Role
    from tests.conftest import HUE

    login_as(Role.COORDINATOR, provinces=(HUE,))
    with app.test_request_context():
        grant = _submitted(world)
        db.session.commit()
        grant_id = grant.id
    monday = today() - timedelta(days=3)
    response = client.post(
        f"/grants/{grant_id}/decide",
        data={"decision": "approve", "amount": "4000000", "on": monday.isoformat()},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Grant, grant_id).status.value == "approved"
    page = client.get("/audit?record_type=grants").get_data(as_text=True)
    assert f"diễn ra ngày {monday.strftime('%d/%m/%Y')}; Duyệt" in page
    assert not re.search(r"\b(on|step)=", page)


def test_each_detail_reads_in_either_language(app):
    with app.test_request_context():
        with force_locale("en"):
            assert describe("update", "on=2026-03-02;step=approved") == (
                "took place on 2 Mar 2026; Approved"
            )
            assert describe("anonymise", "on=2026-03-02;asked; twice") == (
                "took place on 2 Mar 2026; reason: asked; twice"
            )
        with force_locale("vi"):
            assert describe("consent", "on=2026-03-02;phone_contact") == (
                "diễn ra ngày 02/03/2026; Liên lạc qua điện thoại"
            )
            assert describe("update", "group_closed") == "nhóm ngừng hoạt động"
            # Not a day: shown as written, never an error.
            assert describe("update", "on=2026-02-31") == "on=2026-02-31"


PACKAGES = ("accounts", "core", "groups", "livelihoods", "support", "reports", "imports", "inbox")


def _dated_changes_without_their_day() -> list[str]:
    found = []
    for package in PACKAGES:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, package)):
            for name in (f for f in files if f.endswith(".py")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
                    args = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
                    if not any(a == "on" or a.endswith("_on") for a in args):
                        continue
                    for call in ast.walk(fn):
                        if not (
                            isinstance(call, ast.Call)
                            and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "record"
                            and getattr(call.func.value, "id", None) == "audit"
                        ):
                            continue
                        action = call.args[1] if len(call.args) > 1 else None
                        if isinstance(action, ast.Constant) and action.value == "create":
                            continue  # a new record carries its own day
                        if not any(k.arg == "on" for k in call.keywords):
                            found.append(f"{os.path.relpath(path, ROOT)}:{call.lineno} {fn.name}")
    return found


def test_every_dated_change_gives_the_audit_log_its_day():
    assert _dated_changes_without_their_day() == []


def test_the_scan_sees_a_dated_change_without_its_day(tmp_path, monkeypatch):
    """The scan above finds what it looks for."""
    package = tmp_path / "groups"
    package.mkdir()
    (package / "x.py").write_text(
        "def leave(actor, row, *, on):\n    audit.record(actor, 'leave', row)\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", str(tmp_path))
    assert _dated_changes_without_their_day() == ["groups/x.py:2 leave"]


def test_a_day_is_never_today_by_accident():
    # The cases above use days other than today, so a forgotten `on` cannot pass by luck.
    assert all(c[3] != today() for c in CASES)
    assert date(2025, 1, 6) != today()
