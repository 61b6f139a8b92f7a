"""The progress blueprint with the routes of every page module on it: app.py
registers this `bp`; the page modules take it from `common`."""

from reports.pages import donor, internal_export, progress, releases, review  # noqa: F401 - routes
from reports.pages.common import bp

__all__ = ["bp"]
