"""The support blueprint: screening entry, referrals, letters and the provider directory;
and the providers blueprint: the provider's side of a referral (issue 26).

Every view: load (404) -> authorize (the model's method; members always 404) -> form ->
service -> commit once (core.saving) -> redirect. Pages that show answers or notes write
a "view" audit event whose detail says so: "answers", "notes", "letter" (core.audit).
"""

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
