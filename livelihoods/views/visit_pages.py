"""Follow-up visits: recording one, "the visit could not happen" and its undo, the due
list, and the visit forms a facilitator's phone keeps (issue 25, layer 2)."""

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts.models import Role
from core import audit, offline, submissions
from core.auth import load, require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.keyset import count_up_to, keyset_page
from core.saving import saving
from livelihoods import forms
from livelihoods.models import (
    FollowUp,
    Outcome,
)
from livelihoods.services import follow_ups
from livelihoods.views.common import bp


def load_follow_up(follow_up_id: int) -> FollowUp:
    return load(FollowUp, follow_up_id)


@bp.route("/follow-ups/<int:follow_up_id>/visit", methods=["GET", "POST"])
def record_visit(follow_up_id: int):
    follow_up = load_follow_up(follow_up_id)
    if follow_up.referral_id is not None:
        # Its outcome is recorded on the referral, which closes it.
        return redirect(url_for("support.show_referral", referral_id=follow_up.referral_id))
    form = forms.VisitForm()
    if is_first_view():
        form.visited_on.data = today()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            visit = follow_ups.record_visit(
                current_user,
                follow_up,
                visited_on=form.visited_on.data,
                business_status=Outcome(form.business_status.data)
                if form.business_status.data
                else None,
                monthly_income=form.monthly_income.data,
                notes=form.notes.data,
                today=today(),
            )
            submissions.note_created(visit)  # sent later from a phone: when it was pressed
        if saved.ok:
            flash(_("The visit was recorded."), "success")
            if follow_up.grant_id:
                return redirect(url_for("livelihoods.show_grant", grant_id=follow_up.grant_id))
            return redirect(url_for("livelihoods.due"))
    earlier = db.session.scalars(
        follow_ups.list_visits(member_id=follow_up.member_id, limit=5)
    ).all()
    page = render_template(
        "livelihoods/visit_form.html",
        form=form,
        follow_up=follow_up,
        earlier=earlier,
        today=today(),
        undo=forms.Form(),
    )
    return page, saved.status


@bp.route("/follow-ups/<int:follow_up_id>/missed", methods=["GET", "POST"])
def mark_missed(follow_up_id: int):
    """Confirm, with a reason, that a visit could not happen."""
    follow_up = load_follow_up(follow_up_id)
    form = forms.MissedForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            follow_ups.mark_missed(
                current_user, follow_up, reason=form.reason.data, today=today(), on=form.on.data
            )
        if saved.ok:
            flash(
                _("The visit was marked as missed. You can undo this today on this page."),
                "success",
            )
            return redirect(url_for("livelihoods.record_visit", follow_up_id=follow_up.id))
    return render_template("livelihoods/missed.html", form=form, follow_up=follow_up)


@bp.post("/follow-ups/<int:follow_up_id>/missed/undo")
def undo_missed(follow_up_id: int):
    follow_up = load_follow_up(follow_up_id)
    form = forms.Form()
    if form.validate_on_submit():
        with saving(form) as saved:
            follow_ups.undo_missed(current_user, follow_up, today=today())
        if saved.ok:
            flash(_("The visit is back on the list of visits to make."), "success")
        else:
            for message in form.form_errors:
                flash(message, "error")
    return redirect(url_for("livelihoods.record_visit", follow_up_id=follow_up.id))


DUE_PER_PAGE = 50  # a printed page or two
DUE_COUNT_CAP = 500


@bp.get("/due")
def due():
    """Facilitators: visits due this week and overdue (printable). Coordinators and
    admins: what is overdue in their provinces."""
    require(current_user.role in Role.STAFF)
    day = today()
    if current_user.role == Role.FACILITATOR:
        until = day + timedelta(days=6 - day.weekday())  # to Sunday
        stmt = follow_ups.list_due(current_user, until=until)
    else:
        until = day
        stmt = follow_ups.list_due(current_user, until=day, overdue_only_before=day)
    # Every visit is listed, page by page (keyset: page 80 costs what page 1 does); a
    # long list is never cut silently, and its count says "500+" past DUE_COUNT_CAP.
    total = count_up_to(stmt, DUE_COUNT_CAP)
    page = keyset_page(stmt, (FollowUp.due_on, FollowUp.id), per_page=DUE_PER_PAGE)
    if page.items:  # names are shown beside the codes
        audit.note_read("list", object_type="follow_ups", detail=f"from={page.items[0].id}")
    return render_template(
        "livelihoods/due.html",
        page=page,
        total=total,
        follow_ups=page.items,
        today=day,
        until=until,
    )


# A visit due within this many days is kept on a phone that keeps its groups' forms.
KEPT_VISITS_DAYS = 14


@offline.keeps_forms
def visit_forms(user) -> list[str]:
    """The visit forms of the user's visits due soon (issue 25, layer 2)."""
    if user.role != Role.FACILITATOR:
        return []
    stmt = follow_ups.list_due(user, until=today() + timedelta(days=KEPT_VISITS_DAYS))
    return [
        url_for("livelihoods.record_visit", follow_up_id=follow_up.id)
        for follow_up in db.session.scalars(stmt.limit(offline.MAX_FORMS))
        if follow_up.referral_id is None
    ]
