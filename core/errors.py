from flask_babel import LazyString


class DomainError(Exception):
    """A change refused by a rule of the domain; message is for the user, field for the form.

    The message stays lazy: it is put into words in the language of whoever reads it,
    and raising works outside a request too (jobs, the CLI).
    """

    def __init__(self, message: LazyString | str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """A change that collides with one someone else saved first: answered 409, the form
    kept as typed so nothing has to be entered again."""
