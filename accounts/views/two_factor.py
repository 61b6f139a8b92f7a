"""Two-factor sign-in kept by its owner: set up, new recovery codes, turn off; and the
answers the login steps share."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from accounts import code_lock, two_factor
from accounts.forms import (
    CurrentCodeForm,
    EnrolTwoFactorForm,
)
from accounts.models import User
from accounts.views.common import bp, client_ip, two_factor_rules
from core.auth import require
from core.db import db, utcnow
from core.i18n import format_moment
from core.saving import commit

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


def start_pending_secret(user: User) -> None:
    """The secret to enrol with; two first views at one instant keep the one saved first."""
    try:
        two_factor.pending_secret(user)
    except StaleDataError:
        db.session.rollback()
        two_factor.pending_secret(user)


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
    start_pending_secret(user)
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
