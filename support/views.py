"""Screening entry, referrals, letters and the provider directory.

Every view: load (404) -> authorize (the model's method; members always 404) -> form ->
service -> commit once (core.saving) -> redirect. Pages that show answers or notes write
a "view" audit event whose detail says so: "answers", "notes", "letter" (core.audit).
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core import audit
from core.auth import load, require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.errors import Conflict, DomainError
from core.parse import parse_int
from core.places import list_provinces
from core.saving import commit, saving
from core.urls import paginate
from groups.models import Consent, Group, Member
from groups.services.groups import visible_groups
from groups.views.common import provinces_for
from support import forms, providers, scoring, services
from support import jobs as _jobs  # noqa: F401 - registers the notification texts
from support.models import (
    NEXT_STATUS,
    Dimension,
    QuestionnaireVersion,
    Referral,
    ReferralStatus,
    Screening,
    ScreeningStatus,
    ServiceProvider,
    SupportType,
)
from support.provider_models import DeclineReason

bp = Blueprint("support", __name__)


def _refuse_members() -> None:
    if current_user.role == Role.MEMBER:
        abort(404)


# The pages note their reads themselves, with what they show (answers, notes, letter).
def load_screening(screening_id: int) -> Screening:
    """A screening whose existence the user may see; members get 404."""
    return load(Screening, screening_id, note=False)


def load_referral(referral_id: int) -> Referral:
    return load(Referral, referral_id, note=False)


def load_staff_member(member_id: int) -> Member:
    return load(
        Member,
        member_id,
        allowed=lambda m: m.can_view(current_user) and current_user.role in Role.STAFF,
    )


@bp.get("/members/<int:member_id>/support")
def member_support(member_id: int):
    """That screenings and referrals exist, with type, status and dates. No scores or
    notes here: those are on pages that audit reading them."""
    member = load_staff_member(member_id)
    return render_template(
        "support/member.html",
        member=member,
        screenings=services.list_screenings(member),
        referrals=services.list_referrals(member),
        today=today(),
    )


# Screening ---------------------------------------------------------------------------


@bp.route("/members/<int:member_id>/screenings/new", methods=["GET", "POST"])
def start_screening(member_id: int):
    member = load_staff_member(member_id)
    require(member.can_edit(current_user))
    draft = services.open_screening(member)
    version = services.current_version()
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
            screening = services.start_screening(
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
            services.save_section(current_user, screening, section, chosen)
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
    missing = services.unanswered_section(screening)
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            services.complete_screening(current_user, screening)
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
    previous = services.previous_screening(screening)
    answers = {a.question_id: a.option for a in screening.answers}
    return render_template(
        "support/screening.html",
        screening=screening,
        previous=previous,
        change=scoring.change(previous, screening) if previous else None,
        answers=answers,
        dimensions=list(Dimension),
    )


# Consent and referrals ---------------------------------------------------------------


def _provider_choices(member) -> list[tuple[str, str]]:
    return [("", _("Choose…"))] + [
        (str(p.id), p.name_with_kind) for p in services.providers_for(member)
    ]


def _chosen_provider(form) -> ServiceProvider | None:
    provider_id = parse_int(form.provider_id.data or "")
    return db.session.get(ServiceProvider, provider_id) if provider_id else None


@bp.route("/members/<int:member_id>/sharing-consent", methods=["GET", "POST"])
def record_sharing_consent(member_id: int):
    member = load_staff_member(member_id)
    require(member.can_edit(current_user))
    form = forms.SharingConsentForm()
    form.provider_id.choices = _provider_choices(member)
    if is_first_view():
        form.given_on.data = today()
        form.provider_id.data = request.args.get("provider", "")
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            if (provider := _chosen_provider(form)) is None:
                raise DomainError(_("Choose a provider from the list."), "provider_id")
            services.record_sharing_consent(
                current_user, member, provider, given_on=form.given_on.data, today=today()
            )
        if saved.ok:
            flash(_("The consent was recorded."), "success")
            return redirect(
                url_for("support.create_referral", member_id=member.id, provider=provider.id)
            )
    page = render_template("support/consent.html", form=form, member=member)
    return page, saved.status


@bp.route("/members/<int:member_id>/referrals/new", methods=["GET", "POST"])
def create_referral(member_id: int):
    member = load_staff_member(member_id)
    require(member.can_edit(current_user))
    form = forms.ReferralForm()
    form.provider_id.choices = _provider_choices(member)
    if is_first_view():
        form.provider_id.data = request.args.get("provider", "")
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            referral = services.refer(
                current_user,
                member,
                provider=_chosen_provider(form),
                service=SupportType(form.service.data),
                reason=form.reason.data,
                expected_on=form.expected_on.data,
                today=today(),
            )
        if saved.ok:
            flash(_("The referral was made. Print the letter for the provider."), "success")
            return redirect(url_for("support.show_referral", referral_id=referral.id))
    consented = {c.provider_id for c in member.consents if c.active and c.provider_id is not None}
    page = render_template(
        "support/referral_form.html",
        form=form,
        member=member,
        providers=services.providers_for(member),
        consented=consented,
    )
    return page, saved.status


@bp.get("/referrals/<int:referral_id>")
def show_referral(referral_id: int):
    referral = load_referral(referral_id)
    notes = referral.can_read_notes(current_user)
    audit.note_read("view", referral, detail="notes" if notes else None)
    return render_template(
        "support/referral.html",
        referral=referral,
        notes=notes,
        today=today(),
        status_form=forms.StatusForm(on=today(), version=referral.version)
        if referral.can_update(current_user)
        else None,
        decline_reason=DeclineReason(referral.decline_reason).label
        if referral.decline_reason
        else None,
        next_statuses=[s.value for s in NEXT_STATUS.get(referral.status, ())],
    )


@bp.route("/referrals/<int:referral_id>/status", methods=["GET", "POST"])
def change_status(referral_id: int):
    referral = load_referral(referral_id)
    if not referral.is_open:
        flash(_("This referral is closed; its outcome is recorded."), "info")
        return redirect(url_for("support.show_referral", referral_id=referral.id))
    require(referral.can_update(current_user))
    form = forms.StatusForm()
    if is_first_view():
        form.on.data = today()
        form.version.data = referral.version
    saved = saving(form, record=referral)
    if form.validate_on_submit():
        with saved:
            if (form.version.data or "") not in ("", str(referral.version)):
                # Answered by the provider, or updated by someone else, since the page was
                # opened: nothing is saved, the referral as it is now is shown (issue 22).
                raise Conflict(
                    _l(
                        "This referral changed after you opened this page (the service "
                        "provider may have answered). Nothing was saved: check it as it is "
                        "now, then send again."
                    )
                )
            services.change_status(
                current_user,
                referral,
                to=ReferralStatus(form.to_status.data),
                on=form.on.data,
                note=form.note.data,
                today=today(),
            )
        if saved.ok:
            flash(_("The referral was updated."), "success")
            return redirect(url_for("support.show_referral", referral_id=referral.id))
    page = render_template("support/status.html", form=form, referral=referral)
    return page, saved.status


@bp.get("/referrals/<int:referral_id>/letter")
def referral_letter(referral_id: int):
    """The letter for the provider: only what the service needs and the member agreed to."""
    referral = load_referral(referral_id)
    if referral.status == ReferralStatus.CONSENT_WITHDRAWN:
        abort(
            403,
            description=_(
                "The member withdrew their consent to share their details with this provider: "
                "the letter can no longer be printed."
            ),
        )
    require(referral.can_print_letter(current_user))
    audit.note_read("view", referral, detail="letter")
    member = referral.member
    answer = None
    if referral.is_open:
        # The provider answers through this link and the code beside it (issue 26).
        link = providers.ensure_link(
            referral,
            today=today(),
            days=current_app.config["PROVIDER_LINK_DAYS"],
            secret=current_app.config["SECRET_KEY"],
        )
        commit("the letter's link is kept before it is printed")
        url = url_for(
            "providers.link",
            token=providers.link_token(link, current_app.config["SECRET_KEY"]),
            _external=True,
        )
        answer = {
            "url": url,
            "qr": providers.qr_svg(url),
            "code": providers.link_code(link, current_app.config["SECRET_KEY"]),
            "expires_on": link.expires_on,
        }
    return render_template(
        "support/letter.html",
        answer=answer,
        referral=referral,
        member=member,
        phone=member.phone_to_show(current_user),
        consent=db.session.get(Consent, referral.consent_id),
        referrer=referral.referred_by,
    )


# Provider directory ------------------------------------------------------------------


@bp.get("/providers")
def list_providers():
    """The directory, a page at a time: the user's own provinces unless they choose one
    or "all" (a coordinator's, or those of a facilitator's groups; an admin's default is
    every province). Nothing is cut: the whole country's directory pages like any list."""
    _refuse_members()
    require(current_user.role in Role.STAFF)
    choice = request.args.get("province", "")
    mine = _home_provinces(current_user)
    province = parse_int(choice)
    stmt = select(ServiceProvider).order_by(
        ServiceProvider.province_code,
        ServiceProvider.kind,
        ServiceProvider.name,
        ServiceProvider.id,
    )
    if province:
        stmt = stmt.where(ServiceProvider.province_code == province)
    elif choice != "all" and mine is not None:
        stmt = stmt.where(ServiceProvider.province_code.in_(mine or [-1]))
    return render_template(
        "support/providers.html",
        page=paginate(stmt),
        provinces=list_provinces(),
        province=province,
        everywhere=choice == "all" or mine is None,
        has_home=mine is not None,
        can_add=current_user.role in Role.MANAGERS,
    )


def _home_provinces(user) -> set[int] | None:
    """The provinces a user works in: a coordinator's, those of a facilitator's groups;
    None for an admin (the whole country)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COORDINATOR:
        return user.province_codes
    return set(
        db.session.scalars(visible_groups(user).with_only_columns(Group.province_code).distinct())
    )


def _provider_form(provider: ServiceProvider | None):
    form = forms.ProviderForm(obj=provider)
    form.province_code.choices = [(str(p.code), p.short_name) for p in provinces_for(current_user)]
    if is_first_view() and provider is not None:
        form.kind.data = provider.kind.value
        form.province_code.data = str(provider.province_code)
    saved = saving(form, record=provider)
    if form.validate_on_submit():
        with saved:
            provider = services.save_provider(
                current_user,
                provider,
                name=form.name.data,
                kind=form.kind.data,
                province_code=parse_int(form.province_code.data or "") or -1,
                address=form.address.data,
                phone=form.phone.data,
                email=form.email.data,
                contact_person=form.contact_person.data,
                opening_days=form.opening_days.data,
                active=form.active.data,
            )
        if saved.ok:
            flash(_("The provider was saved."), "success")
            return redirect(url_for("support.list_providers", province=provider.province_code))
    page = render_template("support/provider_form.html", form=form, provider=provider)
    return page, saved.status


@bp.route("/providers/new", methods=["GET", "POST"])
def create_provider():
    _refuse_members()
    require(current_user.role in Role.MANAGERS)
    return _provider_form(None)


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
def edit_provider(provider_id: int):
    provider = db.get_or_404(ServiceProvider, provider_id)
    _refuse_members()
    require(provider.can_edit(current_user))
    return _provider_form(provider)
