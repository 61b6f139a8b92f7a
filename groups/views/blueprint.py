"""The groups blueprint with the routes of every page module on it: app.py
registers this `bp`; the page modules take it from `common`."""

from groups.views import group_pages, meeting_pages, member_pages  # noqa: F401 - routes
from groups.views.common import bp

__all__ = ["bp"]
