"""Who may do what: the login manager, login-by-default and the require() guard."""

from functools import wraps

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from core import drafts

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
