"""The livelihoods blueprint with the routes of every page module on it: app.py
registers this `bp`; the page modules take it from `common`."""

from livelihoods.views import grant_pages, visit_pages  # noqa: F401 - routes
from livelihoods.views.common import bp

__all__ = ["bp"]
