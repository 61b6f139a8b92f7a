"""A hand-counted programme for the indicator tests (March 2025, counted on paper).

Huế: group A (weekly, Mondays, founded 6 Jan 2025), group B (fortnightly, Wednesdays,
founded 5 Feb 2025), group C (weekly, closed now, met once on 3 March). Nghệ An: group D
(weekly, Mondays). The coordinator covers Huế; the other coordinator Nghệ An.

Members: m1 in A, moved to B on 12 March; m2 and m5 in A (m5 left on 25 March); m3 in
B (from 5 Feb); m4 joined A on 20 March; m6 in C; m7 in D; m8 in A, left on 10 Feb.

Meetings in March: A on 3 (m2 absent), 10 and 17 (recorded on the 25th: late);
B on 5, 19 and an extra regular one on 20; C on 3; D on 3. All others recorded a day after.

Grants (dates of the events): m2 submitted 2 March, approved 6 March (5,000,000),
paid 3,000,000 on 10 March; m3 submitted 4 March, not approved 14 March; m5 submitted
10 March, approved 20 March (2,000,000), not paid; m7 (Nghệ An) submitted 3 March,
approved 5 March, paid 4,000,000 on 6 March.
"""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import update

from accounts.models import Role, User
from core.db import db
from groups.meeting_models import Meeting
from groups.models import Cadence, Group, GroupStatus, Member
from groups.services import members as member_services
from livelihoods.models import Activity, GrantEvent, Method
from livelihoods.services.grants import approve_grant, draft_grant, reject_grant, submit_grant
from livelihoods.services.tranches import record_tranche
from tests.conftest import NGHE_AN

D = date


def build(app, make_user, make_group, make_member, make_meeting):
    coordinator = make_user(Role.COORDINATOR)
    other = make_user(Role.COORDINATOR, provinces=(NGHE_AN,))
    admin = make_user(Role.ADMIN)
    facilitator = make_user(Role.FACILITATOR)
    a = make_group(facilitators=[facilitator], name="Nhóm A")
    b = make_group(
        name="Nhóm B", cadence=Cadence.FORTNIGHTLY, meeting_weekday=2, founded_on=D(2025, 2, 5)
    )
    c = make_group(name="Nhóm C")
    d = make_group(NGHE_AN, name="Nhóm D")
    m1 = make_member(a)
    m2 = make_member(a)
    m3 = make_member(b, joined_on=D(2025, 2, 5))
    m5 = make_member(a)
    m6 = make_member(c)
    m7 = make_member(d)
    m8 = make_member(a)
    with app.app_context():
        actor = SimpleNamespace(id=None)

        def member(m):
            return db.session.get(Member, m.id)

        member_services.leave_group(actor, member(m8), on=D(2025, 2, 10), reason=None)
        member_services.move_member(
            actor, member(m1), db.session.get(Group, b.id), on=D(2025, 3, 12)
        )
        db.session.commit()
    m4 = make_member(a, joined_on=D(2025, 3, 20))
    meetings = [
        make_meeting(a, D(2025, 3, 3), {m2.id: "absent"}),
        make_meeting(a, D(2025, 3, 10)),
        make_meeting(a, D(2025, 3, 17)),
        make_meeting(b, D(2025, 3, 5)),
        make_meeting(b, D(2025, 3, 19)),
        make_meeting(b, D(2025, 3, 20)),
        make_meeting(c, D(2025, 3, 3)),
        make_meeting(d, D(2025, 3, 3)),
    ]
    with app.app_context():
        for meeting in meetings:
            late = meeting.group_id == a.id and meeting.held_on == D(2025, 3, 17)
            recorded = datetime.combine(meeting.held_on, datetime.min.time(), UTC) + timedelta(
                days=8 if late else 1, hours=3
            )
            db.session.execute(
                update(Meeting).where(Meeting.id == meeting.id).values(created_at=recorded)
            )
        db.session.execute(
            update(Group)
            .where(Group.id == c.id)
            .values(status=GroupStatus.CLOSED, closed_on=D(2025, 3, 1), meeting_due_by=None)
        )
        decider = db.session.get(User, admin.id)
        grants = {}

        def grant(m, amount, submitted, decided=None, approved=None, paid=None):
            g = draft_grant(
                actor, member(m), activity=Activity.CROPS, plan="Rau", amount_requested=amount
            )
            submit_grant(actor, g, on=submitted)
            if approved:
                approve_grant(decider, g, amount=approved, note=None, on=decided)
            elif decided:
                reject_grant(decider, g, reason="Chưa đủ", on=decided)
            if paid:
                record_tranche(
                    decider,
                    g,
                    paid_on=paid[0],
                    amount=paid[1],
                    method=Method.CASH,
                    purchased=None,
                    today=paid[0],
                )
            db.session.flush()
            for action, day in (
                ("submitted", submitted),
                ("approved", decided),
                ("rejected", decided),
            ):
                if day:
                    db.session.execute(
                        update(GrantEvent)
                        .where(GrantEvent.grant_id == g.id, GrantEvent.action == action)
                        .values(
                            at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=2)
                        )
                    )
            return g.id

        grants["m2"] = grant(
            m2, 6_000_000, D(2025, 3, 2), D(2025, 3, 6), 5_000_000, (D(2025, 3, 10), 3_000_000)
        )
        grants["m3"] = grant(m3, 4_000_000, D(2025, 3, 4), D(2025, 3, 14))
        grants["m5"] = grant(m5, 2_500_000, D(2025, 3, 10), D(2025, 3, 20), 2_000_000)
        grants["m7"] = grant(
            m7, 4_000_000, D(2025, 3, 3), D(2025, 3, 5), 4_000_000, (D(2025, 3, 6), 4_000_000)
        )
        member_services.leave_group(actor, member(m5), on=D(2025, 3, 25), reason=None)
        db.session.commit()
    return SimpleNamespace(
        coordinator=coordinator,
        other=other,
        admin=admin,
        facilitator=facilitator,
        groups=SimpleNamespace(a=a, b=b, c=c, d=d),
        members=SimpleNamespace(m1=m1, m2=m2, m3=m3, m4=m4, m5=m5, m6=m6, m7=m7, m8=m8),
        grants=grants,
    )


def from_facts_and_live(monkeypatch, read):
    """What `read()` gives from the analytics tables and from the live tables, in that
    order; the facts are read again afterwards, as in production."""
    from reports.indicators import groups as group_indicators

    monkeypatch.setattr(group_indicators, "READ_FACTS", True)
    from_facts = read()
    monkeypatch.setattr(group_indicators, "READ_FACTS", False)
    try:
        live = read()
    finally:
        monkeypatch.setattr(group_indicators, "READ_FACTS", True)
    return from_facts, live
