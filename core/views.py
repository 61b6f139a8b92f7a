"""Health check, the site icon, language choice and the localized error pages."""

import contextlib
import logging
from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from core import audit, offline, proxy
from core.auth import login_manager, public, roles_required
from core.db import db
from core.logs import log_error
from core.places import place_order
from core.saving import saving
from core.submissions import offline_save, offline_saves
from core.urls import safe_next
from core.web import ONE_YEAR

logger = logging.getLogger(__name__)

bp = Blueprint("core", __name__)
bp.add_app_template_filter(place_order)
bp.add_app_template_global(offline_save)
bp.add_app_template_global(offline_saves)
bp.add_app_template_global(offline.keeping, "keeping_forms")


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log_error(logger, "health check: database did not answer", error=error)
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    if found := proxy.warnings():  # S11: a proxy setting that does not match the requests
        return jsonify(status="ok", warnings=found)
    return jsonify(status="ok")


@bp.get("/favicon.ico")
@public
def favicon():
    """The icon every browser asks for at this address, whatever the page links: a static
    file, kept by the browser for a year (pages link the versioned static URL too)."""
    response = Response(_icon(current_app.static_folder), mimetype="image/x-icon")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    return response


@cache
def _icon(folder: str) -> bytes:
    # A few hundred bytes, read once: sent from memory, no file left open per request.
    return (Path(folder) / "favicon.ico").read_bytes()


@bp.get("/sw.js")
@public
def service_worker():
    """The outbox's service worker (static/sw.js), served from the root so that it may
    keep any form of the site sent with no signal (issue 25)."""
    response = Response(_worker(current_app.static_folder), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@cache
def _worker(folder: str) -> bytes:
    return (Path(folder) / "sw.js").read_bytes()


@bp.get("/outbox")
@roles_required("admin", "coordinator", "facilitator")
def outbox():
    """What this phone kept while it had no signal; static/outbox.js lists it from the
    phone's own storage (nothing of it is on the server until it is sent)."""
    return render_template("outbox.html")


@bp.post("/outbox/keep")
@roles_required("facilitator")
def keep_forms():
    """Turn "keep my groups on this phone" on or off for this login (issue 25, layer 2)."""
    choice = request.form.get("keep")
    if choice not in ("0", "1"):
        abort(400, description=_("Choose whether to keep your groups on this phone."))
    keep = choice == "1"
    with saving():
        audit.record(
            current_user,
            "offline_forms_on" if keep else "offline_forms_off",
            object_type="users",
            object_id=current_user.id,
        )
    offline.set_keeping(keep)
    if keep:
        flash(_("Your groups' meeting and visit forms will be kept on this phone."), "success")
    else:
        flash(_("The forms kept on this phone are being deleted."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/outbox/forms")
@roles_required("facilitator")
def kept_forms():
    """The addresses of the forms this phone should keep, for static/outbox.js."""
    if not offline.keeping():
        response = jsonify(keep=False, forms=[])
    else:
        response = jsonify(keep=True, forms=offline.forms_for(current_user), days=offline.KEEP_DAYS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/language")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400, description=_("This language is not available."))
    cookie_session["locale"] = locale
    if current_user.is_authenticated and current_user.locale != locale:
        with saving():
            current_user.locale = locale
    refresh()
    return redirect(safe_next(request.form.get("next")))


ERROR_TITLES = {
    400: lambda: _("Something in the request was not right"),
    403: lambda: _("You do not have access to this page"),
    404: lambda: _("Page not found"),
    405: lambda: _("This action is not allowed here"),
    413: lambda: _("What you sent is too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
    503: lambda: _("The service is unavailable"),
}


def _error_detail(code: int) -> str:
    return {
        400: _("Check what you entered and try again."),
        403: _("If you think you should see it, ask your coordinator."),
        404: _("The address may be mistyped, or the page was removed."),
        405: _("Go back and use the buttons on the page."),
        413: _("Send a smaller file or shorter text."),
        429: _("Wait a few minutes, then try again."),
        500: _("The error was recorded. Try again in a moment."),
        503: _("Try again in a few minutes."),
    }.get(code, _("Go back and try again."))


def render_error(code: int, detail: str | None = None, *, title=None, steps=()):
    title = title or ERROR_TITLES.get(code, ERROR_TITLES[400 if code < 500 else 500])()
    return render_template(
        "errors/error.html",
        code=code,
        title=title,
        detail=detail or _error_detail(code),
        steps=steps,
    ), code


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        # Common on slow phones and after a long pause: say what happened and what to do.
        return render_error(
            400,
            _("Nothing was saved yet. This happens when a page stays open for a long time."),
            title=_("The form has expired"),
            steps=(
                _(
                    "Go back to the form with your phone's Back button: "
                    "what you typed is still there."
                ),
                _("Reload that page, so that the form can be sent again."),
                _("Check what you typed, then send the form again."),
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code is None or error.code < 400:
            return error
        # Show a message given to abort(); Werkzeug's own English texts are replaced.
        own = error.description if error.description != type(error).description else None
        return render_error(error.code, own)

    @app.errorhandler(Exception)
    def _unexpected(error):
        if database_unavailable(error):
            return _unavailable(error)
        # The path, never the query string or form; the error without its message.
        log_error(logger, "unhandled error on %s %s", request.method, request.path, error=error)
        db.session.rollback()
        return render_error(500)


def database_unavailable(error: Exception) -> bool:
    """The database cannot be reached or is busy: a reason to retry, not a bug."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _unavailable(error: Exception):
    """The friendly 503 page, in the person's language, without touching the database."""
    logger.error(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        type(getattr(error, "orig", None) or error).__name__,
    )
    with contextlib.suppress(Exception):
        get_locale()  # settle the language while what the request loaded is still readable
    with contextlib.suppress(Exception):
        db.session.rollback()
    # The page must not load the user (or anything else) from the database now.
    g._login_user = login_manager.anonymous_user()
    body, status = render_error(503)
    return body, status, {"Retry-After": "30"}
