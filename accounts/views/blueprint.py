"""The accounts blueprint with the routes of every page module on it: app.py
registers this `bp`; the page modules take it from `common`."""

from accounts.views import account, login, two_factor, users  # noqa: F401 - routes
from accounts.views.common import bp

__all__ = ["bp"]
