"""The imports blueprint with the routes of every page module on it: app.py registers
this `bp`; the page modules take it from `common`."""

from imports.views import answer_pages, batch_pages  # noqa: F401 - routes
from imports.views.common import bp

__all__ = ["bp"]
