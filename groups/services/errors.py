from flask_babel import lazy_gettext as _l

from core.errors import Conflict
from core.saving import STALE, on_duplicate

STALE_MESSAGES = {
    "groups": _l(
        "Someone else changed this group while you were editing. Your changes were not "
        "saved. The form below still has them: save again to keep them, or reload the "
        "page to see the saved details."
    ),
    "members": _l(
        "Someone else changed this member while you were editing. Your changes were not "
        "saved. The form below still has them: save again to keep them, or reload the "
        "page to see the saved details."
    ),
    "meetings": _l(
        "Someone else saved this meeting while you were editing it. Your changes were not "
        "saved. The form below still has them: compare with the saved meeting, then save "
        "again."
    ),
}


STALE.update(STALE_MESSAGES)

# Two requests at one instant (two taps, two phones): the second meets what the first saved.
on_duplicate(
    "uq_meetings_group_id_held_on_kind",
    _l("This group already has a meeting of this kind on that day. Open it to correct it."),
    "held_on",
    conflict=True,
)
on_duplicate(
    "uq_memberships_open_member",
    _l(
        "Someone else changed this member's group at the same moment. Nothing was saved; "
        "open the member again to see their group now."
    ),
)


class StaleEdit(Conflict):
    """Someone else saved the record after this form was opened."""

    def __init__(self, obj):
        super().__init__(STALE_MESSAGES[obj.__tablename__])
