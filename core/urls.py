"""Redirect targets limited to this site, page numbers and the id converter of every URL."""

from urllib.parse import urlsplit

from flask import current_app, request, url_for

from core.db import db
from core.parse import MAX_ID, IdConverter, parse_int


def safe_next(target: str | None, default: str = "/") -> str:
    """Return target if it is a path on this site, else default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\\\r\n\t"):
        return default
    return target


def public_url(endpoint: str, **values) -> str:
    """An absolute address of this site for print and QR codes: PUBLIC_URL when set (the
    address people outside reach the app at), else the address this request came to."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)


def page_url(page: int) -> str:
    """The current page's URL with its query kept and the page number replaced."""
    args = {**request.view_args, **request.args.to_dict(), "page": page}
    return url_for(request.endpoint, **args)


def paginate(stmt, per_page: int | None = None):
    """One page of a list from ?page=; past the end (2**63 included) is the last page."""
    per_page = per_page or current_app.config["PER_PAGE"]
    raw = request.args.get("page", "")
    number = parse_int(raw, minimum=1)
    if number is None:  # a number too long for any page is past the end, anything else page 1
        number = MAX_ID if raw.isascii() and raw.isdigit() and raw.strip("0") else 1
    page = db.paginate(stmt, page=min(number, 10**6), per_page=per_page, error_out=False)
    if number > page.pages > 0:
        page = db.paginate(stmt, page=page.pages, per_page=per_page, error_out=False)
    return page


def init_app(app) -> None:
    """Before any blueprint: its <int:…> rules are compiled with this converter."""
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.globals["page_url"] = page_url
