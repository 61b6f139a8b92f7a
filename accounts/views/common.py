"""The accounts blueprint and what its pages share: the session loader, the forced
password change, the client's address, the login throttle's answer."""

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from accounts import services, throttle
from accounts.models import AuthSession, User
from core import drafts
from core.auth import login_manager
from core.db import db, utcnow
from core.saving import commit

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(token: str) -> User | None:
    c = current_app.config
    user = services.load_session(
        token,
        now=utcnow(),
        idle=timedelta(minutes=c["SESSION_IDLE_MINUTES"]),
        lifetime=timedelta(hours=c["SESSION_MAX_HOURS"]),
    )
    ended = [s for s in db.session.deleted if isinstance(s, AuthSession)]
    if ended and ended[0].user.active:
        # Whose session just ended (idle or too old): a form this browser sends before
        # the next login is kept for them (core.drafts). The cookie is signed.
        cookie_session[drafts.ENDED_USER_KEY] = ended[0].user_id
    if db.session.dirty or db.session.deleted:
        commit("an ended session, or last_seen_at moved on")
    return user


@bp.before_app_request
def force_password_change():
    allowed = {"accounts.change_password", "accounts.logout", "core.set_language", "static"}
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint is not None
        and request.endpoint not in allowed
    ):
        flash(_("Choose a new password before you continue."), "info")
        return redirect(url_for("accounts.change_password"))
    return None


def reset_cookie_session() -> None:
    """Start a clean cookie session at login and logout; the device keeps its language,
    and the page of a form kept when the session ended (core.drafts)."""
    kept = {k: cookie_session[k] for k in ("locale", drafts.COOKIE_KEY) if k in cookie_session}
    cookie_session.clear()
    cookie_session.update(kept)


def client_ip() -> str | None:
    """The client's address; behind TULUC_PROXY_COUNT proxies, as they report it."""
    return request.remote_addr


def login_limits() -> throttle.Limits:
    return throttle.Limits.from_config(current_app.config)


def two_factor_rules() -> dict:
    return {"skip": current_app.config["TWO_FACTOR_SKIP"]}


def throttled_answer(form, template: str, refusal: throttle.Throttled, **context):
    if refusal.reason == throttle.Refusal.MEMBER_CODE_WAIT:
        minutes = max(1, -(-int(refusal.wait.total_seconds()) // 60))
        wait = ngettext(
            "Too many wrong PINs for this code. Wait %(num)d minute and try again.",
            "Too many wrong PINs for this code. Wait %(num)d minutes and try again.",
            minutes,
        )
        form.form_errors.append(
            wait
            + " "
            + _(
                "Or ask the facilitator of your group to set a new PIN. On a phone you "
                "have logged in from before, you need not wait."
            )
        )
    else:
        form.form_errors.append(
            ngettext(
                "Too many failed attempts. Wait %(num)d minute and try again.",
                "Too many failed attempts. Wait %(num)d minutes and try again.",
                current_app.config["LOGIN_WINDOW_MINUTES"],
            )
        )
    return render_template(template, form=form, **context), 429
