"""The support blueprint with the routes of every page module on it: app.py registers this
`bp`; the page modules take it from `common`. The providers blueprint (provider_common)
gets its routes from provider_pages and provider_staff_pages, imported here too."""

from support.views import (  # noqa: F401 - routes
    directory_pages,
    message_pages,
    provider_pages,
    provider_staff_pages,
    referral_pages,
    screening_pages,
)
from support.views.common import bp

__all__ = ["bp"]
