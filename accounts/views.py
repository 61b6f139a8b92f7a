import time
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import ValidationError

from accounts import code_lock, known_devices, services, throttle, two_factor
from accounts.forms import (
    ChangePasswordForm,
    ChooseOwnPasswordForm,
    ConfirmForm,
    ContactForm,
    CurrentCodeForm,
    EnrolTwoFactorForm,
    LoginForm,
    MemberLoginForm,
    NewUserForm,
    ResetPasswordForm,
    TwoFactorCodeForm,
    UserForm,
)
from accounts.models import AuthSession, Role, User
from core import drafts
from core.auth import login_manager, public, require
from core.db import db, utcnow
from core.drafts import is_first_view
from core.errors import DomainError
from core.forms import choices, search_text
from core.i18n import format_moment
from core.places import list_provinces
from core.saving import commit, saving
from core.urls import paginate, safe_next

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


CODE_USED = _l(
    "This code has just been used. If you are not signed in yet, wait for the next code "
    "from the app (or take another recovery code) and enter it."
)


def code_used_meanwhile(form, page):
    """The answer to a code that another request used first: never a 500."""
    db.session.rollback()
    form.code.errors.append(str(CODE_USED))
    return page(), 409


def code_lock_message(until) -> str:
    return _(
        "Too many wrong codes for this account. Codes from the authenticator app are "
        "refused until %(time)s. Enter one of your recovery codes, or ask an administrator "
        "to turn two-factor sign-in off.",
        time=format_moment(until),
    )


def render_setup(form, user: User, *, at_login: bool):
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        qr=two_factor.qr_svg(user),
        secret=two_factor.grouped_secret(user),
        at_login=at_login,
    )


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
    _pending_secret(user)
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


def _pending_secret(user: User) -> None:
    """The secret to enrol with; two first views at one instant keep the one saved first."""
    try:
        two_factor.pending_secret(user)
    except StaleDataError:
        db.session.rollback()
        two_factor.pending_secret(user)


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


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Staff change their password; a member's PIN is set by their facilitator only."""
    require(current_user.role != Role.MEMBER)
    form = ChangePasswordForm()
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            if not services.change_own_password(
                current_user, form.current_password.data, form.new_password.data
            ):
                raise DomainError(_("This is not your current password."), "current_password")
        if saved.ok:
            flash(_("Your password was changed. Other devices were logged out."), "success")
            return redirect(url_for("reports.home"))
    return render_template("accounts/change_password.html", form=form), saved.status


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor_settings():
    """Set up two-factor sign-in, or see how many recovery codes are left."""
    require(current_user.can_use_two_factor())
    user = current_user
    if user.has_two_factor:
        return render_template(
            "accounts/two_factor.html",
            user=user,
            left=two_factor.count_unused_recovery_codes(user),
            may_disable=two_factor.may_disable(user, **two_factor_rules()),
            codes_form=CurrentCodeForm(prefix="codes"),
            off_form=CurrentCodeForm(prefix="off"),
        )
    form = EnrolTwoFactorForm()
    _pending_secret(user)
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data, utcnow())
            if codes is not None:
                commit("two-factor sign-in turned on")
        except StaleDataError:  # R2: the same code sent twice at one instant
            db.session.rollback()
            flash(str(CODE_USED), "error")
            return redirect(url_for("accounts.two_factor_settings"))
        if codes is not None:
            flash(_("Two-factor sign-in is on."), "success")
            return render_template(
                "accounts/recovery_codes.html", codes=codes, next_url=url_for("reports.home")
            )
        form.code.errors.append(
            _("This code is not right. Check that the time on your phone is correct.")
        )
    commit("the pending secret, kept for the next try")
    return render_setup(form, user, at_login=False)


def _confirmed_by_code(form) -> bool:
    if not form.validate_on_submit():
        return False
    now = utcnow()
    cap = current_app.config["LOGIN_MAX_WRONG_CODES_PER_USER_PER_DAY"]
    # The same cap as at login (S3): a session taken over must not guess its way to new
    # recovery codes.
    if (until := code_lock.locked_until(current_user, now, cap)) is not None:
        flash(code_lock_message(until), "error")
        return False
    if two_factor.check_code(current_user, form.code.data, now):
        return True
    if two_factor.already_used(current_user, form.code.data, now, app_codes=True):
        flash(str(CODE_USED), "error")
        return False
    until = code_lock.record_wrong_code(current_user, now, cap=cap, checked=True, ip=client_ip())
    commit("a wrong code counted")
    if until is not None:
        flash(code_lock_message(until), "error")
    else:
        flash(_("This code is not right. Check that the time on your phone is correct."), "error")
    return False


def _code_used_meanwhile():
    """R2: a setting confirmed by a code another request used at the same instant."""
    db.session.rollback()
    flash(str(CODE_USED), "error")
    return redirect(url_for("accounts.two_factor_settings"))


@bp.post("/account/two-factor/recovery-codes")
def new_recovery_codes():
    """New recovery codes, shown once; the old ones stop working."""
    require(current_user.can_use_two_factor() and current_user.has_two_factor)
    if not _confirmed_by_code(CurrentCodeForm(prefix="codes")):
        db.session.rollback()
        return redirect(url_for("accounts.two_factor_settings"))
    try:
        codes = two_factor.regenerate_recovery_codes(current_user)
        commit("new recovery codes")
    except StaleDataError:
        return _code_used_meanwhile()
    return render_template(
        "accounts/recovery_codes.html", codes=codes, next_url=url_for("reports.home")
    )


@bp.post("/account/two-factor/disable")
def disable_two_factor():
    """Turn two-factor sign-in off, where it is optional."""
    require(
        current_user.has_two_factor and two_factor.may_disable(current_user, **two_factor_rules())
    )
    if _confirmed_by_code(CurrentCodeForm(prefix="off")):
        try:
            two_factor.disable(current_user, current_user)
            commit("two-factor sign-in turned off")
        except StaleDataError:
            return _code_used_meanwhile()
        flash(_("Two-factor sign-in is off."), "success")
    else:
        db.session.rollback()
    return redirect(url_for("accounts.two_factor_settings"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Staff keep their own email (for reminders) and phone (for members to call)."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR))
    form = ContactForm(obj=current_user)
    if form.validate_on_submit():
        services.update_contact(current_user, email=form.email.data, phone=form.phone.data)
        commit("contact details")
        flash(_("Your contact details were saved."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)


# Administration of users ---------------------------------------------------------------


def province_choices():
    return [(p.code, p.short_name) for p in list_provinces()]


def require_admin() -> None:
    require(current_user.can_manage_users())


@bp.get("/admin/users")
def list_users():
    require_admin()
    q = search_text(request.args, limit=40)
    role = request.args.get("role", "")
    stmt = select(User).options(selectinload(User.provinces)).order_by(User.sort_key, User.id)
    if q:
        stmt = stmt.where(
            or_(
                User.username.contains(q.lower(), autoescape=True),
                User.full_name.icontains(q, autoescape=True),
            )
        )
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = paginate(stmt)
    return render_template("accounts/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/admin/users/new", methods=["GET", "POST"])
def create_user():
    require_admin()
    form = NewUserForm(province_choices=province_choices())
    saved = saving(form)
    if form.validate_on_submit():
        with saved:
            user = services.create_user(
                current_user,
                username=form.username.data,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                password=form.new_password.data,
                province_codes=form.provinces.data,
                must_change_password=True,
            )
        if saved.ok:
            flash(
                _(
                    "Account %(username)s was created. Give them the temporary password; "
                    "they will choose their own at first login.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=None), saved.status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, province_choices=province_choices())
    if user.role == Role.MEMBER:
        form.role.choices = choices([(Role.MEMBER.value, Role.MEMBER.label)])
    if is_first_view():
        form.role.data = user.role.value
        form.provinces.data = sorted(user.province_codes)
    saved = saving(form, record=user)
    if form.validate_on_submit():
        with saved:
            services.update_user(
                current_user,
                user,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                province_codes=form.provinces.data,
                email=form.email.data,
                phone=form.phone.data,
            )
        if saved.ok:
            flash(_("Changes to %(username)s were saved.", username=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    page = render_template("accounts/user_form.html", form=form, user=user, confirm=ConfirmForm())
    return page, saved.status


@bp.route("/admin/users/<int:user_id>/active", methods=["GET", "POST"])
def toggle_active(user_id: int):
    """Confirm, then deactivate (or activate again) an account."""
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("accounts/confirm_active.html", form=form, user=user)
    if form.validate_on_submit():
        with saving() as saved:
            services.set_active(current_user, user, not user.active)
        if saved.ok:
            if user.active:
                flash(_("%(username)s can log in again.", username=user.username), "success")
            else:
                flash(
                    _(
                        "%(username)s was deactivated and logged out everywhere.",
                        username=user.username,
                    ),
                    "success",
                )
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/two-factor")
def reset_two_factor(user_id: int):
    """Turn off someone's two-factor sign-in (a lost phone) and log them out everywhere."""
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit() and user.has_two_factor:
        two_factor.disable(current_user, user)
        services.revoke_sessions(user)
        commit("two-factor sign-in reset by an administrator")
        flash(
            _(
                "Two-factor sign-in of %(username)s was turned off and they were logged out.",
                username=user.username,
            ),
            "success",
        )
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    saved = saving(form, record=user)
    if form.validate_on_submit():
        with saved:
            services.reset_password(current_user, user, form.new_password.data)
    if saved.ok:
        flash(
            _(
                "A temporary password was set for %(username)s. They were logged out and "
                "will choose a new password at next login.",
                username=user.username,
            ),
            "success",
        )
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/reset_password.html", form=form, user=user), saved.status
