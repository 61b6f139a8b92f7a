"""Routes that accept a file larger than the app's request limit (MAX_CONTENT_LENGTH).

The limit is raised for the marked view only, before anything reads the body (CSRF
checking does): a larger request is refused with a clear message without being read.
"""

from flask import abort, current_app, request
from flask_babel import format_decimal
from flask_babel import gettext as _


def accepts_upload(max_bytes: int):
    """Mark a view as accepting a request body of up to max_bytes."""

    def mark(view):
        view.max_upload = max_bytes
        return view

    return mark


def init_app(app) -> None:
    """Register before CSRFProtect: it reads the body in its own before_request."""

    @app.before_request
    def _upload_limit():
        view = current_app.view_functions.get(request.endpoint)
        limit = getattr(view, "max_upload", None)
        if limit is None:
            return
        if request.content_length is not None and request.content_length > limit:
            abort(
                413,
                description=_(
                    "The file is larger than %(size)s MB. Split it into smaller files.",
                    size=format_decimal(limit // (1024 * 1024)),
                ),
            )
        request.max_content_length = limit
