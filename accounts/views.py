from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from accounts import services
from accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    MemberLoginForm,
    NewUserForm,
    ResetPasswordForm,
    UserForm,
)
from accounts.models import Role, User
from core.auth import login_manager, public, require
from core.db import db, utcnow
from core.forms import search_text
from core.places import list_provinces
from core.urls import safe_next

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
    if db.session.dirty or db.session.deleted:
        db.session.commit()  # an ended session, or last_seen_at moved on
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
    """Start a clean cookie session at login and logout; the device keeps its language."""
    locale = cookie_session.get("locale")
    cookie_session.clear()
    if locale:
        cookie_session["locale"] = locale


def client_ip() -> str | None:
    return request.remote_addr


def _log_in(form, username: str, secret: str, template: str, *, member: bool):
    """Check the credentials, open a server-side session and go on; or say no."""
    c = current_app.config
    try:
        user = services.authenticate(
            username,
            secret,
            ip=client_ip(),
            now=utcnow(),
            window=timedelta(minutes=c["LOGIN_WINDOW_MINUTES"]),
            max_per_user=c["LOGIN_MAX_FAILURES_PER_USER"],
            max_per_ip=c["LOGIN_MAX_FAILURES_PER_IP"],
            member=member,
        )
    except services.LoginRefused as refused:
        db.session.commit()
        if refused.throttled:
            form.form_errors.append(
                _(
                    "Too many failed attempts. Wait %(minutes)d minutes and try again.",
                    minutes=c["LOGIN_WINDOW_MINUTES"],
                )
            )
            return render_template(template, form=form), 429
        form.form_errors.append(
            _("Wrong code or PIN.")
            if member
            else _("Wrong username or password, or the account is not active.")
        )
        return render_template(template, form=form), 200
    services.start_session(user, ip=client_ip(), user_agent=request.user_agent.string, now=utcnow())
    if user.locale is None and cookie_session.get("locale"):
        user.locale = cookie_session["locale"]
    db.session.commit()
    reset_cookie_session()
    cookie_session.permanent = True
    login_user(user)
    return redirect(safe_next(request.args.get("next")))


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


@bp.post("/logout")
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_session(current_user)
        db.session.commit()
        logout_user()
        reset_cookie_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if services.change_own_password(
            current_user, form.current_password.data, form.new_password.data
        ):
            db.session.commit()
            flash(_("Your password was changed. Other devices were logged out."), "success")
            return redirect(url_for("reports.home"))
        form.current_password.errors.append(_("This is not your current password."))
    return render_template("accounts/change_password.html", form=form)


# Administration of users ---------------------------------------------------------------


def province_choices():
    return [(p.code, p.name) for p in list_provinces()]


def require_admin() -> None:
    require(current_user.can_manage_users())


@bp.get("/admin/users")
def list_users():
    require_admin()
    q = search_text(request.args, limit=40)
    role = request.args.get("role", "")
    stmt = select(User).options(selectinload(User.provinces)).order_by(User.username)
    if q:
        stmt = stmt.where(
            or_(
                User.username.contains(q.lower(), autoescape=True),
                User.full_name.icontains(q, autoescape=True),
            )
        )
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("accounts/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/admin/users/new", methods=["GET", "POST"])
def create_user():
    require_admin()
    form = NewUserForm(province_choices=province_choices())
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                username=form.username.data,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                password=form.new_password.data,
                province_codes=form.provinces.data,
                must_change_password=True,
            )
        except services.UsernameTaken:
            form.username.errors.append(_("This username is already taken."))
        else:
            db.session.commit()
            flash(
                _(
                    "Account %(username)s was created. Give them the temporary password; "
                    "they will choose their own at first login.",
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, province_choices=province_choices())
    if request.method == "GET":
        form.role.data = user.role.value
        form.provinces.data = sorted(user.province_codes)
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                full_name=form.full_name.data,
                role=Role(form.role.data),
                province_codes=form.provinces.data,
            )
        except services.CannotChangeSelf:
            form.role.errors.append(_("You cannot change your own role."))
        else:
            db.session.commit()
            flash(_("Changes to %(username)s were saved.", username=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=user, confirm=ConfirmForm())


@bp.post("/admin/users/<int:user_id>/active")
def toggle_active(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_active(current_user, user, not user.active)
        except services.CannotChangeSelf:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            db.session.commit()
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


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    require_admin()
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(current_user, user, form.new_password.data)
        db.session.commit()
        flash(
            _(
                "A temporary password was set for %(username)s. They were logged out and "
                "will choose a new password at next login.",
                username=user.username,
            ),
            "success",
        )
        return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("accounts/reset_password.html", form=form, user=user)
