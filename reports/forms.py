"""The forms of the exports: the personal export's, and what they read (a month, a group)."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from core.clock import today
from core.dates import first_day
from core.db import db
from core.forms import Form, choices
from core.parse import parse_int
from groups.models import Group

REASON_MIN = 15

FORMAT_LABELS = {"xlsx": _l("Excel (XLSX)"), "csv": _l("CSV"), "html": _l("Page to print")}
# As templates/macros/files.html says it beside every other choice of file.
CSV_NOTE = _l(
    "CSV is for other programs: dates are written 2026-12-05, decimals with a point (0.4667)"
    " and phone numbers 0912-345-678. To open the table in Excel or LibreOffice, choose"
    " Excel (XLSX)."
)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def parse_month(raw: str) -> date:
    """The first day of the month written YYYY-MM (this month when empty), within the
    programme's years; else ValueError with the message to show."""
    if not raw:
        return today().replace(day=1)
    match = _MONTH.fullmatch(raw.strip())
    month = int(match.group(2)) if match else 0
    if not match or not 1 <= month <= 12:
        raise ValueError(_("Enter the month as year-month, for example 2026-03."))
    chosen = date(int(match.group(1)), month, 1)
    if chosen < first_day().replace(day=1) or chosen > today().replace(day=1):
        raise ValueError(_("Choose a month between the programme's start and now."))
    return chosen


# A group's code as typed where there is no list to choose from (HUE-N012, any case).
GROUP_CODE = re.compile(r"[A-Z]{1,6}-N[0-9]{3,6}")


def lookup_group(raw: str) -> Group | None:
    """The group whose id or code (any case) this is, seen or not; None if none."""
    raw = raw.strip()
    if GROUP_CODE.fullmatch(raw.upper()):
        return db.session.scalar(select(Group).where(Group.code == raw.upper()))
    group_id = parse_int(raw, minimum=1)
    return None if group_id is None else db.session.get(Group, group_id)


class GroupField(SelectField):
    """A list of groups where they are few; where they are too many to list, the view
    gives it a text widget and the group's code is typed (see group_choices_for_exports)."""

    def _value(self):
        return self.data or ""


class PersonalExportForm(Form):
    table = SelectField(
        _l("Table"),
        choices=choices(
            [
                ("members", _l("Members with names and phones")),
                ("register", _l("Attendance register with names")),
            ]
        ),
    )
    format = SelectField(
        _l("File"), choices=choices(FORMAT_LABELS.items()), description=CSV_NOTE
    )
    group = GroupField(_l("Group"), validate_choice=False)
    month = StringField(
        _l("Month (for the register)"), description=_l("Year-month, for example 2026-03.")
    )
    confirm = BooleanField(
        _l("I need the names and phone numbers of these people for my work"),
        validators=[DataRequired(_l("Tick this to confirm that you need personal data."))],
    )
    reason = TextAreaField(
        _l("Why do you need them?"),
        description=_l(
            "Recorded in the audit log with your name. Say what for, not about whom: no names here."
        ),
        validators=[
            InputRequired(_l("Say why you need names and phones.")),
            Length(
                min=REASON_MIN,
                max=300,
                message=_l("Write a reason of 15 to 300 characters."),
            ),
        ],
    )

    def validate_group(self, field):
        if self.table.data == "register" and not field.data:
            raise ValidationError(_("Choose a group."))
        if field.data and lookup_group(field.data) is None:  # another's: 403 below
            raise ValidationError(_("No group has this code. Type it as on the group's page."))

    def validate_month(self, field):
        if self.table.data == "register":
            try:
                parse_month(field.data or "")
            except ValueError as error:
                raise ValidationError(str(error)) from None

    def validate_format(self, field):
        if field.data == "html" and self.table.data != "register":
            raise ValidationError(_("Only the register can be printed as a page."))
