"""The provider's pages (issue 26): the letter's link and the referrals of a provider
account. Shared helpers and the blueprint: support/views/provider_common.py."""

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from accounts import throttle
from core import audit, submissions
from core.auth import public
from core.clock import today
from core.db import db
from core.saving import commit, saving
from support import provider_forms as forms
from support.models.referrals import ServiceProvider
from support.services import provider_accounts, provider_answers, provider_links
from support.views.provider_common import (
    bp,
    check_link,
    client_ip,
    link_opened,
    link_secret,
    load_own_referral,
    note_refusal,
    open_link,
    provider_page,
    require_provider,
)


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
def link(token: str):
    """The letter's link: the code first, then the referral and what can be recorded."""
    link, refused = check_link(token)
    if refused is not None:
        return refused
    referral = link.referral
    if link_opened(link):
        audit.record(None, "view", referral, detail=f"provider_link={link.id}", ip=client_ip())
        commit("the provider's reading of the referral is audited")
        return provider_page(
            referral,
            lambda a: url_for("providers.link_answer", token=token, action=a),
            via="link",
            message_url=url_for("providers.link_message", token=token),
        )
    form = forms.LinkCodeForm()
    if form.validate_on_submit():
        if not provider_links.code_matches(link, form.code.data, link_secret()):
            note_refusal(link, provider_links.Refusal.WRONG_CODE)
            form.code.errors.append(
                _("That code is not the one on the letter. Check it and try again.")
            )
            return render_template("support/link_code.html", form=form, referral=referral), 200
        throttle.clear(f"link:{link.id}", throttle.address_key(client_ip()))
        audit.record(
            None, "provider_link_opened", referral, detail=f"link={link.id}", ip=client_ip()
        )
        commit("the link opened with its code, audited")
        open_link(link)
        return redirect(url_for("providers.link", token=token))
    return render_template("support/link_code.html", form=form, referral=referral)


@bp.post("/r/<token>/<action>")
@public
def link_answer(token: str, action: str):
    if action not in forms.FORMS:
        abort(404)
    key = submissions.sent_key()
    if key and submissions.claimed(key):
        # A second sending of an answer that closed the referral: answered as the
        # first was ("thank you"), not as a closed link.
        submissions.answer_again(key)
    link, refused = check_link(token)
    if refused is not None:
        return refused
    if not link_opened(link):
        return redirect(url_for("providers.link", token=token))
    referral = link.referral
    return _answer(
        referral,
        action,
        actor=None,
        via="link",
        action_url=lambda a: url_for("providers.link_answer", token=token, action=a),
        message_url=url_for("providers.link_message", token=token),
        done=lambda closed: (
            url_for("providers.link_done") if closed else url_for("providers.link", token=token)
        ),
    )


@bp.get("/r/done")
@public
def link_done():
    return render_template("support/link_done.html")


def _answer(referral, action, *, actor, via, action_url, message_url, done):
    form = forms.FORMS[action]()
    saved = saving(form, record=referral)
    if form.validate_on_submit():
        with saved:
            provider_answers.answer(
                actor,
                referral,
                action=provider_answers.Action(action),
                on=form.on.data,
                today=today(),
                via=via,
                reason=getattr(form, "reason", None) and form.reason.data,
                note=getattr(form, "note", None) and form.note.data,
                service_given=getattr(form, "service_given", None) and form.service_given.data,
                served_by=getattr(form, "served_by", None) and form.served_by.data,
                next_appointment_on=getattr(form, "next_appointment_on", None)
                and form.next_appointment_on.data,
                ip=client_ip(),
            )
        if saved.ok:
            flash(_("Thank you. It was recorded and the sender was told."), "success")
            return redirect(done(not referral.is_open))
    page = provider_page(
        referral, action_url, posted=(action, form), via=via, message_url=message_url
    )
    return page, saved.status or 200


# Provider accounts -------------------------------------------------------------------


@bp.get("/provider")
def home():
    """The provider's referrals whose consent is in force; nothing else."""
    provider_id = require_provider()
    provider = db.session.get(ServiceProvider, provider_id)
    referrals = provider_accounts.list_provider_referrals(provider_id)
    return render_template("support/provider_home.html", provider=provider, referrals=referrals)


@bp.get("/provider/referrals/<int:referral_id>")
def show_referral(referral_id: int):
    referral = load_own_referral(referral_id)
    audit.note_read("view", referral, detail="provider")
    return provider_page(
        referral,
        lambda a: url_for("providers.answer", referral_id=referral.id, action=a),
        via="account",
        message_url=url_for("providers.account_message", referral_id=referral.id),
    )


@bp.post("/provider/referrals/<int:referral_id>/<action>")
def answer(referral_id: int, action: str):
    referral = load_own_referral(referral_id)
    if action not in forms.FORMS:
        abort(404)
    return _answer(
        referral,
        action,
        actor=current_user,
        via="account",
        action_url=lambda a: url_for("providers.answer", referral_id=referral.id, action=a),
        message_url=url_for("providers.account_message", referral_id=referral.id),
        done=lambda _closed: url_for("providers.show_referral", referral_id=referral.id),
    )
