"""The member's support page and screening entry."""

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.parse import parse_int
from core.saving import saving
from support import forms, scoring
from support.models.screening import (
    Dimension,
    QuestionnaireVersion,
    Screening,
    ScreeningStatus,
)
from support.services import referrals as referral_services
from support.services import screenings as screening_services
from support.views.common import bp, load_screening, load_staff_member


@bp.get("/members/<int:member_id>/support")
def member_support(member_id: int):
    """That screenings and referrals exist, with type, status and dates. No scores or
    notes here: those are on pages that audit reading them."""
    member = load_staff_member(member_id)
    return render_template(
        "support/member.html",
        member=member,
        screenings=screening_services.list_screenings(member),
        referrals=referral_services.list_referrals(member),
        today=today(),
    )


# Screening ---------------------------------------------------------------------------


@bp.route("/members/<int:member_id>/screenings/new", methods=["GET", "POST"])
def start_screening(member_id: int):
    member = load_staff_member(member_id)
    require(member.can_edit(current_user))
    draft = screening_services.open_screening(member)
    version = screening_services.current_version()
    form = forms.StartScreeningForm()
    if is_first_view():
        form.screened_on.data = today()
        form.version_id.data = str(version.number) if version else ""
    saved = saving(form)
    if form.validate_on_submit():
        number = form.version_number
        chosen = db.session.scalar(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.number == (-1 if number is None else number)
            )
        )
        with saved:
            screening = screening_services.start_screening(
                current_user,
                member,
                version=chosen,
                screened_on=form.screened_on.data,
                today=today(),
            )
        if saved.ok:
            return redirect(url_for("support.screening_page", screening_id=screening.id, page=1))
        # Sending the page again starts under the version in use now.
        form.version_id.data = str(version.number) if version else ""
    page = render_template(
        "support/start.html", form=form, member=member, version=version, draft=draft
    )
    return page, saved.status


def _section(screening: Screening, page: int):
    sections = screening.questionnaire.sections
    if not 1 <= page <= len(sections):
        abort(404)
    return sections[page - 1], len(sections)


@bp.route("/screenings/<int:screening_id>/pages/<int:page>", methods=["GET", "POST"])
def screening_page(screening_id: int, page: int):
    """One section per page; what is saved stays as a draft until the last page."""
    screening = load_screening(screening_id)
    if screening.status != ScreeningStatus.DRAFT:
        flash(_("This screening is already complete."), "info")
        return redirect(url_for("support.member_support", member_id=screening.member_id))
    require(screening.can_continue(current_user))
    audit.note_read("view", screening, detail="answers")
    section, pages = _section(screening, page)
    form = forms.section_form(section)
    if is_first_view():
        kept = {a.question_id: a.option_id for a in screening.answers}
        for question in section.questions:
            if question.id in kept:
                getattr(form, f"q{question.id}").data = str(kept[question.id])
    if request.method == "POST" and form.back.data and page > 1:
        return redirect(url_for("support.screening_page", screening_id=screening.id, page=page - 1))
    saved = saving(form)
    if form.validate_on_submit():
        chosen = {q.id: parse_int(getattr(form, f"q{q.id}").data or "") for q in section.questions}
        with saved:
            screening_services.save_section(current_user, screening, section, chosen)
        if saved.ok:
            if page < pages:
                target = url_for("support.screening_page", screening_id=screening.id, page=page + 1)
            else:
                target = url_for("support.finish_screening", screening_id=screening.id)
            return redirect(target)
    result = render_template(
        "support/page.html", form=form, screening=screening, section=section, page=page, pages=pages
    )
    return result, saved.status


@bp.route("/screenings/<int:screening_id>/finish", methods=["GET", "POST"])
def finish_screening(screening_id: int):
    screening = load_screening(screening_id)
    form = forms.CompleteScreeningForm()
    if screening.status != ScreeningStatus.DRAFT:
        # A second tap on "Finish": nothing is written twice, and it says so.
        flash(_("This screening is already complete. Nothing was saved twice."), "info")
        return redirect(url_for("support.member_support", member_id=screening.member_id))
    require(screening.can_continue(current_user))
    missing = screening_services.unanswered_section(screening)
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            screening_services.complete_screening(current_user, screening)
        if saved.ok:
            flash(_("The screening was saved."), "success")
            if screening.can_read_answers(current_user):
                return redirect(url_for("support.show_screening", screening_id=screening.id))
            return redirect(url_for("support.member_support", member_id=screening.member_id))
    page = render_template("support/finish.html", form=form, screening=screening, missing=missing)
    return page, saved.status


@bp.get("/screenings/<int:screening_id>")
def show_screening(screening_id: int):
    """Answers, scores and the change since the previous screening: managers only."""
    screening = load_screening(screening_id)
    require(screening.can_read_answers(current_user))
    audit.note_read("view", screening, detail="answers")
    previous = screening_services.previous_screening(screening)
    answers = {a.question_id: a.option for a in screening.answers}
    return render_template(
        "support/screening.html",
        screening=screening,
        previous=previous,
        change=scoring.change(previous, screening) if previous else None,
        answers=answers,
        dimensions=list(Dimension),
    )
