"""Case plans: a member's plans, one plan's page, goals, actions, reviews, closing, and
the list of plans in progress with their figures.

Every view: load (404) -> authorize (the model's method; members and provider accounts
never see a plan) -> form -> service -> commit once (core.saving) -> redirect. The plan's
page notes its read with detail "notes" when it shows the protection notes and scores.
"""

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role, User
from core import audit
from core.auth import load, require
from core.clock import today
from core.dates import period_args
from core.db import db
from core.drafts import is_first_view
from core.errors import DomainError
from core.forms import choices
from core.keyset import count_up_to
from core.parse import parse_int
from core.saving import saving
from core.urls import paginate
from groups.models import Member
from plans import forms, queries, reviews, services
from plans.models import (
    ActionKind,
    ActionStatus,
    CasePlan,
    CloseReason,
    PlanAction,
    PlanGoal,
    Progress,
)
from support.models.referrals import ServiceProvider
from support.models.screening import Dimension, SupportType
from support.services import directory as directory_services

bp = Blueprint("plans", __name__)


def load_staff_member(member_id: int) -> Member:
    return load(
        Member,
        member_id,
        allowed=lambda m: current_user.role in Role.STAFF and m.can_view(current_user),
    )


def load_plan(plan_id: int) -> CasePlan:
    return load(CasePlan, plan_id, note=False)


def load_goal(goal_id: int) -> PlanGoal:
    return load(PlanGoal, goal_id, allowed=lambda g: g.plan.can_view(current_user), note=False)


def load_action(action_id: int) -> PlanAction:
    return load(PlanAction, action_id, allowed=lambda a: a.plan.can_view(current_user), note=False)


def _to_plan(plan: CasePlan):
    return redirect(url_for("plans.show_plan", plan_id=plan.id))


@bp.get("/members/<int:member_id>/plans")
def member_plans(member_id: int):
    """The member's plans: the one in progress first, then closed ones."""
    member = load_staff_member(member_id)
    return render_template(
        "plans/member.html",
        member=member,
        plans=services.list_member_plans(member),
        today=today(),
    )


@bp.route("/members/<int:member_id>/plans/new", methods=["GET", "POST"])
def open_plan(member_id: int):
    member = load_staff_member(member_id)
    require(member.can_edit(current_user) and member.current_membership is not None)
    existing = services.active_plan(member)
    if existing is not None and request.method == "GET":
        flash(_("This member already has a support plan in progress."), "info")
        return _to_plan(existing)
    form = forms.OpenPlanForm()
    if is_first_view():
        form.opened_on.data = today()
        form.next_review_on.data = today() + timedelta(days=90)
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            plan = services.open_plan(
                current_user,
                member,
                opened_on=form.opened_on.data,
                next_review_on=form.next_review_on.data,
                notes=form.notes.data if current_user.role in Role.MANAGERS else None,
                today=today(),
            )
        if saved.ok:
            flash(_("The plan was opened. Add its goals."), "success")
            return redirect(url_for("plans.add_goal", plan_id=plan.id))
    page = render_template("plans/open.html", form=form, member=member)
    return page, saved.status


@bp.get("/plans/<int:plan_id>")
def show_plan(plan_id: int):
    """Goals, actions and reviews; the protection notes and the screening scores over
    time for coordinators and admins only."""
    plan = load_plan(plan_id)
    notes = plan.can_read_notes(current_user)
    audit.note_read("view", plan, detail="notes" if notes else None)
    return render_template(
        "plans/plan.html",
        plan=plan,
        notes=notes,
        screenings=queries.score_history(plan.member) if notes else [],
        dimensions=list(Dimension),
        today=today(),
        can_edit=plan.can_edit(current_user),
    )


@bp.route("/plans/<int:plan_id>/goals/new", methods=["GET", "POST"])
def add_goal(plan_id: int):
    plan = load_plan(plan_id)
    if not plan.is_active:
        flash(_("This plan is closed. Nothing was changed."), "info")
        return _to_plan(plan)
    require(plan.can_edit(current_user))
    form = forms.GoalForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            goal = services.add_goal(
                current_user,
                plan,
                dimension=Dimension(form.dimension.data),
                description=form.description.data,
                target_on=form.target_on.data,
                today=today(),
            )
        if saved.ok:
            flash(_("The goal was added. Add what will be done to reach it."), "success")
            return redirect(url_for("plans.add_action", goal_id=goal.id))
    return render_template("plans/goal_form.html", form=form, plan=plan), saved.status


def _action_form(goal: PlanGoal):
    member = goal.plan.member
    form = forms.ActionForm()
    form.responsible_id.choices = choices(
        [("", _("Choose…"))]
        + [(str(u.id), u.full_name) for u in services.responsible_choices(member)]
    )
    form.provider_id.choices = choices(
        [("", _("Choose…"))]
        + [(str(p.id), p.name_with_kind) for p in directory_services.providers_for(member)]
    )
    if is_first_view():
        form.responsible_id.data = str(current_user.id)
    return form


@bp.route("/goals/<int:goal_id>/actions/new", methods=["GET", "POST"])
def add_action(goal_id: int):
    goal = load_goal(goal_id)
    plan = goal.plan
    if not plan.is_active:
        flash(_("This plan is closed. Nothing was changed."), "info")
        return _to_plan(plan)
    require(plan.can_edit(current_user))
    form = _action_form(goal)
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            kind = ActionKind(form.kind.data)
            service = form.service.data
            if kind == ActionKind.REFERRAL and service not in {t.value for t in SupportType}:
                raise DomainError(_("Choose the service needed."), "service")
            provider_id = parse_int(form.provider_id.data or "")
            responsible_id = parse_int(form.responsible_id.data or "")
            action = services.add_action(
                current_user,
                goal,
                kind=kind,
                description=form.description.data,
                due_on=form.due_on.data,
                today=today(),
                responsible=db.session.get(User, responsible_id) if responsible_id else None,
                provider=db.session.get(ServiceProvider, provider_id) if provider_id else None,
                service=SupportType(service) if kind == ActionKind.REFERRAL else None,
            )
        if saved.ok:
            if action.kind == ActionKind.REFERRAL:
                flash(_("The referral was made. Print the letter for the provider."), "success")
                return redirect(url_for("support.show_referral", referral_id=action.referral_id))
            flash(_("The action was added to the plan."), "success")
            return _to_plan(plan)
    consent_url = url_for("support.record_sharing_consent", member_id=plan.member_id)
    page = render_template(
        "plans/action_form.html", form=form, goal=goal, plan=plan, consent_url=consent_url
    )
    return page, saved.status


@bp.route("/plan-actions/<int:action_id>/edit", methods=["GET", "POST"])
def change_action(action_id: int):
    """Change a task's or visit's words, due date or person responsible."""
    action = load_action(action_id)
    plan = action.plan
    settled = action.current_status != ActionStatus.OPEN or not plan.is_active
    if settled and action.kind != ActionKind.REFERRAL:
        flash(_("This action is already settled. Nothing was changed."), "info")
        return _to_plan(plan)
    require(action.can_update(current_user))
    form = forms.ChangeActionForm(obj=action)
    form.responsible_id.choices = choices(
        [("", _("Choose…"))]
        + [(str(u.id), u.full_name) for u in services.responsible_choices(plan.member)]
    )
    if is_first_view():
        form.responsible_id.data = str(action.responsible_id or "")
    saved = saving(form, record=action)
    if form.validate_on_submit():
        responsible_id = parse_int(form.responsible_id.data or "")
        with saved:
            services.change_action(
                current_user,
                action,
                description=form.description.data,
                due_on=form.due_on.data,
                responsible=db.session.get(User, responsible_id) if responsible_id else None,
                today=today(),
            )
        if saved.ok:
            flash(_("The action was updated."), "success")
            return _to_plan(plan)
    return render_template("plans/change.html", form=form, action=action), saved.status


@bp.route("/plan-actions/<int:action_id>/update", methods=["GET", "POST"])
def settle_action(action_id: int):
    action = load_action(action_id)
    plan = action.plan
    settled = action.current_status != ActionStatus.OPEN or not plan.is_active
    if settled and action.kind != ActionKind.REFERRAL:
        flash(_("This action is already settled. Nothing was changed."), "info")
        return _to_plan(plan)
    require(action.can_update(current_user))
    form = forms.SettleActionForm()
    if action.kind == ActionKind.VISIT:
        form.to_status.choices = [c for c in form.to_status.choices if c.value == "dropped"]
    if is_first_view():
        form.on.data = today()
    saved = saving(form, record=action)
    if form.validate_on_submit():
        with saved:
            services.settle_action(
                current_user,
                action,
                to=ActionStatus(form.to_status.data),
                on=form.on.data,
                today=today(),
            )
        if saved.ok:
            flash(_("The action was updated."), "success")
            return _to_plan(plan)
    return render_template("plans/settle.html", form=form, action=action), saved.status


@bp.route("/plans/<int:plan_id>/reviews/new", methods=["GET", "POST"])
def record_review(plan_id: int):
    plan = load_plan(plan_id)
    if not plan.is_active:
        flash(_("This plan is closed. Nothing was changed."), "info")
        return _to_plan(plan)
    require(plan.can_edit(current_user))
    goals = [g for g in plan.goals if g.is_open]
    form = forms.review_form(goals)
    if is_first_view():
        form.reviewed_on.data = today()
        form.next_review_on.data = today() + timedelta(days=90)
    saved = saving(form)
    if form.validate_on_submit():
        chosen = {}
        for goal in goals:
            value = getattr(form, f"goal{goal.id}").data
            chosen[goal.id] = Progress(value) if value in {p.value for p in Progress} else None
        with saved:
            reviews.record_review(
                current_user,
                plan,
                reviewed_on=form.reviewed_on.data,
                next_review_on=form.next_review_on.data,
                progress=chosen,
                notes=form.notes.data if plan.can_read_notes(current_user) else None,
                today=today(),
            )
        if saved.ok:
            flash(_("The review was saved."), "success")
            return _to_plan(plan)
    notes = plan.can_read_notes(current_user)
    if notes:
        audit.note_read("view", plan, detail="notes")
    page = render_template(
        "plans/review_form.html",
        form=form,
        plan=plan,
        goals=goals,
        notes=notes,
        screenings=queries.score_history(plan.member) if notes else [],
        dimensions=list(Dimension),
    )
    return page, saved.status


@bp.route("/plans/<int:plan_id>/close", methods=["GET", "POST"])
def close_plan(plan_id: int):
    plan = load_plan(plan_id)
    if not plan.is_active:
        flash(_("This plan is already closed. Nothing was saved twice."), "info")
        return _to_plan(plan)
    require(plan.can_close(current_user))
    form = forms.ClosePlanForm()
    if is_first_view():
        form.closed_on.data = today()
    saved = saving(form, record=plan)
    if form.validate_on_submit():
        with saved:
            reviews.close_plan(
                current_user,
                plan,
                closed_on=form.closed_on.data,
                reason=CloseReason(form.reason.data),
                today=today(),
            )
        if saved.ok:
            flash(_("The plan was closed."), "success")
            return _to_plan(plan)
    return render_template("plans/close.html", form=form, plan=plan), saved.status


@bp.get("/plans")
def list_plans():
    """Plans in progress among the members the user may see, reviews due first, with
    the figures: members with a plan, reviews on time, goals met (last 90 days by
    default)."""
    require(current_user.role in Role.STAFF)
    day = today()
    start, end = period_args(90, on_page=True)
    overdue_only = request.args.get("overdue") == "1"
    stmt = queries.list_plans(current_user, overdue_only=overdue_only, today=day)
    page = paginate(stmt)
    if page.items:  # names are shown beside the codes
        audit.note_read("list", object_type="case_plans", detail=f"from={page.items[0].id}")
    return render_template(
        "plans/list.html",
        page=page,
        figures=queries.figures(current_user, start=start, end=end, today=day),
        start=start,
        end=end,
        today=day,
        overdue_only=overdue_only,
    )


@bp.app_context_processor
def plan_helpers():
    """Lets the due list (livelihoods) and the member page (groups) show plan work
    without importing this package."""
    return {"plan_work": plan_work, "active_plan_of": services.active_plan}


PLAN_WORK_SHOWN = 50


def plan_work(user, *, until, today):
    """Tasks and reviews due for the due list: (tasks, reviews, more)."""
    tasks = queries.due_tasks(user, until=until, today=today)
    due = queries.due_reviews(user, until=until, today=today)
    more = count_up_to(tasks, PLAN_WORK_SHOWN).more or count_up_to(due, PLAN_WORK_SHOWN).more
    return (
        db.session.scalars(tasks.limit(PLAN_WORK_SHOWN)).all(),
        db.session.scalars(due.limit(PLAN_WORK_SHOWN)).all(),
        more,
    )
