"""Forms of the import pages: the upload, the column choices, the places asked."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField
from wtforms.validators import InputRequired

from core.forms import Form, choices
from imports.columns import Kind


class UploadForm(Form):
    kind = RadioField(
        _l("What the file lists"),
        choices=[],
        validators=[InputRequired(message=_l("Choose what the file lists."))],
    )
    file = FileField(
        _l("File (.xlsx, .xls or .csv, at most 5 MB)"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )

    def __init__(self, kinds, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((k.value, k.label) for k in kinds)
        if self.kind.data is None and len(kinds) == 1:
            self.kind.data = kinds[0].value


class ConfirmForm(Form):
    """A button that posts: CSRF only (mapping, answers, import, discard)."""


def kind_of(value: str) -> Kind | None:
    return Kind(value) if value in Kind._value2member_map_ else None
