"""Logging in and out: the staff and member doors, the second-factor step, enrolment
and a new password at first login."""

import time

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm.exc import StaleDataError
from wtforms import ValidationError

from accounts import code_lock, known_devices, services, throttle, two_factor
from accounts.forms import (
    ChooseOwnPasswordForm,
    ConfirmForm,
    EnrolTwoFactorForm,
    LoginForm,
    MemberLoginForm,
    TwoFactorCodeForm,
)
from accounts.models import Role, User
from accounts.views.common import (
    bp,
    client_ip,
    login_limits,
    reset_cookie_session,
    throttled_answer,
    two_factor_rules,
)
from accounts.views.two_factor import (
    CODE_USED,
    code_lock_message,
    code_used_meanwhile,
    render_setup,
    start_pending_secret,
)
from core.auth import public
from core.db import db, utcnow
from core.saving import commit, saving
from core.urls import safe_next


def _log_in(form, username: str, secret: str, template: str, *, member: bool):
    """Check the credentials, then a second factor if needed, then open the session."""
    try:
        user = services.authenticate(
            username,
            secret,
            ip=client_ip(),
            now=utcnow(),
            limits=login_limits(),
            member=member,
            known=known_devices.read() if member else None,
        )
    except services.LoginRefused as refused:
        commit("the refused login and its audit event, if any")
        if refused.throttled:
            return throttled_answer(form, template, refused.refusal)
        form.form_errors.append(
            _("Wrong code or PIN.")
            if member
            else _("Wrong username or password, or the account is not active.")
        )
        return render_template(template, form=form), 200
    next_url = safe_next(request.args.get("next"))
    if user.can_use_two_factor() and two_factor.needs_code(user, **two_factor_rules()):
        commit("the password step passed; the code step comes next")
        reset_cookie_session()
        cookie_session[PENDING] = {"user": user.id, "at": time.time(), "next": next_url}
        if user.has_two_factor:
            return redirect(url_for("accounts.login_code"))
        if user.must_change_password:
            # S10: whoever knows a temporary password must not bind an authenticator
            # to the account before its owner has chosen their own password.
            return redirect(url_for("accounts.login_new_password"))
        return redirect(url_for("accounts.login_enrol"))
    try:
        response = _open_session(user, next_url, detail=services.door(member))
    except StaleDataError:
        # R2: the same login sent twice at one instant (a double tap): the other
        # request's login changed the user row first; this one opens its session after.
        db.session.rollback()
        user = db.session.get(User, user.id)
        response = _open_session(user, next_url, detail=services.door(member))
    return known_devices.remember(response, user) if member else response


def _open_session(user: User, next_url: str, *, detail: str, then=None):
    """Start the server-side session, audit the login and put its token in the cookie."""
    services.start_session(
        user, ip=client_ip(), user_agent=request.user_agent.string, now=utcnow(), detail=detail
    )
    if user.locale is None and cookie_session.get("locale"):
        user.locale = cookie_session["locale"]
    commit("the session opened")
    reset_cookie_session()
    cookie_session.permanent = True
    login_user(user)
    return then() if then else redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        return _log_in(
            form, form.username.data, form.password.data, "accounts/login.html", member=False
        )
    return render_template("accounts/login.html", form=form)


@bp.route("/login/member", methods=["GET", "POST"])
@public
def member_login():
    """Members log in with their code and the PIN their facilitator set."""
    if current_user.is_authenticated:
        return redirect(url_for("reports.home"))
    form = MemberLoginForm()
    if form.validate_on_submit():
        return _log_in(
            form, form.code.data, form.pin.data, "accounts/member_login.html", member=True
        )
    return render_template("accounts/member_login.html", form=form)


# Second factor at login: the password was right; the cookie names who is half-way in,
# for a few minutes. The server-side session only starts once the code is right.
PENDING = "two_factor_pending"
PENDING_SECONDS = 300


def pending_login() -> tuple[User | None, str]:
    state = cookie_session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None, url_for("reports.home")
    user = db.session.get(User, state.get("user"))
    if user is None or not user.active:
        return None, url_for("reports.home")
    return user, safe_next(state.get("next"))


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
def login_code():
    """After the password: a code from the app, or a recovery code."""
    user, next_url = pending_login()
    if user is None or not user.has_two_factor:
        return redirect(url_for("accounts.login"))
    form = TwoFactorCodeForm()
    template = "accounts/login_code.html"
    if form.validate_on_submit():
        now, key = utcnow(), throttle.address_key(client_ip())
        refusal = throttle.check(user.username, key, now=now, limits=login_limits(), member=False)
        if refusal is not None:
            return throttled_answer(form, template, refusal)
        cap = current_app.config["LOGIN_MAX_WRONG_CODES_PER_USER_PER_DAY"]
        locked = code_lock.locked_until(user, now, cap) is not None
        try:
            how = two_factor.second_factor(user, form.code.data, now, app_codes=not locked)
            if how is None and two_factor.already_used(
                user, form.code.data, now, app_codes=not locked
            ):
                db.session.rollback()
                form.code.errors.append(str(CODE_USED))
                return render_template(template, form=form)
            if how is None:
                throttle.record_failure(user.username, key, now=now, limits=login_limits())
                until = code_lock.record_wrong_code(
                    user, now, cap=cap, checked=not locked, ip=client_ip()
                )
                commit("a wrong code counted, whatever happens next")
                if until is not None:
                    form.code.errors.append(code_lock_message(until))
                    return render_template(template, form=form), 429
                form.code.errors.append(
                    _("This code is not right. Check that the time on your phone is correct.")
                )
                return render_template(template, form=form)
            response = _open_session(user, next_url, detail="door=staff two_factor=" + how)
        except StaleDataError:
            # R2: the same code sent twice at one instant (a double tap): the other
            # request signed in with it; this one says so instead of failing.
            return code_used_meanwhile(form, lambda: render_template(template, form=form))
        if how == "recovery_code":
            left = two_factor.count_unused_recovery_codes(user)
            flash(
                _(
                    "You used a recovery code; %(count)d are left. Make new ones on the "
                    "two-factor page.",
                    count=left,
                ),
                "info",
            )
        return response
    return render_template(template, form=form)


@bp.route("/login/two-factor/setup", methods=["GET", "POST"])
@public
def login_enrol():
    """After the password, for those who must use two-factor and have not set it up."""
    user, next_url = pending_login()
    if user is None or user.has_two_factor:
        return redirect(url_for("accounts.login"))
    if user.must_change_password:
        return redirect(url_for("accounts.login_new_password"))
    form = EnrolTwoFactorForm()
    start_pending_secret(user)
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data, utcnow())
            if codes is not None:

                def show_codes():
                    return render_template(
                        "accounts/recovery_codes.html", codes=codes, next_url=next_url
                    )

                return _open_session(
                    user, next_url, detail="door=staff two_factor=enrolled", then=show_codes
                )
        except StaleDataError:  # R2: enrolled by the same code sent at the same instant
            return code_used_meanwhile(form, lambda: redirect(url_for("accounts.login")))
        form.code.errors.append(
            _("This code is not right. Check that the time on your phone is correct.")
        )
    commit("the pending secret, kept for the next try")
    return render_setup(form, user, at_login=True)


@bp.route("/login/new-password", methods=["GET", "POST"])
@public
def login_new_password():
    """After a temporary password, before setting up two-factor: the person chooses
    their own password first, so the temporary one cannot enrol an authenticator."""
    user, _next_url = pending_login()
    if user is None or user.has_two_factor or not user.must_change_password:
        return redirect(url_for("accounts.login"))
    form = ChooseOwnPasswordForm()
    saved = saving(form, record=user)
    if form.validate_on_submit():
        with saved:
            services.choose_own_password(user, form.new_password.data)
        if saved.ok:
            cookie_session[PENDING] = {**cookie_session[PENDING], "at": time.time()}
            return redirect(url_for("accounts.login_enrol"))
    return render_template("accounts/choose_password.html", form=form), saved.status


@bp.post("/logout")
def logout():
    """Log out. Exempt from the global CSRF check (app.py) so that a page left open past
    the token's lifetime still logs out: a valid token, or the browser's word that the
    form came from one of our pages (Sec-Fetch-Site: same-origin, which no other site
    can set), ends the session at once. Otherwise - an old browser, or a post from
    elsewhere - a page asks to confirm with a fresh token: nobody else can log a person
    out silently, and the person is never left believing they logged out."""
    try:
        validate_csrf(request.form.get("csrf_token"))
        trusted = True
    except ValidationError:
        trusted = request.headers.get("Sec-Fetch-Site") == "same-origin"
    if not trusted:
        return render_template("accounts/logout.html", form=ConfirmForm())
    # A member goes back to the members' door, not the staff one.
    door = "accounts.member_login" if current_user.role == Role.MEMBER else "accounts.login"
    services.end_session(current_user)
    commit("the session ended")
    logout_user()
    reset_cookie_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for(door))
