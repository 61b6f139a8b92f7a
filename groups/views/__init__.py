"""The groups blueprint: group, member and meeting pages."""

from groups.views import group_pages, meeting_pages, member_pages  # noqa: F401 - routes
from groups.views.common import bp

__all__ = ["bp"]
