"""Grant pages: the list, an application from draft to decision, payments, closing;
a member's PIN for the member portal."""


from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.keyset import keyset_page
from core.saving import saving
from groups.views.common import load_member
from livelihoods import forms
from livelihoods.member_lists import grants_of, visits_of
from livelihoods.models import (
    Activity,
    Grant,
    GrantStatus,
    Method,
    Outcome,
    Tranche,
)
from livelihoods.services import follow_ups, grants, members, tranches
from livelihoods.views.common import CHANGED_SINCE_OPENED, bp, load_grant


@bp.get("/grants")
def list_grants():
    require(current_user.role in Role.STAFF)
    status = request.args.get("status", "")
    status = GrantStatus(status) if status in GrantStatus._value2member_map_ else None
    stmt = grants.visible_grants(current_user).options(*follow_ups.member_card(Grant.member))
    if status:
        stmt = stmt.where(Grant.status == status)
    # Newest first, by the index ix_grants_created_at_id; any page costs what the first does.
    page = keyset_page(stmt, (Grant.created_at, Grant.id), descending=True)
    if page.items:  # names are shown beside the codes
        audit.note_read("list", object_type="grants", detail=f"from={page.items[0].id}")
    return render_template(
        "livelihoods/list.html", page=page, status=status, statuses=list(GrantStatus)
    )


@bp.route("/members/<int:member_id>/grants/new", methods=["GET", "POST"])
def draft_grant(member_id: int):
    member = load_member(member_id)
    require(current_user.role in Role.STAFF and member.can_edit(current_user))
    form = forms.GrantForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            grant = grants.draft_grant(
                current_user,
                member,
                activity=Activity(form.activity.data),
                plan=form.plan.data,
                amount_requested=form.amount_requested.data,
                planned_income=form.planned_income.data,
            )
        if saved.ok:
            flash(_("The draft was saved. Submit it when the plan is ready."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    page = render_template("livelihoods/grant_form.html", form=form, member=member, grant=None)
    return page, saved.status


@bp.get("/grants/<int:grant_id>")
def show_grant(grant_id: int):
    grant = load_grant(grant_id)
    return render_template(
        "livelihoods/grant.html",
        grant=grant,
        today=today(),
        visits=db.session.scalars(follow_ups.list_visits(grant_id=grant.id, limit=50)).all(),
    )


@bp.route("/grants/<int:grant_id>/edit", methods=["GET", "POST"])
def edit_grant(grant_id: int):
    grant = load_grant(grant_id)
    require(grant.can_edit(current_user))
    form = forms.GrantForm(obj=grant)
    if is_first_view():
        form.activity.data = grant.activity.value
    saved = saving(form, record=grant)
    if form.validate_on_submit():
        with saved:
            saved.require_unchanged(CHANGED_SINCE_OPENED)
            grants.update_draft(
                current_user,
                grant,
                activity=Activity(form.activity.data),
                plan=form.plan.data,
                amount_requested=form.amount_requested.data,
                planned_income=form.planned_income.data,
            )
        if saved.ok:
            flash(_("The application was saved."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    page = render_template(
        "livelihoods/grant_form.html", form=form, member=grant.member, grant=grant
    )
    return page, saved.status


def _step(grant: Grant, action, success: str):
    """Run a one-button step (submit) and come back to the grant with a message."""
    with saving() as saved:
        action()
    if saved.ok:
        flash(success, "success")
    return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))


@bp.route("/grants/<int:grant_id>/submit", methods=["GET", "POST"])
def submit_grant(grant_id: int):
    """Confirm, then send the application for a decision."""
    grant = load_grant(grant_id)
    # Whoever may prepare it; a grant past the draft stage gets a message, not a 403.
    require(grant.can_follow_up(current_user))
    form = forms.SubmitGrantForm()
    if form.validate_on_submit():
        return _step(
            grant,
            lambda: grants.submit_grant(current_user, grant),
            _("The application was sent to the coordinator for a decision."),
        )
    return render_template("livelihoods/submit.html", form=form, grant=grant)


@bp.route("/grants/<int:grant_id>/decide", methods=["GET", "POST"])
def decide_grant(grant_id: int):
    grant = load_grant(grant_id)
    require(grant.can_decide(current_user))
    form = forms.DecisionForm()
    if is_first_view():
        form.amount.data = grant.amount_requested
        form.version.data = grant.version
    saved = saving(form, record=grant)
    if form.validate_on_submit():
        with saved:
            saved.require_unchanged(CHANGED_SINCE_OPENED)
            on = form.on.data
            if form.decision.data == "approve":
                grants.approve_grant(
                    current_user, grant, amount=form.amount.data, note=form.note.data, on=on
                )
            elif form.decision.data == "reject":
                grants.reject_grant(current_user, grant, reason=form.note.data, on=on)
            else:
                grants.return_grant(current_user, grant, note=form.note.data, on=on)
        if saved.ok:
            flash(_("The decision was recorded."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    return render_template("livelihoods/decide.html", form=form, grant=grant), saved.status


def tranche_values(form) -> dict:
    return dict(
        paid_on=form.paid_on.data,
        amount=form.amount.data,
        method=Method(form.method.data),
        purchased=form.purchased.data,
        today=today(),
    )


@bp.route("/grants/<int:grant_id>/tranches/new", methods=["GET", "POST"])
def record_tranche(grant_id: int):
    grant = load_grant(grant_id)
    require(grant.can_disburse(current_user))
    form = forms.TrancheForm()
    if is_first_view():
        form.paid_on.data, form.amount.data = today(), grant.remaining or None
    saved = saving(form, record=grant)
    if form.validate_on_submit():
        with saved:
            tranches.record_tranche(
                current_user,
                grant,
                **tranche_values(form),
                check_months=current_app.config["FOLLOW_UP_MONTHS"],
            )
        if saved.ok:
            flash(_("The disbursement was recorded."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    page = render_template("livelihoods/tranche_form.html", form=form, grant=grant, tranche=None)
    return page, saved.status


@bp.route("/tranches/<int:tranche_id>/edit", methods=["GET", "POST"])
def edit_tranche(tranche_id: int):
    tranche = db.get_or_404(Tranche, tranche_id)
    grant = load_grant(tranche.grant_id)  # notes the grant as read
    require(grant.can_disburse(current_user))
    form = forms.TrancheForm(obj=tranche)
    if is_first_view():
        form.method.data = tranche.method.value
    saved = saving(form, record=grant)
    if form.validate_on_submit():
        with saved:
            tranches.correct_tranche(current_user, tranche, **tranche_values(form))
        if saved.ok:
            flash(_("The disbursement was corrected; open visits moved with it."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    page = render_template("livelihoods/tranche_form.html", form=form, grant=grant, tranche=tranche)
    return page, saved.status


@bp.route("/grants/<int:grant_id>/close", methods=["GET", "POST"])
def close_grant(grant_id: int):
    grant = load_grant(grant_id)
    require(grant.can_disburse(current_user))
    form = forms.CloseForm()
    saved = saving(form, record=grant)
    if form.validate_on_submit():
        with saved:
            grants.close_grant(
                current_user,
                grant,
                outcome=Outcome(form.outcome.data),
                note=form.note.data,
                on=form.on.data,
            )
        if saved.ok:
            flash(_("The grant was closed."), "success")
            return redirect(url_for("livelihoods.show_grant", grant_id=grant.id))
    return render_template("livelihoods/close.html", form=form, grant=grant), saved.status


@bp.route("/members/<int:member_id>/pin", methods=["GET", "POST"])
def set_pin(member_id: int):
    member = load_member(member_id)
    require(current_user.role in Role.STAFF and member.can_edit(current_user))
    form = forms.PinForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            members.set_member_pin(current_user, member, form.pin.data)
        if saved.ok:
            flash(
                _(
                    "The PIN was set. The member logs in with the code %(code)s and this PIN.",
                    code=member.code,
                ),
                "success",
            )
            return redirect(url_for("groups.show_member", member_id=member.id))
    return render_template("livelihoods/pin.html", form=form, member=member), saved.status


@bp.app_context_processor
def grant_helpers():
    """Lets the member page (groups) list a member's grants without importing this package."""
    return {"grants_of": grants_of, "visits_of": visits_of}
