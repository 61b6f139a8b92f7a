from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from core.dates import PLAN_DAYS, DayField
from core.forms import Form, at_most, choices
from core.parse import parse_int
from groups.forms import enum_choices, optional_text
from support.models.referrals import ProviderType, ReferralStatus
from support.models.screening import SupportType


class StartScreeningForm(Form):
    # The version the page was shown with: a version retired meanwhile is refused.
    version_id = HiddenField()
    screened_on = DayField(
        _l("Date of the screening"),
        validators=[InputRequired(message=_l("Enter the date."))],
    )
    submit = SubmitField(_l("Start the screening"))

    @property
    def version_number(self) -> int | None:
        return parse_int(self.version_id.data or "")


def section_form(section, formdata=None):
    """A form with one radio group per question of the page: field q<question id>."""

    class SectionForm(Form):
        pass

    for question in section.questions:
        field = RadioField(
            question.text,
            choices=choices((str(o.id), o.text) for o in question.options),
            validators=[InputRequired(message=_l("Choose an answer."))],
            validate_choice=False,  # the service says "one of the answers shown"
        )
        setattr(SectionForm, f"q{question.id}", field)
    SectionForm.back = SubmitField(_l("Back"))
    SectionForm.submit = SubmitField(_l("Save and continue"))
    return SectionForm(formdata=formdata) if formdata is not None else SectionForm()


class CompleteScreeningForm(Form):
    submit = SubmitField(_l("Finish the screening"))


class SharingConsentForm(Form):
    provider_id = SelectField(_l("Service provider"), choices=[], validate_choice=False)
    given_on = DayField(
        _l("Date consent was given"),
        validators=[InputRequired(message=_l("Enter the date."))],
    )
    confirm = BooleanField(
        _l(
            "The member agreed to share their name, age and the reason for the referral "
            "with this provider."
        ),
        validators=[DataRequired(message=_l("Ask the member first, then tick the box."))],
    )
    submit = SubmitField(_l("Record consent"))


class ReferralForm(Form):
    provider_id = SelectField(_l("Service provider"), choices=[], validate_choice=False)
    service = SelectField(_l("Service needed"), choices=enum_choices(SupportType))
    reason = TextAreaField(
        _l("Reason for the referral"),
        description=_l("Only what the provider needs to know. The letter will show it."),
        validators=[DataRequired(message=_l("Write the reason.")), at_most(2000)],
    )
    expected_on = DayField(
        _l("Expected response by"),
        validators=[InputRequired(message=_l("Enter the date."))],
        ahead_days=PLAN_DAYS,
    )
    submit = SubmitField(_l("Make the referral"))


class StatusForm(Form):
    to_status = RadioField(
        _l("What happened"),
        choices=enum_choices(s for s in ReferralStatus if s != ReferralStatus.REFERRED),
        validators=[InputRequired(message=_l("Choose what happened."))],
    )
    on = DayField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    note = TextAreaField(
        _l("Outcome or note"), validators=[Optional(), at_most(2000)], filters=[lambda v: v or None]
    )
    version = HiddenField()  # the referral as the page showed it (a provider may answer meanwhile)
    submit = SubmitField(_l("Save"))


class ProviderForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter the name.")), at_most(160)]
    )
    kind = SelectField(_l("Type"), choices=enum_choices(ProviderType))
    province_code = SelectField(_l("Province"), choices=[], validate_choice=False)
    address = optional_text(200, _l("Address"))
    phone = optional_text(20, _l("Phone"))
    email = optional_text(120, _l("Email"))
    contact_person = optional_text(120, _l("Contact person"))
    opening_days = optional_text(
        120, _l("Opening days"), description=_l("For example: Mon–Fri, 7:30–17:00")
    )
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))
