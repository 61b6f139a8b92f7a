from flask_babel import lazy_gettext as _l

from core.errors import DomainError

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


class StaleEdit(DomainError):
    """Someone else saved the record after this form was opened."""

    def __init__(self, obj):
        super().__init__(STALE_MESSAGES[obj.__tablename__])
