"""The provider's pages (issue 26): the letter's link, provider accounts, and the
directory page where managers make those accounts.

An account of the provider role reaches these pages, its own account settings and
logging out; every other page of the app answers 403 (`keep_providers_in`), so a new
page elsewhere is closed to providers without anyone remembering them.

The link's pages are public: the code printed on the letter, checked once, lets this
browser act on that one referral for PROVIDER_LINK_SESSION_MINUTES (a signed cookie);
every request checks the link again, so withdrawing consent or closing the referral
stops it at once.
"""

import time

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
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user

from accounts import throttle
from accounts.models import Role
from core import audit, submissions
from core.auth import public, require
from core.clock import today
from core.db import db, utcnow
from core.saving import commit, saving
from support import provider_forms as forms
from support.models.provider_side import DeclineReason, ReferralLink
from support.models.referrals import NEXT_STATUS, Referral, ServiceProvider
from support.services import messages, provider_accounts, provider_answers, provider_links

bp = Blueprint("providers", __name__)

COOKIE = "provider_links"

# What a provider account may open besides this blueprint's pages.
PROVIDER_ENDPOINTS = frozenset(
    {
        "static",
        "core.healthz",
        "core.favicon",
        "core.set_language",
        "core.service_worker",
        "accounts.member_login",
        "accounts.login",
        "accounts.logout",
        "accounts.login_code",
        "accounts.login_enrol",
        "accounts.login_new_password",
        "accounts.change_password",
        "accounts.two_factor_settings",
        "accounts.new_recovery_codes",
        "accounts.disable_two_factor",
    }
)
# Pages of this blueprint for managers, not for provider accounts.
MANAGER_ENDPOINTS = frozenset({"providers.accounts", "providers.set_staff_active"})


@bp.before_app_request
def keep_providers_in():
    """A provider account sees its referrals and its own account, nothing else."""
    if not current_user.is_authenticated or current_user.role != Role.PROVIDER:
        return None
    endpoint = request.endpoint or ""
    if endpoint == "reports.home":
        return redirect(url_for("providers.home"))
    if endpoint in PROVIDER_ENDPOINTS:
        return None
    if endpoint.startswith("providers.") and endpoint not in MANAGER_ENDPOINTS:
        return None
    abort(403)


def _ip() -> str | None:
    return request.remote_addr


def _limits():
    return throttle.Limits.from_config(current_app.config)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


# The link ----------------------------------------------------------------------------


def _opened(link: ReferralLink) -> bool:
    until = (cookie_session.get(COOKIE) or {}).get(str(link.id))
    return isinstance(until, int | float) and until > time.time()


def _open(link: ReferralLink) -> None:
    minutes = current_app.config["PROVIDER_LINK_SESSION_MINUTES"]
    kept = {
        k: v
        for k, v in (cookie_session.get(COOKIE) or {}).items()
        if isinstance(v, int | float) and v > time.time()
    }
    kept[str(link.id)] = int(time.time() + 60 * minutes)
    cookie_session[COOKIE] = kept


def _note_refusal(link: ReferralLink | None, refusal: provider_links.Refusal) -> None:
    """Audit the refusal and count a guess, committed: the answer is not a save."""
    key = throttle.address_key(_ip())
    if refusal in (provider_links.Refusal.UNKNOWN, provider_links.Refusal.WRONG_CODE):
        name = provider_links.UNKNOWN_LINK if link is None else f"link:{link.id}"
        throttle.record_failure(name, key, now=utcnow(), limits=_limits())
    provider_links.audit_refusal(link, refusal, _ip())
    commit("a refused link is kept with its audit event and its count")


def _refused(link: ReferralLink | None, refusal: provider_links.Refusal, status: int):
    _note_refusal(link, refusal)
    return render_template("support/link_refused.html", refusal=refusal.value), status


def _check_link(token: str):
    """The link and None, or None and the refusal page."""
    key = throttle.address_key(_ip())
    link = provider_links.find_link(token)
    name = provider_links.UNKNOWN_LINK if link is None else f"link:{link.id}"
    if throttle.check(name, key, now=utcnow(), limits=_limits(), member=False):
        return None, _refused(link, provider_links.Refusal.THROTTLED, 429)
    if link is None:
        return None, _refused(None, provider_links.Refusal.UNKNOWN, 404)
    refusal = provider_links.link_refusal(link, today())
    if refusal is not None:
        return None, _refused(link, refusal, 410)
    return link, None


def _with_ids(form, action: str):
    """Several forms on one page: ids of their own, so each label finds its field."""
    for field in form:
        field.id = f"{action}-{field.name}"
        field.label.field_id = field.id
    return form


def _answer_forms(action_url) -> dict:
    day = today()
    made = {}
    for action, form_class in forms.FORMS.items():
        form = _with_ids(form_class(formdata=None), action)
        form.on.data = day
        made[action] = (form, action_url(action))
    return made


def _page(
    referral: Referral, action_url, *, posted=None, via: str, message_url: str, message_form=None
):
    """The one-referral page, with a form for each step still possible, and the thread
    with the case team while the referral is open and its consent in force."""
    possible = {s.value for s in NEXT_STATUS.get(referral.status, ())}
    made = _answer_forms(action_url)
    if posted is not None:
        made[posted[0]] = (_with_ids(posted[1], posted[0]), action_url(posted[0]))
    shown = {
        action: made[action]
        for action in forms.FORMS
        if provider_answers.Action(action).status.value in possible
    }
    thread_open = messages.provider_thread_open(referral)
    return render_template(
        "support/provider_referral.html",
        referral=referral,
        member=referral.member,
        phone=provider_answers.shared_phone(referral),
        forms=shown,
        via=via,
        reasons={r.value: r.label for r in DeclineReason},
        thread=referral.messages if thread_open else None,
        message_form=_with_ids(message_form or forms.MessageForm(formdata=None), "message")
        if thread_open
        else None,
        message_url=message_url,
    )


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
def link(token: str):
    """The letter's link: the code first, then the referral and what can be recorded."""
    link, refused = _check_link(token)
    if refused is not None:
        return refused
    referral = link.referral
    if _opened(link):
        audit.record(None, "view", referral, detail=f"provider_link={link.id}", ip=_ip())
        commit("the provider's reading of the referral is audited")
        return _page(
            referral,
            lambda a: url_for("providers.link_answer", token=token, action=a),
            via="link",
            message_url=url_for("providers.link_message", token=token),
        )
    form = forms.LinkCodeForm()
    if form.validate_on_submit():
        if not provider_links.code_matches(link, form.code.data, _secret()):
            _note_refusal(link, provider_links.Refusal.WRONG_CODE)
            form.code.errors.append(
                _("That code is not the one on the letter. Check it and try again.")
            )
            return render_template("support/link_code.html", form=form, referral=referral), 200
        throttle.clear(f"link:{link.id}", throttle.address_key(_ip()))
        audit.record(None, "provider_link_opened", referral, detail=f"link={link.id}", ip=_ip())
        commit("the link opened with its code, audited")
        _open(link)
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
    link, refused = _check_link(token)
    if refused is not None:
        return refused
    if not _opened(link):
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
                ip=_ip(),
            )
        if saved.ok:
            flash(_("Thank you. It was recorded and the sender was told."), "success")
            return redirect(done(not referral.is_open))
    page = _page(referral, action_url, posted=(action, form), via=via, message_url=message_url)
    return page, saved.status or 200


# Provider accounts -------------------------------------------------------------------


def _require_provider() -> int:
    provider_id = provider_accounts.staff_provider_id(current_user)
    require(provider_id is not None)
    return provider_id


@bp.get("/provider")
def home():
    """The provider's referrals whose consent is in force; nothing else."""
    provider_id = _require_provider()
    provider = db.session.get(ServiceProvider, provider_id)
    referrals = provider_accounts.list_provider_referrals(provider_id)
    return render_template("support/provider_home.html", provider=provider, referrals=referrals)


def _load_own(referral_id: int) -> Referral:
    _require_provider()
    referral = db.session.get(Referral, referral_id)
    if referral is None or not provider_accounts.provider_may_see(current_user, referral):
        abort(404)
    return referral


@bp.get("/provider/referrals/<int:referral_id>")
def show_referral(referral_id: int):
    referral = _load_own(referral_id)
    audit.note_read("view", referral, detail="provider")
    return _page(
        referral,
        lambda a: url_for("providers.answer", referral_id=referral.id, action=a),
        via="account",
        message_url=url_for("providers.account_message", referral_id=referral.id),
    )


@bp.post("/provider/referrals/<int:referral_id>/<action>")
def answer(referral_id: int, action: str):
    referral = _load_own(referral_id)
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
