"""What travels over a slow mobile connection: compressed pages, static files cached for good.

Pages are HTML of a few KiB that gzip shrinks by about four fifths; the stylesheet is the
same on every page, so its URL carries a hash of its content (`?v=…`) and browsers keep it
for a year without asking again. A changed file gets a new URL.
"""

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


def tel_link(phone) -> str:
    """A phone number as a tel: URI wants it: "024 3825 0000" -> "02438250000", "+84…"
    kept (RFC 3966; a space in the href is invalid HTML and some phones stop at it)."""
    return re.sub(r"[^0-9+]", "", str(phone or ""))


def init_app(app) -> None:
    app.jinja_env.filters["tel"] = tel_link
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "application/json"])
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
        return response
