"""The message thread on a referral (issue 26): the provider's posts, through the
letter's link or from its account, and the case team's, from the referral's page.

Reading follows the pages the thread is shown on; writing: load -> authorize -> form ->
support.services.messages.post_message -> commit once -> redirect to the thread.
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import public, require
from core.saving import saving
from support.models.referrals import Referral
from support.provider_forms import MessageForm
from support.services import messages
from support.views.common import bp, load_referral, referral_page
from support.views.provider_common import bp as providers_bp
from support.views.provider_common import check_link, link_opened, load_own_referral, provider_page


def _provider_post(referral: Referral, *, actor, via: str, action_url, message_url: str):
    """Save the provider's message and go back to the thread, or show why not."""
    back = request.path.rsplit("/", 1)[0]
    if not messages.provider_thread_open(referral):
        flash(str(messages.CLOSED), "error")  # the page shows no thread to put it on
        return redirect(back)
    form = MessageForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            messages.post_message(
                actor, referral, body=form.body.data, via=via, ip=request.remote_addr
            )
        if saved.ok:
            flash(_("Your message was sent. The coordinator will answer here."), "success")
            return redirect(back + "#messages")
    page = provider_page(referral, action_url, via=via, message_url=message_url, message_form=form)
    return page, saved.status or 200


@providers_bp.post("/r/<token>/message")
@public
def link_message(token: str):
    """A message through the letter's link, once its code was entered."""
    link, refused = check_link(token)
    if refused is not None:
        return refused
    if not link_opened(link):
        return redirect(url_for("providers.link", token=token))
    return _provider_post(
        link.referral,
        actor=None,
        via="link",
        action_url=lambda a: url_for("providers.link_answer", token=token, action=a),
        message_url=url_for("providers.link_message", token=token),
    )


@providers_bp.post("/provider/referrals/<int:referral_id>/message")
def account_message(referral_id: int):
    """A message from a provider account, on one of its own provider's referrals."""
    referral = load_own_referral(referral_id)
    return _provider_post(
        referral,
        actor=current_user,
        via="account",
        action_url=lambda a: url_for("providers.answer", referral_id=referral.id, action=a),
        message_url=url_for("providers.account_message", referral_id=referral.id),
    )


@bp.post("/referrals/<int:referral_id>/messages")
def post_message(referral_id: int):
    """The case team's message to the provider: coordinators in scope and admins."""
    referral = load_referral(referral_id)
    require(referral.can_post_message(current_user))
    form = MessageForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            messages.post_message(current_user, referral, body=form.body.data, via="staff")
        if saved.ok:
            flash(
                _("The message was sent. The provider sees it on the referral's page."), "success"
            )
            return redirect(url_for("support.show_referral", referral_id=referral.id) + "#messages")
    return referral_page(referral, message_form=form), saved.status or 200
