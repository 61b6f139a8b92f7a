from flask_babel import LazyString


class GroupsError(Exception):
    """A change refused by a rule of the domain; message is for the user, field for the form."""

    def __init__(self, message: LazyString | str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class StaleEdit(GroupsError):
    """Someone else saved the record after this form was opened."""
