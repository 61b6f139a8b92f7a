"""The order of events holds (issue 22): every pair of dates in the domain is checked by
the service that writes the later one, so forms, the import and the CLI all refuse a day
before the event it follows, a day still to come and a day before the programme began.

Each refusal names both days (as the reader writes dates: 05/01/2025) and writes nothing.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from accounts.models import Role
from core.audit import AuditEvent
from core.clock import today
from core.db import db
from core.errors import DomainError
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from groups.models import Consent, ConsentPurpose, Group, GroupRole, GroupStatus, Member, Membership
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from livelihoods.models import Activity, FollowUp, Grant, Method, Outcome, Tranche, Visit
from livelihoods.services.follow_ups import mark_missed, record_visit
from livelihoods.services.grants import (
    approve_grant,
    close_grant,
    draft_grant,
    reject_grant,
    return_grant,
    submit_grant,
)
from livelihoods.services.tranches import correct_tranche, record_tranche
from support import questionnaire
from support.models.referrals import Referral, ReferralStatus
from support.models.screening import Screening, SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from support.services import screenings as screening_services
from tests.conftest import HUE
from tests.support.helpers import add_provider

ADMIN = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)
FOUNDED = date(2025, 1, 6)  # the group's founding day and the members' joining day (fixtures)
TODAY = today()
TOMORROW = TODAY + timedelta(days=1)
BEFORE_START = date(2014, 12, 31)  # PROGRAMME_START_YEAR is 2015


def vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def world(app, make_group, make_member):
    group = make_group(HUE, founded_on=FOUNDED)
    mai = make_member(group, full_name="Trần Thị Mai", joined_on=FOUNDED)
    return SimpleNamespace(group=group, mai=mai)


def _group(w):
    return db.session.get(Group, w.group.id)


def _mai(w):
    return db.session.get(Member, w.mai.id)


def _meeting(w, held_on, marks=True):
    group = _group(w)
    members = meeting_services.members_on(group.id, held_on)
    meeting_services.record_meeting(
        ADMIN,
        group,
        held_on=held_on,
        kind=MeetingKind.REGULAR,
        topics=None,
        decisions=None,
        marks={m.id: AttendanceStatus.PRESENT for m in members} if marks else {},
        today=TODAY,
    )


def _close(w, closed_on):
    group = _group(w)
    group_services.update_group(
        ADMIN,
        group,
        version=group.version,
        name=group.name,
        province_code=group.province_code,
        commune_code=group.commune_code,
        village=group.village,
        founded_on=group.founded_on,
        status=GroupStatus.CLOSED,
        cadence=group.cadence,
        meeting_weekday=group.meeting_weekday,
        partner=None,
        facilitator_ids=[],
        closed_on=closed_on,
    )


def _refound(w, founded_on):
    group = _group(w)
    group_services.update_group(
        ADMIN,
        group,
        version=group.version,
        name=group.name,
        province_code=group.province_code,
        commune_code=group.commune_code,
        village=group.village,
        founded_on=founded_on,
        status=group.status,
        cadence=group.cadence,
        meeting_weekday=group.meeting_weekday,
        partner=None,
        facilitator_ids=[],
    )


def _new_member(w, joined_on):
    member_services.create_member(
        ADMIN,
        _group(w),
        full_name="Hồ Thị Lan",
        gender=_mai(w).gender,
        birth_year=1990,
        phone=None,
        category=_mai(w).category,
        notes=None,
        joined_on=joined_on,
        role=GroupRole.MEMBER,
    )


def _new_group(founded_on):
    from core.places import Commune

    commune = db.session.scalar(select(Commune.code).where(Commune.province_code == HUE))
    group_services.create_group(
        ADMIN,
        name="Nhóm Xóm Mới",
        province_code=HUE,
        commune_code=commune,
        village=None,
        founded_on=founded_on,
        status=GroupStatus.ACTIVE,
        cadence=_group_cadence(),
        meeting_weekday=0,
        partner=None,
    )


def _group_cadence():
    from groups.models import Cadence

    return Cadence.WEEKLY


def _consent(w, given_on):
    return member_services.record_consent(
        ADMIN, _mai(w), purpose=ConsentPurpose.PHONE_CONTACT, provider=None, given_on=given_on
    )


def _withdraw(w, given_on, on):
    consent = _consent(w, given_on)
    db.session.flush()
    member_services.withdraw_consent(ADMIN, consent, on=on)


SUBMITTED, APPROVED = TODAY - timedelta(days=50), TODAY - timedelta(days=45)


def _submitted(w, on=SUBMITTED):
    grant = draft_grant(
        ADMIN, _mai(w), activity=Activity.LIVESTOCK, plan="Nuôi lợn", amount_requested=4_000_000
    )
    submit_grant(ADMIN, grant, on=on)
    return grant


def _decide(w, how, on):
    grant = _submitted(w)
    if how == "approve":
        approve_grant(ADMIN, grant, amount=4_000_000, note=None, on=on)
    elif how == "reject":
        reject_grant(ADMIN, grant, reason="Chưa đủ", on=on)
    else:
        return_grant(ADMIN, grant, note="Bổ sung", on=on)
    return grant


def _resubmit(w, returned_on, on):
    grant = _decide(w, "return", returned_on)
    submit_grant(ADMIN, grant, on=on)


def _close_grant(w, paid_on, on):
    grant = _grant(w, paid_on=paid_on)
    close_grant(ADMIN, grant, outcome=Outcome.OPERATING, note=None, on=on)


def _pay_after_closing(w, closed_on, paid_on, correct=False):
    _close_grant(w, t(-30), closed_on)
    grant = db.session.scalar(select(Grant))
    if correct:
        tranche = db.session.scalar(select(Tranche))
        correct_tranche(
            ADMIN, tranche, paid_on=paid_on, amount=tranche.amount, method=tranche.method,
            purchased=None, today=TODAY,
        )  # fmt: skip
    else:
        record_tranche(
            ADMIN, grant, paid_on=paid_on, amount=500_000, method=Method.CASH,
            purchased=None, today=TODAY,
        )  # fmt: skip


def _missed(w, paid_on, on):
    grant = _grant(w, paid_on=paid_on)
    mark_missed(ADMIN, grant.follow_ups[0], reason="Đi vắng", today=TODAY, on=on)


def _grant(w, *, paid_on=None):
    grant = _decide(w, "approve", APPROVED)
    if paid_on is not None:
        record_tranche(
            ADMIN,
            grant,
            paid_on=paid_on,
            amount=2_000_000,
            method=Method.CASH,
            purchased=None,
            today=TODAY,
        )
    return grant


def _pay(w, paid_on):
    grant = _grant(w)
    record_tranche(
        ADMIN,
        grant,
        paid_on=paid_on,
        amount=1_000_000,
        method=Method.CASH,
        purchased=None,
        today=TODAY,
    )


def _visit(w, paid_on, visited_on):
    grant = _grant(w, paid_on=paid_on)
    follow_up = grant.follow_ups[0]
    record_visit(
        ADMIN,
        follow_up,
        visited_on=visited_on,
        business_status=Outcome.OPERATING,
        monthly_income=None,
        notes=None,
        today=TODAY,
    )


def _move_first_payment_after_visit(w, paid_on, visited_on, corrected_on):
    _visit(w, paid_on, visited_on)
    tranche = db.session.scalar(select(Tranche))
    correct_tranche(
        ADMIN,
        tranche,
        paid_on=corrected_on,
        amount=tranche.amount,
        method=tranche.method,
        purchased=None,
        today=TODAY,
    )


def _referral(w, referred_days_ago):
    provider = add_provider(HUE)
    mai = _mai(w)
    day = TODAY - timedelta(days=referred_days_ago)
    directory_services.record_sharing_consent(ADMIN, mai, provider, given_on=day, today=day)
    return referral_services.refer(
        ADMIN,
        mai,
        provider=provider,
        service=SupportType.HEALTH,
        reason="Khám sức khỏe",
        expected_on=day + timedelta(days=7),
        today=day,
    )


def _status(w, referred_days_ago, on):
    referral = _referral(w, referred_days_ago)
    referral_services.change_status(
        ADMIN, referral, to=ReferralStatus.SERVICE_RECEIVED, on=on, note=None, today=TODAY
    )


def _status_before_acknowledged(w):
    referral = _referral(w, 10)
    referral_services.change_status(
        ADMIN,
        referral,
        to=ReferralStatus.ACKNOWLEDGED,
        on=TODAY - timedelta(days=2),
        note=None,
        today=TODAY,
    )
    referral_services.change_status(
        ADMIN,
        referral,
        to=ReferralStatus.SERVICE_RECEIVED,
        on=TODAY - timedelta(days=5),
        note=None,
        today=TODAY,
    )


def _screen(w, screened_on):
    version = questionnaire.install(questionnaire.V1)
    screening_services.start_screening(
        ADMIN, _mai(w), version=version, screened_on=screened_on, today=TODAY
    )


def _sharing_consent(w, given_on):
    provider = add_provider(HUE)
    directory_services.record_sharing_consent(
        ADMIN, _mai(w), provider, given_on=given_on, today=TODAY
    )


def _leave(w, on):
    member_services.leave_group(ADMIN, _mai(w), on=on, reason=None)


def _move(w, on, founded_on=FOUNDED):
    _new_group(founded_on)
    db.session.flush()
    to_group = db.session.scalar(select(Group).where(Group.name == "Nhóm Xóm Mới"))
    member_services.move_member(ADMIN, _mai(w), to_group, on=on)


def _return_after_leaving(w, left_on, on):
    member_services.leave_group(ADMIN, _mai(w), on=left_on, reason=None)
    db.session.flush()
    member_services.move_member(ADMIN, _mai(w), _group(w), on=on)


def _role(w, on):
    member_services.change_group_role(ADMIN, _mai(w), GroupRole.LEADER, on=on)


def d(n: int) -> date:
    """n days after the group was founded."""
    return FOUNDED + timedelta(days=n)


def t(n: int) -> date:
    """n days after today."""
    return TODAY + timedelta(days=n)


D = FOUNDED
# (name, what is tried, the two days its message must name)
CASES = [
    ("meeting before founding", lambda w: _meeting(w, d(-5)), (d(-5), D)),
    (
        "meeting after closing",
        lambda w: (_close(w, d(30)), _meeting(w, d(31), marks=False)),
        (d(31), d(30)),
    ),
    ("attendance for tomorrow", lambda w: _meeting(w, TOMORROW), (TOMORROW, TODAY)),
    ("meeting too far ahead", lambda w: _meeting(w, t(8), marks=False), (t(8), t(7))),
    (
        "meeting before the programme",
        lambda w: _meeting(w, BEFORE_START),
        (BEFORE_START, date(2015, 1, 1)),
    ),
    ("group founded in the future", lambda w: _new_group(TOMORROW), (TOMORROW, TODAY)),
    (
        "group founded in year 1",
        lambda w: _new_group(date(1, 1, 1)),
        (date(1, 1, 1), date(2015, 1, 1)),
    ),
    ("group closed before founding", lambda w: _close(w, d(-1)), (d(-1), D)),
    ("group closed tomorrow", lambda w: _close(w, TOMORROW), (TOMORROW, TODAY)),
    (
        "founding moved after the first meeting",
        lambda w: (_meeting(w, d(7)), _refound(w, d(8))),
        (d(8), d(7)),
    ),
    ("founding moved after the first joining", lambda w: _refound(w, d(3)), (d(3), D)),
    ("joined before founding", lambda w: _new_member(w, d(-1)), (d(-1), D)),
    ("joined tomorrow", lambda w: _new_member(w, TOMORROW), (TOMORROW, TODAY)),
    ("left before joining", lambda w: _leave(w, d(-1)), (d(-1), D)),
    ("left tomorrow", lambda w: _leave(w, TOMORROW), (TOMORROW, TODAY)),
    ("moved before the new group was founded", lambda w: _move(w, d(10), d(20)), (d(10), d(20))),
    ("moved before joining", lambda w: _move(w, d(-1), d(-30)), (d(-1), D)),
    ("moved tomorrow", lambda w: _move(w, TOMORROW), (TOMORROW, TODAY)),
    ("back before leaving", lambda w: _return_after_leaving(w, d(40), d(20)), (d(20), d(40))),
    ("new role before joining", lambda w: _role(w, d(-2)), (d(-2), D)),
    ("new role tomorrow", lambda w: _role(w, TOMORROW), (TOMORROW, TODAY)),
    ("consent given tomorrow", lambda w: _consent(w, TOMORROW), (TOMORROW, TODAY)),
    ("consent withdrawn before given", lambda w: _withdraw(w, d(9), d(2)), (d(2), d(9))),
    ("consent withdrawn tomorrow", lambda w: _withdraw(w, D, TOMORROW), (TOMORROW, TODAY)),
    ("payment tomorrow", lambda w: _pay(w, TOMORROW), (TOMORROW, TODAY)),
    ("payment before approval", lambda w: _pay(w, t(-46)), (t(-46), APPROVED)),
    ("payment two years before approval", lambda w: _pay(w, t(-775)), (t(-775), APPROVED)),
    ("approval before submission", lambda w: _decide(w, "approve", t(-51)), (t(-51), SUBMITTED)),
    ("rejection before submission", lambda w: _decide(w, "reject", t(-51)), (t(-51), SUBMITTED)),
    ("return before submission", lambda w: _decide(w, "return", t(-51)), (t(-51), SUBMITTED)),
    ("decision tomorrow", lambda w: _decide(w, "approve", TOMORROW), (TOMORROW, TODAY)),
    ("submission tomorrow", lambda w: _submitted(w, TOMORROW), (TOMORROW, TODAY)),
    ("sent again before sent back", lambda w: _resubmit(w, t(-40), t(-42)), (t(-42), t(-40))),
    (
        "grant closed before last payment",
        lambda w: _close_grant(w, t(-30), t(-31)),
        (t(-31), t(-30)),
    ),
    ("grant closed tomorrow", lambda w: _close_grant(w, t(-30), TOMORROW), (TOMORROW, TODAY)),
    (
        "payment after the grant closed",
        lambda w: _pay_after_closing(w, t(-20), t(-10)),
        (t(-10), t(-20)),
    ),
    (
        "payment corrected after the grant closed",
        lambda w: _pay_after_closing(w, t(-20), t(-25), correct=True),
        (t(-25), t(-20)),
    ),
    ("visit missed before payment", lambda w: _missed(w, t(-30), t(-31)), (t(-31), t(-30))),
    ("visit missed tomorrow", lambda w: _missed(w, t(-30), TOMORROW), (TOMORROW, TODAY)),
    (
        "payment before the programme",
        lambda w: _pay(w, BEFORE_START),
        (BEFORE_START, date(2015, 1, 1)),
    ),
    ("visit before the first payment", lambda w: _visit(w, t(-30), t(-31)), (t(-31), t(-30))),
    ("visit tomorrow", lambda w: _visit(w, t(-30), TOMORROW), (TOMORROW, TODAY)),
    (
        "first payment moved after a visit",
        lambda w: _move_first_payment_after_visit(w, t(-30), t(-20), t(-10)),
        (t(-10), t(-20)),
    ),
    ("referral outcome before the referral", lambda w: _status(w, 10, t(-11)), (t(-11), t(-10))),
    ("referral outcome tomorrow", lambda w: _status(w, 10, TOMORROW), (TOMORROW, TODAY)),
    ("referral outcome before acknowledgement", _status_before_acknowledged, (t(-5), t(-2))),
    ("screening tomorrow", lambda w: _screen(w, TOMORROW), (TOMORROW, TODAY)),
    ("application sent before joining", lambda w: _submitted(w, d(-1)), (d(-1), D)),
    ("consent to share tomorrow", lambda w: _sharing_consent(w, TOMORROW), (TOMORROW, TODAY)),
]

COUNTED = (
    Meeting,
    Attendance,
    Group,
    Member,
    Membership,
    Consent,
    Tranche,
    Visit,
    FollowUp,
    Referral,
    Screening,
    AuditEvent,
)


def _counts() -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


@pytest.mark.parametrize("tried, days", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_day_out_of_order_is_refused_naming_both_days(app, world, tried, days):
    with app.test_request_context():
        before = _counts()
        with pytest.raises(DomainError) as refused:
            tried(world)
            db.session.flush()
        message = str(refused.value.message)
        db.session.rollback()
        for day in days:
            assert vi(day) in message, message
        assert "%(" not in message
        with force_locale("en"):
            english = str(refused.value.message)
        assert english != message and "%(" not in english
        assert _counts() == before


@pytest.mark.parametrize(
    "tried",
    [
        lambda w: _meeting(w, TOMORROW, marks=False),
        lambda w: _meeting(w, TODAY),
        lambda w: _close(w, TODAY),
        lambda w: _leave(w, D),
        lambda w: _withdraw(w, D, D),
        lambda w: _visit(w, TODAY - timedelta(days=30), TODAY - timedelta(days=30)),
        lambda w: _pay(w, APPROVED),
        lambda w: _decide(w, "approve", SUBMITTED),
        lambda w: _close_grant(w, t(-30), t(-30)),
        lambda w: _status(w, 10, TODAY - timedelta(days=10)),
        lambda w: _return_after_leaving(w, D + timedelta(days=20), D + timedelta(days=20)),
    ],
    ids=[
        "meeting planned for tomorrow",
        "attendance today",
        "closed today",
        "left the day of joining",
        "withdrawn the day given",
        "visit the day of payment",
        "payment the day of approval",
        "decision the day of submission",
        "closed the day of the last payment",
        "outcome the day of referral",
        "back the day of leaving",
    ],
)
def test_the_same_day_or_a_planned_meeting_is_accepted(app, world, tried):
    with app.test_request_context():
        tried(world)
        db.session.flush()
        db.session.rollback()
