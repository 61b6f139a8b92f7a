"""The progress blueprint: figures, review lists and the donor report of a scope."""

from reports.pages import donor, internal_export, progress, releases, review  # noqa: F401 - routes
from reports.pages.common import bp

__all__ = ["bp"]
