"""The support plans section of the progress figures (reports/indicators/plans.py): the
members with a plan in progress at the period's end, plan reviews due and made on time,
goals met; for the scope, the period and the period before; through the disclosure
rules when shared."""

from datetime import date
from html import unescape

import pytest
from flask_babel import force_locale

from accounts.models import User
from core.db import db
from plans.models import CasePlan, GoalStatus, PlanGoal, PlanReview, PlanStatus
from reports.definitions import FIGURES, SECTIONS
from reports.indicators.all_sections import compute
from reports.indicators.scope import Scope
from reports.periods import Period
from reports.suppression import HIDDEN, Protection, protect_figure
from support.models.screening import Dimension
from tests.conftest import login
from tests.reports import world as world_module

D = date
MARCH = Period.containing("month", D(2025, 3, 14))
TODAY = D(2025, 4, 15)


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    w = world_module.build(app, make_user, make_group, make_member, make_meeting)
    m = w.members
    with app.app_context():

        def plan(member, opened, next_review, closed=None):
            p = CasePlan(
                member_id=member.id,
                status=PlanStatus.CLOSED if closed else PlanStatus.ACTIVE,
                opened_on=opened,
                next_review_on=next_review,
                closed_on=closed,
            )
            db.session.add(p)
            db.session.flush()
            return p

        def review(p, on, due):
            db.session.add(PlanReview(plan_id=p.id, reviewed_on=on, due_on=due))

        def goal(p, status=GoalStatus.OPEN, settled=None):
            db.session.add(
                PlanGoal(
                    plan_id=p.id,
                    dimension=Dimension.ECONOMIC,
                    description="Mở quầy bán hàng",
                    status=status,
                    settled_on=settled,
                    set_on=p.opened_on,
                )
            )

        # In Huế: m2's review of 5 March was late and the one due 20 March is not made.
        p2 = plan(m.m2, D(2025, 2, 1), D(2025, 3, 20))
        review(p2, D(2025, 3, 10), D(2025, 3, 5))
        goal(p2, GoalStatus.MET, D(2025, 3, 10))
        goal(p2)
        # m3's plan was reviewed on time and finished before the month's end.
        p3 = plan(m.m3, D(2025, 3, 1), D(2025, 4, 1), closed=D(2025, 3, 25))
        review(p3, D(2025, 3, 1), D(2025, 3, 2))
        goal(p3, GoalStatus.DROPPED, D(2025, 3, 25))
        # m5's plan was opened after March; m6's finished after it.
        plan(m.m5, D(2025, 4, 2), D(2025, 5, 2))
        plan(m.m6, D(2025, 1, 1), D(2025, 5, 1), closed=D(2025, 4, 5))
        # In Nghệ An: m7's review was made on time and found a goal met.
        p7 = plan(m.m7, D(2025, 3, 1), D(2025, 6, 9))
        review(p7, D(2025, 3, 9), D(2025, 3, 10))
        goal(p7, GoalStatus.MET, D(2025, 3, 9))
        db.session.commit()
    return w


def figures(app, user, period=MARCH):
    with app.app_context():
        return compute(Scope(db.session.get(User, user.id)), period, TODAY)


def test_plan_figures_follow_the_scope_and_the_period(app, world):
    hue = figures(app, world.coordinator)
    assert (hue["members_with_plan"], hue["plan_reviews_due"], hue["goals_met"]) == (2, 3, 1)
    assert hue["plan_reviews_on_time"] == pytest.approx(1 / 3)
    assert hue["bases"]["plan_reviews_on_time"] == (1, 3)
    nghe_an = figures(app, world.other)
    assert (nghe_an["members_with_plan"], nghe_an["plan_reviews_due"]) == (1, 1)
    assert (nghe_an["plan_reviews_on_time"], nghe_an["goals_met"]) == (1.0, 1)
    everyone = figures(app, world.admin)
    assert (everyone["members_with_plan"], everyone["plan_reviews_due"]) == (3, 4)
    assert (everyone["plan_reviews_on_time"], everyone["goals_met"]) == (0.5, 2)
    february = figures(app, world.coordinator, MARCH.previous())
    assert (february["members_with_plan"], february["plan_reviews_due"]) == (2, 0)
    assert february["plan_reviews_on_time"] is None and february["goals_met"] == 0


def test_plan_figures_are_defined_once_and_protected_when_shared(app, world):
    keys = [f.key for s in SECTIONS if s.key == "plans" for f in s.figures]
    assert keys == ["members_with_plan", "plan_reviews_due", "plan_reviews_on_time", "goals_met"]
    hue = figures(app, world.coordinator)
    how = Protection(threshold=5, base=5, key=b"k")
    # A share of 1 review in 3 is a person: hidden; counts are rounded to the base.
    assert protect_figure(FIGURES["plan_reviews_on_time"], hue, how) is HIDDEN
    assert protect_figure(FIGURES["members_with_plan"], hue, how) in (0, 5)


def test_the_progress_page_shows_the_plan_figures(client, world):
    # (The definitions page lists every figure of FIGURES: test_progress_pages.)
    login(client, world.coordinator)
    page = unescape(client.get("/progress?period=month&on=2025-03-01").get_data(as_text=True))
    with client.application.test_request_context(), force_locale("vi"):
        labels = [str(FIGURES[k].label) for k in ("members_with_plan", "plan_reviews_on_time")]
    assert all(label in page for label in labels)
    # Referrals by the need (service) and by the kind of provider, with those accepted.
    assert "Chuyển gửi theo loại đơn vị cung cấp dịch vụ" in page
    assert "Trong đó, đơn vị cung cấp dịch vụ đồng ý hỗ trợ" in page
