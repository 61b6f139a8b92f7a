"""The support blueprint with the routes of every page module on it: app.py registers this
`bp`; the page modules take it from `common`. The providers blueprint lives in
provider_pages, on its own."""

from support.views import (  # noqa: F401 - routes
    directory_pages,
    referral_pages,
    screening_pages,
)
from support.views.common import bp

__all__ = ["bp"]
