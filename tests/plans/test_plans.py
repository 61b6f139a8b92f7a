"""Case plans: opening, goals, actions that are visits or referrals, reviews, closing,
the due lists, the reminders, who sees the notes, and bad dates."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role
from core.audit import AuditEvent
from core.clock import today
from core.db import db
from core.submissions import new_key
from inbox.models import Notification
from inbox.services import render
from livelihoods.jobs import daily_sweep
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from plans import queries, reviews
from plans.jobs import send_reminders
from plans.models import (
    ActionKind,
    ActionStatus,
    CasePlan,
    GoalStatus,
    PlanAction,
    PlanGoal,
    PlanReview,
    PlanStatus,
    Progress,
)
from support.models.referrals import Referral
from tests.conftest import NGHE_AN
from tests.conftest import login as plain_login
from tests.plans.helpers import make_plan
from tests.support.helpers import make_records

DAY = today()
SECRET = "Đang trốn người chồng cũ ở xã bên"


def login(client, user, locale="en"):
    """Log this client in as `user` (logging out whoever was in first)."""
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else client._cookies.clear()
    plain_login(client, user)
    client.post("/language", data={"locale": locale})


@pytest.fixture
def plan_world(app, make_user, make_group, make_member):
    users = {
        "facilitator": make_user(Role.FACILITATOR, full_name="Phan Thị Thu"),
        "other_facilitator": make_user(Role.FACILITATOR),
        "coordinator": make_user(Role.COORDINATOR),  # Huế
        "other_coordinator": make_user(Role.COORDINATOR, provinces=(NGHE_AN,)),
        "admin": make_user(Role.ADMIN),
    }
    group = make_group(facilitators=[users["facilitator"]])
    other_group = make_group(NGHE_AN, facilitators=[users["other_facilitator"]])
    mai = make_member(group)
    lan = make_member(group, full_name="Hồ Thị Lan", joined_on=date(2025, 3, 10))
    with app.app_context():
        ids = make_records(users["facilitator"].id, mai.id)
        ids |= make_plan(users["facilitator"].id, mai.id)
    ids |= {"member": mai.id, "code": mai.code, "lan": lan.id, "other_group": other_group.id}
    return users, ids


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def open_form(**overrides):
    return {
        "opened_on": DAY.isoformat(),
        "next_review_on": (DAY + timedelta(days=60)).isoformat(),
        **overrides,
    }


# Opening, goals and actions -------------------------------------------------------------


def test_a_facilitator_opens_a_plan_with_a_goal_a_task_a_visit_and_a_referral(
    app, client, plan_world
):
    users, ids = plan_world
    login(client, users["facilitator"])
    response = client.post(f"/members/{ids['lan']}/plans/new", data=open_form())
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(CasePlan).where(CasePlan.member_id == ids["lan"]))
        plan_id = plan.id
    response = client.post(
        f"/plans/{plan_id}/goals/new",
        data={"dimension": "psychosocial", "description": "Ngủ ngon hơn, bớt lo âu"},
    )
    assert response.status_code == 302
    with app.app_context():
        goal_id = db.session.scalar(select(PlanGoal.id).where(PlanGoal.plan_id == plan_id))
    due = (DAY + timedelta(days=4)).isoformat()
    for kind in ("task", "visit"):
        response = client.post(
            f"/goals/{goal_id}/actions/new",
            data={
                "kind": kind,
                "description": "Gặp chị để nói chuyện",
                "due_on": due,
                "responsible_id": str(users["facilitator"].id),
            },
        )
        assert response.status_code == 302, response.text
    with app.app_context():
        visit = db.session.scalar(
            select(PlanAction).where(
                PlanAction.goal_id == goal_id, PlanAction.kind == ActionKind.VISIT
            )
        )
        follow_up = db.session.get(FollowUp, visit.follow_up_id)
        assert follow_up.source_key == f"plan:{visit.id}"
        assert follow_up.kind == FollowUpKind.HOME_VISIT
        assert follow_up.due_on == DAY + timedelta(days=4)
        assert follow_up.member_id == ids["lan"]
        assert follow_up.status == FollowUpStatus.SCHEDULED


def test_a_referral_action_makes_the_referral_through_support(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = count(app, Referral)
    response = client.post(
        f"/goals/{ids['plan_goal']}/actions/new",
        data={
            "kind": "referral",
            "description": "Tư vấn về giấy khai sinh cho con",
            "due_on": (DAY + timedelta(days=10)).isoformat(),
            "provider_id": str(ids["provider"]),
            "service": "legal",
        },
    )
    assert response.status_code == 302
    assert count(app, Referral) == before + 1
    with app.app_context():
        action = db.session.scalar(select(PlanAction).where(PlanAction.kind == ActionKind.REFERRAL))
        assert response.location.endswith(f"/referrals/{action.referral_id}")
        assert action.referral.member_id == ids["member"]
        assert action.current_status == ActionStatus.OPEN


def test_a_referral_action_without_consent_sends_nothing(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = (count(app, Referral), count(app, PlanAction))
    response = client.post(
        f"/goals/{ids['plan_goal']}/actions/new",
        data={
            "kind": "referral",
            "description": "Khám sức khỏe",
            "due_on": (DAY + timedelta(days=10)).isoformat(),
            "provider_id": str(ids["health"]),
            "service": "health",
        },
    )
    assert response.status_code == 200
    assert "has not agreed to share" in response.text
    assert (count(app, Referral), count(app, PlanAction)) == before


def test_a_second_plan_in_progress_is_not_opened(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = count(app, CasePlan)
    response = client.post(f"/members/{ids['member']}/plans/new", data=open_form())
    assert response.status_code in (200, 409)
    assert "already has a support plan in progress" in response.text
    assert count(app, CasePlan) == before


def test_a_double_tap_opens_one_plan_and_lands_where_the_first_did(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    data = open_form(submission=new_key())
    first = client.post(f"/members/{ids['lan']}/plans/new", data=data)
    again = client.post(f"/members/{ids['lan']}/plans/new", data=data)
    assert first.status_code == 302
    assert again.status_code == 303 and again.location == first.location
    with app.app_context():
        plans = db.session.scalar(
            select(func.count()).select_from(CasePlan).where(CasePlan.member_id == ids["lan"])
        )
    assert plans == 1


# Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened_on", "message"),
    [
        ("0001-01-01", "The date cannot be before"),
        ("9999-12-31", "The date cannot be in the future."),
        ("2026-02-31", "Not a valid date value."),
        ((DAY + timedelta(days=1)).isoformat(), "The date cannot be in the future."),
        # Lan joined on 10/03/2025: both days are named.
        ("2025-03-01", "before the member joined the programme (10 Mar 2025)"),
    ],
)
def test_bad_opening_dates_are_refused_and_nothing_is_written(
    app, client, plan_world, opened_on, message
):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = count(app, CasePlan)
    response = client.post(f"/members/{ids['lan']}/plans/new", data=open_form(opened_on=opened_on))
    assert response.status_code == 200
    assert message in response.text
    assert count(app, CasePlan) == before


def test_the_date_before_joining_names_both_dates_in_vietnamese(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"], locale="vi")
    response = client.post(
        f"/members/{ids['lan']}/plans/new", data=open_form(opened_on="2025-03-01")
    )
    assert "01/03/2025" in response.text and "10/03/2025" in response.text
    assert "sớm hơn ngày thành viên tham gia chương trình" in response.text


@pytest.mark.parametrize("description", ["", "   ", "x" * 301])
def test_an_empty_or_too_long_goal_is_refused(app, client, plan_world, description):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = count(app, PlanGoal)
    response = client.post(
        f"/plans/{ids['plan']}/goals/new", data={"dimension": "social", "description": description}
    )
    assert response.status_code == 200
    assert "Write the goal." in response.text or "at most 300" in response.text
    assert count(app, PlanGoal) == before


def test_a_task_for_someone_outside_the_members_scope_is_refused(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    before = count(app, PlanAction)
    response = client.post(
        f"/goals/{ids['plan_goal']}/actions/new",
        data={
            "kind": "task",
            "description": "Gọi điện",
            "due_on": (DAY + timedelta(days=3)).isoformat(),
            "responsible_id": str(users["other_facilitator"].id),
        },
    )
    assert response.status_code == 200
    assert "Choose who is responsible from the list." in response.text
    assert count(app, PlanAction) == before


def test_a_past_due_date_is_refused(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    response = client.post(
        f"/goals/{ids['plan_goal']}/actions/new",
        data={
            "kind": "task",
            "description": "Gọi điện",
            "due_on": (DAY - timedelta(days=1)).isoformat(),
            "responsible_id": str(users["facilitator"].id),
        },
    )
    assert response.status_code == 200
    assert "is in the past" in response.text


def test_a_visit_moved_to_another_day_moves_on_the_due_list(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    later = DAY + timedelta(days=9)
    response = client.post(
        f"/plan-actions/{ids['plan_visit']}/edit",
        data={
            "description": "Thăm nhà, gặp cả chồng",
            "due_on": later.isoformat(),
            "responsible_id": str(users["coordinator"].id),
        },
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        visit = db.session.get(PlanAction, ids["plan_visit"])
        assert visit.follow_up.due_on == later
        assert visit.responsible_id == users["coordinator"].id
        detail = db.session.scalar(
            select(AuditEvent.detail).where(
                AuditEvent.object_type == "plan_actions", AuditEvent.action == "update"
            )
        )
        assert detail == "changed=description,due_on,responsible"


# Reviews and closing ---------------------------------------------------------------------


def test_a_review_records_progress_per_goal_and_moves_the_next_review(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    with app.app_context():
        due = db.session.get(CasePlan, ids["plan"]).next_review_on
    response = client.post(
        f"/plans/{ids['plan']}/reviews/new",
        data={
            "reviewed_on": DAY.isoformat(),
            "next_review_on": (DAY + timedelta(days=90)).isoformat(),
            f"goal{ids['plan_goal']}": "met",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.get(CasePlan, ids["plan"])
        review = db.session.scalar(select(PlanReview))
        assert plan.next_review_on == DAY + timedelta(days=90)
        assert review.due_on == due and review.on_time
        assert [p.progress.value for p in review.progress] == ["met"]
        assert db.session.get(PlanGoal, ids["plan_goal"]).status == GoalStatus.MET


def test_a_review_needs_every_open_goal_and_a_later_next_review(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    response = client.post(
        f"/plans/{ids['plan']}/reviews/new",
        data={
            "reviewed_on": DAY.isoformat(),
            "next_review_on": (DAY + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert count(app, PlanReview) == 0


def test_closing_drops_open_tasks_and_cancels_planned_visits(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    assert client.get(f"/plans/{ids['plan']}/close").status_code == 403
    login(client, users["coordinator"])
    response = client.post(
        f"/plans/{ids['plan']}/close", data={"reason": "goals_met", "closed_on": DAY.isoformat()}
    )
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.get(CasePlan, ids["plan"])
        assert plan.status == PlanStatus.CLOSED
        assert db.session.get(PlanAction, ids["plan_action"]).status == ActionStatus.DROPPED
        visit = db.session.get(PlanAction, ids["plan_visit"])
        assert visit.follow_up.status == FollowUpStatus.CANCELLED
    again = client.post(
        f"/plans/{ids['plan']}/close", data={"reason": "goals_met", "closed_on": DAY.isoformat()}
    )
    assert again.status_code == 302 and "already closed" in client.get(again.location).text


# Due lists and reminders -----------------------------------------------------------------


def test_the_due_list_shows_the_facilitators_task_and_a_review_due(app, client, plan_world):
    users, ids = plan_world
    with app.app_context():
        plan = db.session.get(CasePlan, ids["plan"])
        plan.next_review_on = DAY - timedelta(days=1)
        db.session.commit()
    login(client, users["facilitator"])
    page = client.get("/due").text
    assert "Làm lại căn cước" in page
    assert f"/plans/{ids['plan']}/reviews/new" in page
    assert f"/plan-actions/{ids['plan_action']}/update" in page
    login(client, users["coordinator"])
    page = client.get("/due").text
    assert f"/plans/{ids['plan']}/reviews/new" in page  # overdue in their province
    assert "Làm lại căn cước" not in page  # not theirs, not overdue
    login(client, users["other_coordinator"])
    assert f"/plans/{ids['plan']}" not in client.get("/due").text


def test_the_reminder_job_tells_the_person_responsible_once_in_neutral_words(app, plan_world):
    users, ids = plan_world
    with app.app_context():
        result = send_reminders(today=DAY)
        assert result["tasks"] == 1  # due in 2 days: "coming up"
        assert send_reminders(today=DAY) == {"skipped": 1}
        notes = db.session.scalars(
            select(Notification).where(Notification.kind.like("task_%"))
        ).all()
        assert [(n.user_id, n.kind) for n in notes] == [(users["facilitator"].id, "task_due_soon")]
        subject, body, _link = render(notes)[notes[0].id]
        assert ids["code"] in subject
        assert "căn cước" not in subject + body


def test_a_member_who_moves_takes_the_plan_and_its_reminders_along(app, client, plan_world):
    from groups.models import Group, Member
    from groups.services import members as member_services

    users, ids = plan_world
    with app.app_context():
        from accounts.models import User

        admin = db.session.get(User, users["admin"].id)
        member_services.move_member(
            admin,
            db.session.get(Member, ids["member"]),
            db.session.get(Group, ids["other_group"]),
            on=DAY,
        )
        plan = db.session.get(CasePlan, ids["plan"])
        plan.next_review_on = DAY
        db.session.commit()
        result = send_reminders(today=DAY)
        told = set(db.session.execute(select(Notification.user_id, Notification.kind)).all())
    # The task stays the old facilitator's on paper, but they no longer see the member.
    assert result["tasks"] == 0
    assert (users["other_facilitator"].id, "review_due_today") in told
    assert all(u != users["facilitator"].id for u, _k in told)
    login(client, users["facilitator"])
    assert client.get(f"/plans/{ids['plan']}").status_code == 403
    assert "Làm lại căn cước" not in client.get("/due").text
    login(client, users["other_facilitator"])
    assert client.get(f"/plans/{ids['plan']}").status_code == 200


def test_overdue_reviews_are_reminded_and_escalated_like_overdue_visits(app, plan_world):
    users, ids = plan_world
    with app.app_context():
        plan = db.session.get(CasePlan, ids["plan"])
        plan.next_review_on = DAY - timedelta(days=20)
        db.session.commit()
        result = send_reminders(today=DAY)
        assert result["reviews"] == 1 and result["escalated"] == 1
        kinds = set(db.session.execute(select(Notification.user_id, Notification.kind)).all())
        assert (users["facilitator"].id, "review_overdue") in kinds
        assert (users["coordinator"].id, "review_escalated") in kinds
        assert all(u != users["other_coordinator"].id for u, _k in kinds)


def test_the_sweep_reminds_the_visit_of_a_plan(app, plan_world):
    users, ids = plan_world
    with app.app_context():
        visit = db.session.get(PlanAction, ids["plan_visit"])
        daily_sweep(today=visit.due_on)
        reminded = db.session.scalars(
            select(Notification.object_id).where(
                Notification.user_id == users["facilitator"].id,
                Notification.kind == "due_today",
            )
        ).all()
        assert visit.follow_up_id in reminded


def test_recording_the_plan_visit_makes_the_action_done(app, client, plan_world):
    users, ids = plan_world
    with app.app_context():
        visit = db.session.get(PlanAction, ids["plan_visit"])
        follow_up_id = visit.follow_up_id
    login(client, users["facilitator"])
    response = client.post(
        f"/follow-ups/{follow_up_id}/visit",
        data={"visited_on": DAY.isoformat(), "business_status": ""},
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        assert db.session.get(PlanAction, ids["plan_visit"]).current_status == ActionStatus.DONE


# Who sees what ---------------------------------------------------------------------------


def test_protection_notes_are_for_coordinators_and_never_in_the_audit(app, client, plan_world):
    users, ids = plan_world
    login(client, users["coordinator"])
    response = client.post(f"/members/{ids['lan']}/plans/new", data=open_form(notes=SECRET))
    assert response.status_code == 302
    plan_url = response.location.replace("/goals/new", "")
    assert SECRET in client.get(plan_url).text
    login(client, users["facilitator"])
    page = client.get(plan_url).text
    assert SECRET not in page and "Protection notes and screening results" in page
    with app.app_context():
        details = db.session.scalars(select(AuditEvent.detail)).all()
        goals = db.session.scalars(select(PlanGoal.description)).all()
    for detail in filter(None, details):
        assert SECRET not in detail
        assert all(goal not in detail for goal in goals)


def test_a_member_page_says_only_that_a_plan_is_in_progress(app, client, plan_world):
    users, ids = plan_world
    login(client, users["facilitator"])
    page = client.get(f"/members/{ids['member']}").text
    assert "next review" in page
    assert "nuôi lợn" not in page


def test_figures_count_plans_reviews_on_time_and_goals_met(app, plan_world):
    users, ids = plan_world
    with app.app_context():
        from accounts.models import User

        coordinator = db.session.get(User, users["coordinator"].id)
        plan = db.session.get(CasePlan, ids["plan"])
        reviews.record_review(
            coordinator,
            plan,
            reviewed_on=DAY,
            next_review_on=DAY + timedelta(days=30),
            progress={ids["plan_goal"]: Progress.MET},
            notes=None,
            today=DAY,
        )
        db.session.commit()
        figures = queries.figures(coordinator, start=DAY - timedelta(days=89), end=DAY, today=DAY)
        assert figures["members_with_plan"] == 1
        assert (figures["reviews"], figures["reviews_on_time"], figures["goals_met"]) == (1, 1, 1)
        other = db.session.get(User, users["other_coordinator"].id)
        assert queries.figures(other, start=DAY, end=DAY, today=DAY)["members_with_plan"] == 0


def test_anonymising_the_member_clears_the_words_of_their_plan(app, plan_world):
    from groups.models import Member
    from groups.services import anonymise as member_services

    users, ids = plan_world
    with app.app_context():
        from accounts.models import User

        admin = db.session.get(User, users["admin"].id)
        member_services.anonymise_member(
            admin, db.session.get(Member, ids["member"]), on=DAY, reason="Yêu cầu của thành viên"
        )
        db.session.commit()
        assert db.session.get(PlanGoal, ids["plan_goal"]).description == "—"
        assert db.session.get(PlanAction, ids["plan_action"]).description == "—"


def test_the_members_own_page_says_only_when_the_plan_is_next_looked_at(app, plan_world):
    from types import SimpleNamespace

    from groups.models import Member
    from livelihoods.services import members as grant_services

    users, ids = plan_world
    with app.app_context():
        from accounts.models import User

        admin = db.session.get(User, users["admin"].id)
        grant_services.set_member_pin(admin, db.session.get(Member, ids["member"]), "583920")
        db.session.commit()
        review_on = db.session.get(CasePlan, ids["plan"]).next_review_on
    client = app.test_client()
    login(client, SimpleNamespace(role=Role.MEMBER, username=ids["code"], password="583920"))
    home = client.get("/").text
    assert "Next time you look at your plan together" in home
    assert review_on.strftime("%-d %b %Y") in home
    assert "nuôi lợn" not in home and "căn cước" not in home
    assert client.get(f"/plans/{ids['plan']}").status_code == 404
    assert client.get(f"/members/{ids['member']}/plans").status_code == 404
