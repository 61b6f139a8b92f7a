"""Demo grants: in every state in each group, with tranches and visits done, due and late,
and one member who logs in with a PIN."""

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from accounts import services as accounts
from accounts.models import User
from core.clock import today
from core.db import db
from groups.models import Group
from groups.services import meetings as meeting_services
from livelihoods.models import Activity, Grant, Method, Outcome
from livelihoods.services.follow_ups import record_visit
from livelihoods.services.grants import (
    approve_grant,
    close_grant,
    draft_grant,
    reject_grant,
    return_grant,
    submit_grant,
)
from livelihoods.services.members import set_member_pin
from livelihoods.services.tranches import record_tranche

PLANS = {
    Activity.LIVESTOCK: "Nuôi 2 con lợn nái, chuồng có sẵn ở nhà. Dự kiến bán lứa đầu sau 6 tháng.",
    Activity.CROPS: "Trồng rau cải và hành trên 300 m² đất nhà, bán ở chợ xã.",
    Activity.SMALL_TRADE: "Mở quầy tạp hóa nhỏ trước nhà, nhập hàng ở chợ huyện.",
    Activity.TAILORING: "Mua máy may công nghiệp, nhận may đồ cho người trong thôn.",
    Activity.SERVICES: "Mở tiệm cắt tóc gội đầu nhỏ tại nhà.",
}

DEMO_PIN = "482915"

# What becomes of the grants of one group's members, in member order: most are paid at some
# point of the year, so every month has applications, decisions, payments and visits.
GRANT_STAGES = [
    "draft",
    "submitted",
    "returned",
    "rejected",
    "approved",
    "paid",
    "paid",
    "paid",
    "paid",
    "closed",
]


def seed_grants(rng: random.Random, day: date) -> int:
    """Grants in every state in each group, with tranches and visits done, due and late."""
    if db.session.scalar(select(func.count()).select_from(Grant)):
        return 0
    coordinators = {
        code: accounts.get_user_by_username(name)
        for name, codes in (("coordinator", (46, 44, 42, 40)), ("coordinator2", (80, 24)))
        for code in codes
    }
    created = 0
    nth_in_province: dict[int, int] = {}
    for group in db.session.scalars(select(Group).order_by(Group.id)):
        nth = nth_in_province.get(group.province_code, 0)
        nth_in_province[group.province_code] = nth + 1
        facilitator = group.facilitators[0]
        decider = coordinators[group.province_code]
        # The founding members (joined over a year ago): room to apply, be decided on and
        # be paid after joining; those who joined during the year have not applied yet.
        members = [
            m
            for m in meeting_services.members_on(group.id, day)
            if (day - m.home_membership.joined_on).days > 365
        ][: len(GRANT_STAGES)]
        for member, stage in zip(members, GRANT_STAGES, strict=False):
            activity = rng.choice(list(PLANS))
            grant = draft_grant(
                facilitator,
                member,
                activity=activity,
                plan=PLANS[activity],
                amount_requested=rng.choice([3, 4, 5, 6, 8]) * 1_000_000,
            )
            created += 1
            if stage == "draft":
                continue
            # Dated as a real year reads: applications sent every month, decided a few days
            # to three weeks later, paid a few days to two weeks after that; waiting ones
            # sent lately. Nothing before the member joined the group.
            joined = member.home_membership.joined_on
            earliest = (day - joined).days - 40  # room to apply, decide and pay after joining
            days_ago = {
                "paid": rng.randint(20, max(21, min(earliest, 400))),
                # Completed grants were paid 14, 13 or 12 months ago (the province's
                # third, second and first group), so each of the last eleven months has
                # visits at 3, 6 or 12 months to show.
                "closed": min(earliest, 405 - 30 * (2 - nth % 3) + rng.randint(0, 20)),
            }.get(stage)
            paid_on = day - timedelta(days=days_ago or 0)
            decided = paid_on - timedelta(days=rng.randint(3, 14))
            if days_ago is None:  # refused any time; approved or sent back lately
                span = min(earliest, 300) if stage == "rejected" else 30
                decided = day - timedelta(days=rng.randint(0, span))
            submitted = max(decided - timedelta(days=rng.randint(3, 21)), joined)
            if stage == "submitted":
                submitted = day - timedelta(days=rng.randint(0, 10))
            submit_grant(facilitator, grant, on=submitted)
            if stage == "submitted":
                continue
            if stage == "returned":
                return_grant(decider, grant, note="Bổ sung chi phí thức ăn.", on=decided)
                continue
            if stage == "rejected":
                reject_grant(
                    decider,
                    grant,
                    reason="Đã được hỗ trợ vốn từ chương trình khác trong năm nay.",
                    on=decided,
                )
                continue
            approve_grant(decider, grant, amount=grant.amount_requested, note=None, on=decided)
            if stage == "approved":
                continue
            record_tranche(
                decider,
                grant,
                paid_on=paid_on,
                amount=grant.amount_approved,
                method=Method.CASH,
                purchased="Con giống, vật tư",
                today=day,
            )
            for follow_up in grant.follow_ups:
                # Visits mostly made on time, a day or three after they fall due; of those
                # due in the last two months a few are still to make (overdue ones).
                if follow_up.due_on >= day or (
                    follow_up.due_on > day - timedelta(days=60) and rng.random() < 0.25
                ):
                    continue
                record_visit(
                    facilitator,
                    follow_up,
                    visited_on=min(follow_up.due_on + timedelta(days=rng.randint(0, 3)), day),
                    business_status=rng.choice(
                        [Outcome.OPERATING, Outcome.OPERATING, Outcome.STRUGGLING]
                    ),
                    monthly_income=rng.choice([15, 20, 25, 30]) * 100_000,
                    notes=None,
                    today=day,
                )
            if stage == "closed":
                close_grant(
                    decider,
                    grant,
                    outcome=Outcome.OPERATING,
                    note=None,
                    on=day - timedelta(days=rng.randint(1, 20)),
                )
    return created


def seed_member_login() -> str | None:
    """The first member of the first group can log in with their code and DEMO_PIN."""
    group = db.session.scalar(select(Group).order_by(Group.id))
    member = meeting_services.members_on(group.id, today())[0]
    if db.session.scalar(select(User).where(User.member_id == member.id)) is None:
        set_member_pin(accounts.get_user_by_username("admin"), member, DEMO_PIN)
    return member.code
