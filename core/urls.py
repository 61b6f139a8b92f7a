"""Redirect targets limited to this site."""

from urllib.parse import urlsplit

from flask import request, url_for
from flask_login import current_user

from core.notify import count_unread


def safe_next(target: str | None, default: str = "/") -> str:
    """Return target if it is a path on this site, else default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t"):
        return default
    return target


def page_url(page: int) -> str:
    """The current page's URL with its query kept and the page number replaced."""
    args = {**request.view_args, **request.args.to_dict(), "page": page}
    return url_for(request.endpoint, **args)


def unread_count() -> int:
    return count_unread(current_user.id) if current_user.is_authenticated else 0


def init_app(app) -> None:
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["unread_count"] = unread_count
