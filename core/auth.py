"""Who may do what: the login manager, login-by-default and the require() guard."""

from functools import wraps

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from core import audit, drafts
from core.db import db

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.localize_callback = str  # evaluate the lazy message in the request's locale
# Server-side session records (accounts.models.AuthSession) do what this would.
login_manager.session_protection = None


def public(view):
    """Mark a view as reachable without logging in."""
    view.is_public = True
    return view


def require(allowed: bool, status: int = 403) -> None:
    """Stop the request unless the permission check passed."""
    if not allowed:
        abort(status)


def load(
    model,
    record_id: int,
    *,
    allowed=None,
    members: bool = False,
    status: int = 403,
    note: bool = True,
    options=(),
):
    """The record of `model` with this id that the current user may see, or stop here.

    404 if it does not exist. A member (the member role) gets 404 for every record unless
    `members`, and then 404 too for one `allowed` refuses: they never learn what exists.
    Staff `allowed` refuses get `status`. `allowed(record)` is by default the record's
    `can_view(current_user)`. The read is noted for the audit log (`note`), written only
    if the page is shown (core.audit); pages that note it with a detail pass note=False.
    `options` are loader options for the read (what the permission check and the page
    read besides, in the same statement).
    """
    record = db.session.get(model, record_id, options=options)
    if record is None:
        abort(404)
    # Role.MEMBER, by value: accounts depends on core, not back.
    is_member = current_user.role == "member"
    if is_member and not members:
        abort(404)
    ok = allowed(record) if allowed is not None else record.can_view(current_user)
    require(ok, 404 if is_member else status)
    if note:
        audit.note_read("view", record)
    return record


def roles_required(*roles):
    """Allow the view only to users holding one of these roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(current_user.role in roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def enforce_login(app) -> None:
    """Make every view require a login unless it is marked @public."""

    @app.before_request
    def _login_by_default():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if current_user.is_authenticated:
            drafts.restore_on_request(current_user)
            return None
        if getattr(view, "is_public", False):
            return None
        # A form sent after the session ended is kept, not lost.
        return drafts.keep_and_ask_to_log_in() or login_manager.unauthorized()
