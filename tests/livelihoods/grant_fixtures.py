"""Shared helpers for the grant tests: a small world of people and groups, grants built
through the services, form data as a browser sends it, and snapshots of everything a
refused request must leave alone.

Plain functions, not fixtures (no conftest here): each test module wraps what it needs
in its own fixtures.
"""

import re
from datetime import date, timedelta
from types import SimpleNamespace

from flask_babel import force_locale
from sqlalchemy import select

from accounts.models import Role, User
from core.clock import today
from core.db import db
from groups.models import Member
from livelihoods.models import (
    Activity,
    FollowUp,
    Grant,
    GrantEvent,
    Method,
    Tranche,
    Visit,
)
from livelihoods.services.grants import (
    DEFAULT_CHECK_MONTHS,
    approve_grant,
    draft_grant,
    submit_grant,
)
from livelihoods.services.tranches import record_tranche
from tests.conftest import HUE, NGHE_AN, login

PLAN = "Nuôi 2 con lợn giống, chuồng có sẵn; thức ăn 600.000 đ/tháng; bán sau 5 tháng."


def build_world(make_user, make_group, make_member) -> SimpleNamespace:
    """A Huế group run by `facilitator` with members Mai and Lan, two Huế coordinators
    and an admin; a Nghệ An group with its own facilitator, coordinator and member."""
    facilitator = make_user(Role.FACILITATOR, full_name="Lê Thị Thu")
    coordinator = make_user(Role.COORDINATOR, provinces=(HUE,), full_name="Phạm Văn Bình")
    second_coordinator = make_user(Role.COORDINATOR, provinces=(HUE,), full_name="Đỗ Thị Hạnh")
    admin = make_user(Role.ADMIN, full_name="Vũ Quốc Anh")
    group = make_group(HUE, facilitators=[facilitator], name="Nhóm Thôn Đông")
    mai = make_member(group, full_name="Trần Thị Mai")
    lan = make_member(group, full_name="Hồ Thị Lan")

    other_facilitator = make_user(Role.FACILITATOR, full_name="Cao Văn Dũng")
    other_coordinator = make_user(Role.COORDINATOR, provinces=(NGHE_AN,), full_name="Lý Thị Nga")
    other_group = make_group(NGHE_AN, facilitators=[other_facilitator], name="Nhóm Xóm Bắc")
    other_member = make_member(other_group, full_name="Đinh Thị Xuân")
    return SimpleNamespace(
        facilitator=facilitator,
        coordinator=coordinator,
        second_coordinator=second_coordinator,
        admin=admin,
        group=group,
        mai=mai,
        lan=lan,
        other_facilitator=other_facilitator,
        other_coordinator=other_coordinator,
        other_group=other_group,
        other_member=other_member,
    )


def client_for(app, user):
    """A browser of its own, logged in as user."""
    browser = app.test_client()
    login(browser, user)
    return browser


def use_english(client) -> None:
    assert client.post("/language", data={"locale": "en"}).status_code == 302


def in_english(app, text) -> str:
    """A lazy label or message as an English page shows it."""
    with app.test_request_context(), force_locale("en"):
        return str(text)


def make_grant(
    app,
    member,
    *,
    drafter,
    upto: str = "draft",
    decider=None,
    requested: int = 5_000_000,
    approved: int | None = None,
    paid: int | None = None,
    paid_on: date | None = None,
    months=DEFAULT_CHECK_MONTHS,
) -> int:
    """A grant for member taken through the services up to draft, submitted, approved
    or disbursed (one tranche of `paid`, default all of it, `paid_on` default 40 days
    ago); committed. Returns its id."""
    steps = ("draft", "submitted", "approved", "disbursed")
    assert upto in steps
    with app.app_context():
        author = db.session.get(User, drafter.id)
        grant = draft_grant(
            author,
            db.session.get(Member, member.id),
            activity=Activity.LIVESTOCK,
            plan=PLAN,
            amount_requested=requested,
        )
        # Decided a month before it was paid (so payments dated earlier can be tried), two
        # months ago if only approved, today if only sent; sent a week before.
        decided = {
            "disbursed": (paid_on or today() - timedelta(days=40)) - timedelta(days=30),
            "approved": today() - timedelta(days=60),
        }.get(upto, today())
        if steps.index(upto) >= 1:
            submit_grant(author, grant, on=decided - timedelta(days=7))
        if steps.index(upto) >= 2:
            decider_row = db.session.get(User, decider.id)
            approve_grant(decider_row, grant, amount=approved or requested, note=None, on=decided)
        if steps.index(upto) >= 3:
            record_tranche(
                decider_row,
                grant,
                paid_on=paid_on or today() - timedelta(days=40),
                amount=paid or grant.amount_approved,
                method=Method.CASH,
                purchased="2 con lợn giống",
                today=today(),
                check_months=months,
            )
        db.session.commit()
        return grant.id


def grant_row(app, grant_id: int) -> Grant:
    """The grant with its tranches, events, follow-ups and visits loaded, detached."""
    with app.app_context():
        grant = db.session.get(Grant, grant_id)
        for f in grant.follow_ups:
            _ = f.visit
        _ = grant.tranches, grant.events
        db.session.expunge_all()
        return grant


def follow_up_ids(app, grant_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(FollowUp.id)
                .where(FollowUp.grant_id == grant_id)
                .order_by(FollowUp.months_after)
            )
        )


def tranche_ids(app, grant_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Tranche.id).where(Tranche.grant_id == grant_id).order_by(Tranche.id)
            )
        )


def set_due(app, follow_up_id: int, day: date) -> None:
    """Put a follow-up on a given day (to test the due lists around today)."""
    with app.app_context():
        db.session.get(FollowUp, follow_up_id).due_on = day
        db.session.commit()


def events(app, grant_id: int) -> list[tuple]:
    """The timeline as (action, status, actor id, note), oldest first."""
    with app.app_context():
        return [
            (e.action, e.to_status.value, e.actor_id, e.note)
            for e in db.session.scalars(
                select(GrantEvent)
                .where(GrantEvent.grant_id == grant_id)
                .order_by(GrantEvent.at, GrantEvent.id)
            )
        ]


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def snapshot(app, grant_id: int) -> dict:
    """Everything about a grant that a refused request must leave as it was."""
    with app.app_context():
        grant = db.session.get(Grant, grant_id)

        def rows(model, *where):
            return [
                _columns(r)
                for r in db.session.scalars(select(model).where(*where).order_by(model.id))
            ]

        return {
            "grant": _columns(grant),
            "tranches": rows(Tranche, Tranche.grant_id == grant_id),
            "events": rows(GrantEvent, GrantEvent.grant_id == grant_id),
            "follow_ups": rows(FollowUp, FollowUp.grant_id == grant_id),
            "visits": rows(Visit, Visit.grant_id == grant_id),
        }


# What a browser sends -----------------------------------------------------------------


def grant_form(**overrides) -> dict:
    data = {"activity": "livestock", "plan": PLAN, "amount_requested": "5000000"}
    data.update(overrides)
    return data


def tranche_form(**overrides) -> dict:
    data = {
        "paid_on": (today() - timedelta(days=10)).isoformat(),
        "amount": "2000000",
        "method": "cash",
        "purchased": "2 con lợn giống",
    }
    data.update(overrides)
    return data


def visit_form(**overrides) -> dict:
    data = {
        "visited_on": today().isoformat(),
        "business_status": "operating",
        "monthly_income": "1200000",
        "notes": "Lợn khỏe, đã bán 1 con.",
    }
    data.update(overrides)
    return data


def grant_id_from(response) -> int:
    """The grant a successful form redirected to."""
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    match = re.fullmatch(r"/grants/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# Reading pages ----------------------------------------------------------------------------


def form_errors(page: str) -> list[str]:
    """The field errors and the alert above the form, as text."""
    found = [
        re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'<p class="error"[^>]*>(.*?)</p>', page)
    ]
    # A flashed error, or the summary of the form's errors at its top.
    alert = re.search(r'<div class="alert alert-error[^"]*"[^>]*>(.*?)</div>', page, re.S)
    if alert:
        found += [re.sub(r"<[^>]+>", " ", alert.group(1)).strip()]
    return found


def refused_with_form_error(response) -> bool:
    """The form came back (200) with an error next to a field or above the form."""
    return response.status_code == 200 and bool(form_errors(response.get_data(as_text=True)))


def error_flash(page: str) -> str | None:
    """The text of a flashed error message, if any."""
    match = re.search(r'<div class="alert alert-error"[^>]*>(.*?)</div>', page, re.S)
    return match.group(1).strip() if match else None


def section(page: str, heading: str) -> str:
    """The part of a page from a card's <h2> to the end of that card."""
    start = page.index(f"<h2>{heading}</h2>")
    return page[start : page.index("</section>", start)]


def status_shown(app, page: str, status) -> bool:
    """The grant page shows this status (in English) as its current one."""
    return f"<strong>{in_english(app, status.label)}</strong>" in page


def input_value(page: str, name: str) -> str | None:
    """The value an <input name=...> carries in the page."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None
