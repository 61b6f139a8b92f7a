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
