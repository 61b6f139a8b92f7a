"""Consent to share, referrals, their status and the letter for the provider."""

from flask import (
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

from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.drafts import is_first_view
from core.errors import DomainError
from core.parse import parse_int
from core.saving import commit, saving
from core.urls import public_url
from groups.models import Consent
from support import forms
from support.models.referrals import ReferralStatus, ServiceProvider
from support.models.screening import (
    SupportType,
)
from support.services import directory as directory_services
from support.services import provider_links
from support.services import referrals as referral_services
from support.views.common import (
    bp,
    load_referral,
    load_staff_member,
    referral_page,
)

# Consent and referrals ---------------------------------------------------------------


def _provider_choices(member) -> list[tuple[str, str]]:
    return [("", _("Choose…"))] + [
        (str(p.id), p.name_with_kind) for p in directory_services.providers_for(member)
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
            directory_services.record_sharing_consent(
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
            referral = referral_services.refer(
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
        providers=directory_services.providers_for(member),
        consented=consented,
    )
    return page, saved.status


@bp.get("/referrals/<int:referral_id>")
def show_referral(referral_id: int):
    referral = load_referral(referral_id)
    notes = referral.can_read_notes(current_user)
    audit.note_read("view", referral, detail="notes" if notes else None)
    return referral_page(referral)


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
            # Answered by the provider, or updated by someone else, since the page was
            # opened: nothing is saved, the referral as it is now is shown (issue 22).
            saved.require_unchanged(
                _l(
                    "This referral changed after you opened this page (the service "
                    "provider may have answered). Nothing was saved: check it as it is "
                    "now, then send again."
                )
            )
            referral_services.change_status(
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
        link = provider_links.ensure_link(
            referral,
            today=today(),
            days=current_app.config["PROVIDER_LINK_DAYS"],
            secret=current_app.config["SECRET_KEY"],
        )
        commit("the letter's link is kept before it is printed")
        url = public_url(
            "providers.link",
            token=provider_links.link_token(link, current_app.config["SECRET_KEY"]),
        )
        answer = {
            "url": url,
            "qr": provider_links.qr_svg(url),
            "code": provider_links.link_code(link, current_app.config["SECRET_KEY"]),
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
