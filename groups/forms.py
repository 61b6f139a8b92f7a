from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Optional,
    Regexp,
    ValidationError,
)

from core.clock import today
from core.dates import DayField
from core.forms import Form, at_most, choices
from core.parse import WholeNumberField, to_int
from groups.meeting_models import AttendanceStatus, MeetingKind
from groups.models import (
    WEEKDAYS,
    Cadence,
    ConsentPurpose,
    Gender,
    GroupRole,
    GroupStatus,
    MemberCategory,
)
from groups.services.meetings import MAX_DAYS_AHEAD


def enum_choices(enum):
    return choices((e.value, e.label) for e in enum)


def optional_text(max_length: int, label, **kwargs):
    return StringField(
        label,
        validators=[
            Optional(),
            at_most(max_length),
        ],
        filters=[lambda v: v or None],
        **kwargs,
    )


def weekday_or_none(value) -> int | None:
    """A weekday select's value: None for the empty choice of a group not set up."""
    return None if value in ("", None) else to_int(value)


class GroupForm(Form):
    name = StringField(
        _l("Group name"),
        validators=[
            DataRequired(message=_l("Enter the group's name.")),
            at_most(120),
        ],
        description=_l("A neutral name, such as the village: it is seen by others."),
    )
    province_code = SelectField(_l("Province"), coerce=to_int)
    commune_code = SelectField(_l("Commune or ward"), coerce=to_int, validate_choice=False)
    refresh = SubmitField(_l("Show the communes of this province"))
    village = optional_text(120, _l("Village or hamlet"))
    founded_on = DayField(
        _l("Founded on"), validators=[InputRequired(message=_l("Enter the founding date."))]
    )
    status = SelectField(_l("Status"), choices=enum_choices(GroupStatus))
    closed_on = DayField(
        _l("Day the group closed"),
        validators=[Optional()],
        description=_l("Only for a closed group: the day it stopped meeting. Left empty: today."),
    )
    cadence = SelectField(_l("Meeting schedule"), choices=enum_choices(Cadence))
    # Checked by the service (a day of the week, given with a cadence): a group not set up
    # yet offers "—" here.
    meeting_weekday = SelectField(
        _l("Meeting day"),
        coerce=weekday_or_none,
        choices=choices(enumerate(WEEKDAYS)),
        validate_choice=False,
    )
    partner = optional_text(
        160, _l("Partner organisation"), description=_l("For example the commune Women's Union.")
    )
    facilitator_ids = SelectMultipleField(_l("Facilitators"), coerce=to_int)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, provinces=(), communes=(), facilitators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.province_code.choices = choices((p.code, p.short_name) for p in provinces)
        self.commune_code.choices = choices(
            [(0, _l("Choose a commune")), *((c.code, c.short_name) for c in communes)]
        )
        self.facilitator_ids.choices = choices((u.id, u.full_name) for u in facilitators)

    def allow_no_schedule(self) -> None:
        """For a group not set up yet: its schedule may stay empty."""
        for field, label in ((self.cadence, _l("Not set up yet")), (self.meeting_weekday, "—")):
            field.choices = choices([("", label), *((c.value, c.label) for c in field.choices)])

    def validate_commune_code(self, field):
        if not field.data or field.data not in {c.value for c in self.commune_code.choices}:
            raise ValidationError(_l("Choose a commune of the chosen province."))


class MemberForm(Form):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter the full name.")),
            at_most(120),
        ],
    )
    gender = SelectField(_l("Gender"), choices=enum_choices(Gender))
    birth_year = WholeNumberField(_l("Year of birth"), validators=[Optional()])
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Regexp(r"^\+?[0-9 .]{8,15}$", message=_l("Enter a phone number of 8 to 15 digits.")),
        ],
        filters=[lambda v: v or None],
    )
    village = optional_text(
        120,
        _l("Village (thôn, xóm, tổ)"),
        description=_l("Where the member lives, for home visits."),
    )
    # No default: a preselected category would be recorded for anyone not looked at closely.
    category = SelectField(
        _l("Category"),
        choices=choices([("", _l("Choose…")), *((e.value, e.label) for e in MemberCategory)]),
        validators=[DataRequired(message=_l("Choose a category."))],
        description=_l(
            "Category 1: returned from being trafficked (as defined by the law on human "
            "trafficking). Category 2: a migrant in a vulnerable situation. Category 3: anyone "
            "else in the community."
        ),
    )
    notes = TextAreaField(
        _l("Notes"),
        validators=[
            Optional(),
            at_most(2000),
        ],
        filters=[lambda v: v or None],
        description=_l("Only what the work needs. Never write details of what happened."),
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate_birth_year(self, field):
        if field.data is not None and not 1920 <= field.data <= today().year:
            raise ValidationError(
                _l("Enter a year between %(min)s and %(max)s.", min=1920, max=today().year)
            )


# Consent to share with a provider is given for one provider of the directory, on the
# member's support page (support.views.referral_pages.record_sharing_consent), the consent
# a referral
# checks. The group's forms take the other purposes only (usability F9b: two ways to
# record sharing, one of them free text that no referral could use).
GROUP_PURPOSES = [p for p in ConsentPurpose if p != ConsentPurpose.PROVIDER_SHARING]


class NewMemberForm(MemberForm):
    joined_on = DayField(
        _l("Joined the group on"), validators=[InputRequired(message=_l("Enter the joining date."))]
    )
    role = SelectField(_l("Role in the group"), choices=enum_choices(GroupRole))
    consents = SelectMultipleField(
        _l("Consent given when joining"), choices=enum_choices(GROUP_PURPOSES)
    )
    # Asked only when someone of the same name and birth year is already in the group.
    different_person = BooleanField(_l("This is a different person with the same name"))


class MembershipForm(Form):
    action = RadioField(
        _l("What changes"),
        choices=choices(
            [
                ("role", _l("New role in the group")),
                ("move", _l("Moves to another group")),
                ("leave", _l("Leaves the group")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose what changes."))],
    )
    on = DayField(
        _l("Date of the change"), validators=[InputRequired(message=_l("Enter the date."))]
    )
    role = SelectField(_l("New role"), choices=enum_choices(GroupRole))
    group_id = SelectField(_l("Move to group"), coerce=to_int, validate_choice=False)
    group_code = optional_text(20, _l("Or the code of a group in another province"))
    reason = optional_text(200, _l("Reason for leaving"))
    submit = SubmitField(_l("Save"))



class ConsentForm(Form):
    purpose = SelectField(_l("Purpose"), choices=enum_choices(GROUP_PURPOSES))
    given_on = DayField(_l("Given on"), validators=[InputRequired(message=_l("Enter the date."))])
    submit = SubmitField(_l("Record consent"))



class WithdrawConsentForm(Form):
    on = DayField(_l("Withdrawn on"), validators=[InputRequired(message=_l("Enter the date."))])
    submit = SubmitField(_l("Withdraw consent"))


class MeetingForm(Form):
    """Meeting details; attendance comes as one radio group per member (att-<id>)."""

    held_on = DayField(
        _l("Date"),
        validators=[InputRequired(message=_l("Enter the date."))],
        ahead_days=MAX_DAYS_AHEAD,
    )
    kind = SelectField(_l("Type of meeting"), choices=enum_choices(MeetingKind))
    topics = TextAreaField(
        _l("Topics"),
        validators=[
            Optional(),
            at_most(2000),
        ],
        filters=[lambda v: v or None],
    )
    decisions = TextAreaField(
        _l("Decisions"),
        validators=[
            Optional(),
            at_most(2000),
        ],
        filters=[lambda v: v or None],
    )
    version = HiddenField()
    submit = SubmitField(_l("Save meeting"))


ATTENDANCE_PREFIX = "att-"
ATTENDANCE_CHOICES = list(AttendanceStatus)


class AnonymiseForm(Form):
    confirm = BooleanField(
        _l("I understand: the name, phone, year of birth and notes are erased for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Anonymise this member"))
