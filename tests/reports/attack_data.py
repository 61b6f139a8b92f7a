"""Generated data for the disclosure attack (tests/reports/attacker.py): groups, members,
grants and meetings at random in the attacker's provinces, so that many cells are 1–4."""

import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import update

from accounts.models import Role, User
from core.db import db
from groups.models import Gender, Group, GroupRole, Member, MemberCategory
from groups.services import members as member_services
from livelihoods.models import Activity, GrantEvent, Method
from livelihoods.services.grants import approve_grant, draft_grant, reject_grant, submit_grant
from livelihoods.services.tranches import record_tranche
from reports.periods import Period

D = date


def generate(app, make_user, make_group, make_meeting, seed: int, variant):
    """Groups, members, meetings and grants at random in the provinces: many cells of 1–4
    (a province in a month), some large. Returns (coordinator, second coordinator,
    {group id: province})."""
    rng = random.Random(seed)
    coordinator = make_user(Role.COORDINATOR, provinces=variant.provinces)
    checker = make_user(Role.COORDINATOR, provinces=variant.provinces)
    admin = make_user(Role.ADMIN)
    last = Period.containing("month", D(2025, variant.months, 1)).end
    days = (last - D(2025, 1, 6)).days
    groups = [
        make_group(code, name=f"Nhóm {i}-{code}")
        for code in variant.provinces
        for i in range(rng.choice((1, 2)))
    ]
    actor = SimpleNamespace(id=None)
    members = []
    with app.app_context():
        for g in groups:
            for _ in range(rng.randint(2, 9)):
                joined = D(2025, 1, 6) + timedelta(days=rng.randint(0, days))
                m = member_services.create_member(
                    actor,
                    db.session.get(Group, g.id),
                    full_name="Lê Thị Lan",
                    gender=rng.choice(list(Gender)),
                    birth_year=rng.choice([None, *range(1960, 2008)]),
                    phone=None,
                    category=rng.choice(list(MemberCategory)),
                    notes=None,
                    joined_on=joined,
                    role=GroupRole.MEMBER,
                    consents=[],
                )
                members.append((m.id, joined))
        db.session.commit()
        decider = db.session.get(User, admin.id)
        for member_id, joined in members:
            member = db.session.get(Member, member_id)
            if rng.random() < 0.45:
                submitted = joined + timedelta(days=rng.randint(0, 20))
                if submitted >= last - timedelta(days=2):
                    continue
                g = draft_grant(
                    actor,
                    member,
                    activity=Activity.CROPS,
                    plan="Rau",
                    amount_requested=rng.randint(4, 30) * 500_000,
                )
                submit_grant(actor, g, on=submitted)
                decided = min(submitted + timedelta(days=rng.randint(1, 25)), last - timedelta(1))
                if rng.random() < 0.8:
                    approved = rng.randint(4, 26) * 500_000
                    approve_grant(decider, g, amount=approved, note=None, on=decided)
                    if rng.random() < 0.7:
                        paid = min(decided + timedelta(days=rng.randint(0, 20)), last)
                        record_tranche(
                            decider,
                            g,
                            paid_on=paid,
                            amount=rng.randint(1, approved // 500_000) * 500_000,
                            method=Method.CASH,
                            purchased=None,
                            today=paid,
                        )
                else:
                    reject_grant(decider, g, reason="Chưa đủ", on=decided)
                db.session.flush()
                for action, day in (("submitted", submitted), ("approved", decided)):
                    db.session.execute(
                        update(GrantEvent)
                        .where(GrantEvent.grant_id == g.id, GrantEvent.action == action)
                        .values(at=datetime.combine(day, datetime.min.time(), UTC))
                    )
            if rng.random() < 0.25:
                left = joined + timedelta(days=rng.randint(1, 60))
                if left <= last:
                    member_services.leave_group(actor, member, on=left, reason=None)
        db.session.commit()
    for g in groups:
        for week in rng.sample(range(days // 7), rng.randint(0, 4)):
            make_meeting(g, D(2025, 1, 6) + timedelta(days=7 * week))
    return coordinator, checker, {g.id: g.province_code for g in groups}
