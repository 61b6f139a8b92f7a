"""Demo case plans (issue 26), for the first Huế group's first members, in every state:
a plan reviewed twice (once late) with a goal met; one with its review overdue, a task
overdue and a referral made from the plan; a new one with a task and a home visit due
this week; and a closed one. Each action is dated the day it was planned, so the plans
read as if kept over months. Idempotent: nothing is added once a plan exists.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from accounts import services as accounts
from core.db import db
from groups.models import Group
from groups.services import meetings as meeting_services
from plans import reviews, services
from plans.models import ActionKind, ActionStatus, CasePlan, CloseReason, Progress
from support.models.referrals import ServiceProvider
from support.models.screening import Dimension, SupportType
from support.services.directory import sharing_consent

ECONOMIC, SOCIAL, PSYCHOSOCIAL = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL


def seed_plans(day: date) -> dict[str, int]:
    """Add the demo's plans once."""
    if db.session.scalar(select(func.count()).select_from(CasePlan)):
        return {"plans": 0}
    coordinator = accounts.get_user_by_username("coordinator")
    group = db.session.scalar(select(Group).where(Group.province_code == 46).order_by(Group.id))
    facilitator = group.facilitators[0]
    members = meeting_services.members_on(group.id, day)[:6]
    if len(members) < 4:
        return {"plans": 0}

    def opened(member, days_ago, review_in):
        on = max(day - timedelta(days=days_ago), services.joined_on(member) or day)
        plan = services.open_plan(
            facilitator, member, opened_on=on, next_review_on=on + timedelta(days=review_in),
            notes=None, today=on,
        )  # fmt: skip
        return plan, on

    def goal(plan, dimension, words, on):
        return services.add_goal(facilitator, plan, dimension=dimension, description=words,
                                 target_on=None, today=on)  # fmt: skip

    def task(goal_, words, on, due_in, who=None):
        return services.add_action(
            facilitator, goal_, kind=ActionKind.TASK, description=words,
            due_on=on + timedelta(days=due_in), today=on, responsible=who or facilitator,
        )  # fmt: skip

    # 1. Kept for five months: reviewed on time, then late; the income goal met.
    plan, on = opened(members[0], 150, 60)
    income = goal(plan, ECONOMIC, "Có thu nhập đều từ nhận may gia công", on)
    papers = goal(plan, SOCIAL, "Tham gia sinh hoạt nhóm đều đặn mỗi tuần", on)
    first = task(income, "Tìm cơ sở may nhận hàng gia công tại xã", on, 20)
    services.settle_action(facilitator, first, to=ActionStatus.DONE, on=on + timedelta(days=18),
                           today=day)  # fmt: skip
    reviews.record_review(
        facilitator, plan, reviewed_on=on + timedelta(days=58),
        next_review_on=on + timedelta(days=130),
        progress={income.id: Progress.SOME, papers.id: Progress.SOME}, notes=None,
        today=on + timedelta(days=58),
    )  # fmt: skip
    reviews.record_review(
        coordinator, plan, reviewed_on=on + timedelta(days=140),
        next_review_on=day + timedelta(days=80),
        progress={income.id: Progress.MET, papers.id: Progress.SOME},
        notes="Chị đã ổn định, vẫn cần khuyến khích đi sinh hoạt.", today=day,
    )  # fmt: skip

    # 2. Review overdue, a task overdue, a referral made from the plan (the member agreed
    # to share with the counselling service when a first referral was made).
    plan, on = opened(members[1], 20, 15)
    calm = goal(plan, PSYCHOSOCIAL, "Ngủ ngon hơn, bớt lo âu khi ở một mình", on)
    task(calm, "Cùng chị lập danh sách người có thể gọi khi cần", on, 12)
    provider = db.session.scalar(
        select(ServiceProvider).where(
            ServiceProvider.province_code == 46, ServiceProvider.kind == "psychosocial"
        )
    )
    if provider is not None and sharing_consent(members[1], provider) is not None:
        services.add_action(
            facilitator, calm, kind=ActionKind.REFERRAL, description="Tư vấn tâm lý, giấc ngủ",
            due_on=on + timedelta(days=25), today=on, provider=provider,
            service=SupportType.PSYCHOSOCIAL,
        )  # fmt: skip

    # 3. New this week: a task due in two days, a home visit in five.
    plan, on = opened(members[2], 3, 60)
    job = goal(plan, ECONOMIC, "Học nghề làm bánh để bán ở chợ xã", on)
    task(job, "Hỏi lịch khai giảng lớp nghề ở trung tâm dạy nghề", day, 2, coordinator)
    services.add_action(
        facilitator, job, kind=ActionKind.VISIT,
        description="Thăm nhà, bàn với gia đình về lớp học",
        due_on=day + timedelta(days=5), today=day, responsible=facilitator,
    )  # fmt: skip

    # 4. Closed: the goal met and the member satisfied.
    plan, on = opened(members[3], 120, 45)
    home = goal(plan, SOCIAL, "Làm lại giấy tờ tùy thân", on)
    reviews.record_review(
        coordinator, plan, reviewed_on=on + timedelta(days=40),
        next_review_on=on + timedelta(days=100),
        progress={home.id: Progress.MET}, notes=None, today=on + timedelta(days=40),
    )  # fmt: skip
    reviews.close_plan(coordinator, plan, closed_on=on + timedelta(days=41),
                        reason=CloseReason.GOALS_MET, today=day)  # fmt: skip
    db.session.flush()
    return {"plans": 4}
