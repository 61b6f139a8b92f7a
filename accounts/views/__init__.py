"""The accounts blueprint: logging in and out, two-factor sign-in, a staff member's own
account, and the administration of users."""

from accounts.views import account, login, two_factor, users  # noqa: F401 - routes
from accounts.views.common import bp

__all__ = ["bp"]
