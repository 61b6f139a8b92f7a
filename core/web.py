"""What travels over a slow mobile connection: compressed pages, static files cached for good.

Pages are HTML of a few KiB that gzip shrinks by about four fifths; the stylesheet is the
same on every page, so its URL carries a hash of its content (`?v=…`) and browsers keep it
for a year without asking again. A changed file gets a new URL.
"""

import gzip
import hashlib
import re
from functools import cache
from pathlib import Path

from flask import request
from flask_compress import Compress

ONE_YEAR = 365 * 24 * 3600
compress = Compress()


@cache
def _digest(folder: str, filename: str) -> str | None:
    path = Path(folder) / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


# Text files sent gzipped (flask-compress leaves files alone: they are sent as streams).
PACKED = ("text/css", "text/javascript", "application/javascript")


@cache
def _packed(folder: str, filename: str, digest: str) -> bytes | None:
    """The file gzipped, once per content (the digest names the content)."""
    try:
        return gzip.compress((Path(folder) / filename).read_bytes(), 9, mtime=0)
    except OSError:
        return None


def _send_packed(app, response):
    """A versioned stylesheet or script goes gzipped to a browser that takes it (issue 25:
    outbox.js went as 20 KB over 2G on a phone's first day; gzipped it is a third)."""
    filename = request.view_args.get("filename", "") if request.view_args else ""
    if response.mimetype not in PACKED or "gzip" not in request.headers.get("Accept-Encoding", ""):
        return response
    digest = _digest(app.static_folder, filename)
    body = _packed(app.static_folder, filename, digest) if digest else None
    if body is None:
        return response
    response.close()  # the file it would have streamed
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def tel_link(phone) -> str:
    """A phone number as a tel: URI wants it: "024 3825 0000" -> "02438250000", "+84…"
    kept (RFC 3966; a space in the href is invalid HTML and some phones stop at it)."""
    return re.sub(r"[^0-9+]", "", str(phone or ""))


def init_app(app) -> None:
    app.jinja_env.filters["tel"] = tel_link
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        ["text/html", "text/css", "text/javascript", "application/javascript", "application/json"],
    )
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Static files are sent as streams; compressing a stream leaves its file open. They are
    # fetched once a year (below), so they go as they are.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)

    @app.url_defaults
    def versioned_static(endpoint, values):
        if endpoint == "static" and "v" not in values:
            digest = _digest(app.static_folder, values.get("filename", ""))
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None  # it would cancel the year (usability F11)
            response = _send_packed(app, response)
        return response
