from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional

from accounts.forms import NewPasswordMixin, NewUserForm, UserForm
from core.dates import PLAN_DAYS, DayField
from core.forms import Form, at_most, choices
from groups.forms import optional_text
from support.models.provider_side import DeclineReason
from support.services.messages import MAX_MESSAGE


def _date(label):
    return DayField(label, validators=[InputRequired(message=_l("Enter the date."))])


def _note(label, **kwargs):
    return TextAreaField(
        label,
        validators=[Optional(), at_most(2000)],
        filters=[lambda v: v or None],
        **kwargs,
    )


class LinkCodeForm(Form):
    code = StringField(
        _l("Code printed on the letter"),
        validators=[DataRequired(message=_l("Enter the code.")), at_most(20)],
    )
    submit = SubmitField(_l("Open the referral"))


class AcknowledgeForm(Form):
    on = _date(_l("Date received"))
    submit = SubmitField(_l("We received this referral"))


class AcceptForm(Form):
    on = _date(_l("Date accepted"))
    submit = SubmitField(_l("We accept this referral"))


class DeclineForm(Form):
    on = _date(_l("Date"))
    reason = SelectField(
        _l("Why we cannot help"),
        choices=choices([("", _l("Choose…"))] + [(r.value, r.label) for r in DeclineReason]),
        validate_choice=False,  # the service says "a reason from the list"
    )
    note = _note(_l("More about the reason"))
    submit = SubmitField(_l("Decline the referral"))


class ServiceForm(Form):
    service_given = TextAreaField(
        _l("Service given"),
        validators=[DataRequired(message=_l("Write what service was given.")), at_most(2000)],
    )
    on = _date(_l("Date of the service"))
    served_by = optional_text(120, _l("Given by"), description=_l("Name or job of the person"))
    next_appointment_on = DayField(
        _l("Next appointment"), validators=[Optional()], ahead_days=PLAN_DAYS
    )
    submit = SubmitField(_l("Record the service and close"))


FORMS = {
    "acknowledge": AcknowledgeForm,
    "accept": AcceptForm,
    "decline": DeclineForm,
    "served": ServiceForm,
}


class ProviderAccountForm(NewPasswordMixin, Form):
    username = NewUserForm.username
    full_name = UserForm.full_name
    submit = SubmitField(_l("Create the account"))


class MessageForm(Form):
    """A message on a referral's thread, from the provider or the case team."""

    body = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(message=_l("Write your message first. Nothing was sent.")),
            at_most(MAX_MESSAGE),
        ],
        description=_l("Plain text. Write only what the referral needs."),
    )
    submit = SubmitField(_l("Send the message"))


class StaffActiveForm(Form):
    """Deactivate a provider's staff account, or make it active again: `active` says which."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])
