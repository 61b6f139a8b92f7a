"""Shared fixtures and helpers for the follow-up job, notification and email tests.

Import the fixtures you use into a test module (`from tests.livelihoods.jobs_fixtures
import make_paid_grant, world`); pytest finds them there. Everything goes through the
services, then is committed, as in production; the jobs are called with explicit dates.
"""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, update

from accounts.models import Role, User
from core.db import db
from core.jobs import JobRun
from groups.models import Member
from inbox.models import Notification
from livelihoods.models import Activity, FollowUp, Grant, Method, Outcome
from livelihoods.services.follow_ups import record_visit
from livelihoods.services.grants import approve_grant, close_grant, draft_grant, submit_grant
from livelihoods.services.tranches import record_tranche
from tests.conftest import HUE, QUANG_TRI

# Services take an actor; stand-ins with no user row where who did it is not tested.
NOBODY = SimpleNamespace(id=None)
DECIDER = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)

# The member whose texts must never show: a full name and an amount that are easy to spot.
MAI_NAME = "Phạm Thị Xuân Mai"
AMOUNT = 1_500_000
# Paid on 10 January 2026: the 1-month check is due on Tuesday 10 February 2026.
PAID_ON = date(2026, 1, 10)
DUE = date(2026, 2, 10)

AMOUNT_PATTERN = re.compile(r"\d{1,3}(?:[.,\u00a0 ]\d{3})+")
CURRENCY_WORDS = ("₫", "đồng", "vnd")
CIRCUMSTANCE_WORDS = ("trafficking", "trafficked", "victim", "survivor", "buôn bán", "nạn nhân")


def run(app, job, day: date) -> dict:
    """Run a job function for a day in a fresh app context, as the scheduler does."""
    with app.app_context():
        return job(today=day)


def notifications(app, **where) -> list[tuple[int, str, int | None]]:
    """(user id, kind, object id) of the stored notifications, sorted; filtered by column."""
    with app.app_context():
        stmt = select(Notification.user_id, Notification.kind, Notification.object_id)
        for column, value in where.items():
            stmt = stmt.where(getattr(Notification, column) == value)
        return sorted(tuple(row) for row in db.session.execute(stmt).all())


def forget_claims(app) -> None:
    """Delete every job claim, as if the runs had never been recorded."""
    with app.app_context():
        db.session.execute(delete(JobRun))
        db.session.commit()


def set_user(app, user_id: int, **values) -> None:
    """Change columns of a user directly (email, locale, active)."""
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(**values))
        db.session.commit()


def follow_up_row(app, follow_up_id: int) -> SimpleNamespace:
    with app.app_context():
        f = db.session.get(FollowUp, follow_up_id)
        return SimpleNamespace(
            id=f.id, due_on=f.due_on, source_on=f.source_on, status=f.status, kind=f.kind
        )


def assert_neutral(text: str, *, code: str | None = None) -> None:
    """Neutral wording: the member code if given, no name, amount or circumstance."""
    lowered = text.lower()
    if code is not None:
        assert code in text, text
    assert MAI_NAME not in text, text
    assert "Xuân" not in text, text  # not even a part of the name
    assert not AMOUNT_PATTERN.search(text), text
    assert str(AMOUNT) not in text, text
    for word in CURRENCY_WORDS + CIRCUMSTANCE_WORDS:
        assert word not in lowered, (word, text)


def _drafter(member: Member) -> User:
    """A facilitator of the member's group drafts and submits: the decider must differ."""
    group = member.current_membership.group
    return group.facilitators[0]


@pytest.fixture
def make_paid_grant(app):
    """A grant drafted, submitted, approved and paid out in one tranche (committed).

    Returns the grant and tranche ids and the follow-up ids by months after payment."""

    def make(member, paid_on: date = PAID_ON, *, amount: int = AMOUNT):
        with app.app_context():
            row = db.session.get(Member, member.id)
            drafter = _drafter(row)
            grant = draft_grant(
                drafter, row, activity=Activity.LIVESTOCK, plan="Nuôi gà", amount_requested=amount
            )
            submit_grant(drafter, grant, on=paid_on - timedelta(days=7))
            approve_grant(DECIDER, grant, amount=amount, note=None, on=paid_on)
            tranche = record_tranche(
                DECIDER,
                grant,
                paid_on=paid_on,
                amount=amount,
                method=Method.CASH,
                purchased="Gà giống",
                today=paid_on,
            )
            db.session.commit()
            return SimpleNamespace(
                id=grant.id,
                tranche_id=tranche.id,
                checks={f.months_after: f.id for f in grant.follow_ups},
            )

    return make


@pytest.fixture
def make_submitted_grant(app):
    """A grant waiting for a decision (status submitted), committed; returns its id."""

    def make(member, *, submit: bool = True):
        with app.app_context():
            row = db.session.get(Member, member.id)
            drafter = _drafter(row)
            grant = draft_grant(
                drafter, row, activity=Activity.CROPS, plan="Trồng rau", amount_requested=AMOUNT
            )
            if submit:
                submit_grant(drafter, grant)
            db.session.commit()
            return grant.id

    return make


@pytest.fixture
def visit(app):
    """Record the visit of a follow-up on a day (committed)."""

    def do(follow_up_id: int, on: date):
        with app.app_context():
            follow_up = db.session.get(FollowUp, follow_up_id)
            record_visit(
                NOBODY,
                follow_up,
                visited_on=on,
                business_status=Outcome.OPERATING if follow_up.grant_id else None,
                monthly_income=None,
                notes=None,
                today=on,
            )
            db.session.commit()

    return do


@pytest.fixture
def close(app):
    """Close a paid-out grant (its open follow-ups are cancelled), committed."""

    def do(grant_id: int):
        with app.app_context():
            close_grant(
                DECIDER, db.session.get(Grant, grant_id), outcome=Outcome.OPERATING, note=None
            )
            db.session.commit()

    return do


@pytest.fixture
def world(app, make_user, make_group, make_member):
    """Two Huế groups and one in Quảng Trị, their facilitators and the coordinators.

    - `group` (Huế): facilitators `fac` and `fac2`, and `gone`, a facilitator since
      deactivated; member `mai` (a full name that must never show).
    - `other_group` (Huế): facilitator `other_fac`; member `other`.
    - `qt_group` (Quảng Trị): facilitator `qt_fac`; member `qt_member`.
    - coordinators: `coord` (Huế), `qt_coord` (Quảng Trị), `both` (Huế and Quảng Trị),
      `retired` (Huế, deactivated); and an `admin`.
    """
    fac = make_user(Role.FACILITATOR)
    fac2 = make_user(Role.FACILITATOR)
    gone = make_user(Role.FACILITATOR)
    other_fac = make_user(Role.FACILITATOR)
    qt_fac = make_user(Role.FACILITATOR)
    coord = make_user(Role.COORDINATOR, provinces=(HUE,))
    qt_coord = make_user(Role.COORDINATOR, provinces=(QUANG_TRI,))
    both = make_user(Role.COORDINATOR, provinces=(HUE, QUANG_TRI))
    retired = make_user(Role.COORDINATOR, provinces=(HUE,))
    admin = make_user(Role.ADMIN)
    group = make_group(HUE, facilitators=[fac, fac2, gone], name="Nhóm Thôn Đông")
    other_group = make_group(HUE, facilitators=[other_fac], name="Nhóm Thôn Tây")
    qt_group = make_group(QUANG_TRI, facilitators=[qt_fac], name="Nhóm Thôn Nam")
    mai = make_member(group, full_name=MAI_NAME)
    other = make_member(other_group, full_name="Lê Văn Bình")
    qt_member = make_member(qt_group, full_name="Hoàng Thị Cúc")
    set_user(app, gone.id, active=False)
    set_user(app, retired.id, active=False)
    return SimpleNamespace(
        fac=fac,
        fac2=fac2,
        gone=gone,
        other_fac=other_fac,
        qt_fac=qt_fac,
        coord=coord,
        qt_coord=qt_coord,
        both=both,
        retired=retired,
        admin=admin,
        group=group,
        other_group=other_group,
        qt_group=qt_group,
        mai=mai,
        other=other,
        qt_member=qt_member,
    )
