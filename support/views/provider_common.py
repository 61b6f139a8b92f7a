"""The providers blueprint and what its pages share (issue 26): keeping provider
accounts in, checking the letter's link, and drawing the one-referral page.

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
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_login import current_user

from accounts import throttle
from accounts.models import Role
from core.auth import require
from core.clock import today
from core.db import db, utcnow
from core.saving import commit
from support import provider_forms as forms
from support.models.provider_side import DeclineReason, ReferralLink
from support.models.referrals import NEXT_STATUS, Referral
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


def client_ip() -> str | None:
    return request.remote_addr


def _limits():
    return throttle.Limits.from_config(current_app.config)


def link_secret() -> str:
    return current_app.config["SECRET_KEY"]


# The link ----------------------------------------------------------------------------


def link_opened(link: ReferralLink) -> bool:
    until = (cookie_session.get(COOKIE) or {}).get(str(link.id))
    return isinstance(until, int | float) and until > time.time()


def open_link(link: ReferralLink) -> None:
    minutes = current_app.config["PROVIDER_LINK_SESSION_MINUTES"]
    kept = {
        k: v
        for k, v in (cookie_session.get(COOKIE) or {}).items()
        if isinstance(v, int | float) and v > time.time()
    }
    kept[str(link.id)] = int(time.time() + 60 * minutes)
    cookie_session[COOKIE] = kept


def note_refusal(link: ReferralLink | None, refusal: provider_links.Refusal) -> None:
    """Audit the refusal and count a guess, committed: the answer is not a save."""
    key = throttle.address_key(client_ip())
    if refusal in (provider_links.Refusal.UNKNOWN, provider_links.Refusal.WRONG_CODE):
        name = provider_links.UNKNOWN_LINK if link is None else f"link:{link.id}"
        throttle.record_failure(name, key, now=utcnow(), limits=_limits())
    provider_links.audit_refusal(link, refusal, client_ip())
    commit("a refused link is kept with its audit event and its count")


def refused_page(link: ReferralLink | None, refusal: provider_links.Refusal, status: int):
    note_refusal(link, refusal)
    return render_template("support/link_refused.html", refusal=refusal.value), status


def check_link(token: str):
    """The link and None, or None and the refusal page."""
    key = throttle.address_key(client_ip())
    link = provider_links.find_link(token)
    name = provider_links.UNKNOWN_LINK if link is None else f"link:{link.id}"
    if throttle.check(name, key, now=utcnow(), limits=_limits(), member=False):
        return None, refused_page(link, provider_links.Refusal.THROTTLED, 429)
    if link is None:
        return None, refused_page(None, provider_links.Refusal.UNKNOWN, 404)
    refusal = provider_links.link_refusal(link, today())
    if refusal is not None:
        return None, refused_page(link, refusal, 410)
    return link, None


def with_ids(form, action: str):
    """Several forms on one page: ids of their own, so each label finds its field."""
    for field in form:
        field.id = f"{action}-{field.name}"
        field.label.field_id = field.id
    return form


def _answer_forms(action_url) -> dict:
    day = today()
    made = {}
    for action, form_class in forms.FORMS.items():
        form = with_ids(form_class(formdata=None), action)
        form.on.data = day
        made[action] = (form, action_url(action))
    return made


def provider_page(
    referral: Referral, action_url, *, posted=None, via: str, message_url: str, message_form=None
):
    """The one-referral page, with a form for each step still possible, and the thread
    with the case team while the referral is open and its consent in force."""
    possible = {s.value for s in NEXT_STATUS.get(referral.status, ())}
    made = _answer_forms(action_url)
    if posted is not None:
        made[posted[0]] = (with_ids(posted[1], posted[0]), action_url(posted[0]))
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
        message_form=with_ids(message_form or forms.MessageForm(formdata=None), "message")
        if thread_open
        else None,
        message_url=message_url,
    )


# Provider accounts -------------------------------------------------------------------


def require_provider() -> int:
    provider_id = provider_accounts.staff_provider_id(current_user)
    require(provider_id is not None)
    return provider_id


def load_own_referral(referral_id: int) -> Referral:
    require_provider()
    referral = db.session.get(Referral, referral_id)
    if referral is None or not provider_accounts.provider_may_see(current_user, referral):
        abort(404)
    return referral
