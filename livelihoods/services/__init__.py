"""Grants from draft to outcome, their tranches, follow-up visits and member logins.

Every state change adds a GrantEvent: the timeline shows who, when and why. The
modules are split by subject; their public names are kept here, so callers write
`services.approve_grant(...)` as before.
"""

from livelihoods.services.follow_ups import (
    FOLLOW_UP_NOTICES,
    VISIT_TAKEN,
    list_due,
    list_visits,
    mark_missed,
    member_card,
    record_visit,
    reschedule_grant_checks,
    schedule_grant_checks,
    undo_missed,
    visible_follow_ups,
)
from livelihoods.services.grants import (
    DEFAULT_CHECK_MONTHS,
    add_months,
    approve_grant,
    close_grant,
    draft_grant,
    reject_grant,
    return_grant,
    submit_grant,
    update_draft,
    visible_grants,
)
from livelihoods.services.members import (
    clear_member_texts,
    set_member_pin,
)
from livelihoods.services.tranches import (
    correct_tranche,
    record_tranche,
)

__all__ = [
    "DEFAULT_CHECK_MONTHS",
    "FOLLOW_UP_NOTICES",
    "VISIT_TAKEN",
    "add_months",
    "approve_grant",
    "clear_member_texts",
    "close_grant",
    "correct_tranche",
    "draft_grant",
    "list_due",
    "list_visits",
    "mark_missed",
    "member_card",
    "record_tranche",
    "record_visit",
    "reject_grant",
    "reschedule_grant_checks",
    "return_grant",
    "schedule_grant_checks",
    "set_member_pin",
    "submit_grant",
    "undo_missed",
    "update_draft",
    "visible_follow_ups",
    "visible_grants",
]
