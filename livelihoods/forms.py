from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from core.clock import today
from core.forms import Form, choices
from groups.forms import enum_choices
from livelihoods.models import Activity, Method, Outcome

MAX_VND = 1_000_000_000  # one billion đồng: far above any livelihood grant


class AmountField(IntegerField):
    """Whole đồng; accepts 1.500.000, 1,500,000 and 1 500 000 as typed on a phone.

    A text box with a numeric keypad: a number box would refuse or mangle the dots.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [
                v.replace(".", "").replace(",", "").replace(" ", "").strip() for v in valuelist
            ]
        super().process_formdata(valuelist)


def money(label, *, required=True, minimum=1, description=None, presence=None):
    """An amount field; `presence` replaces the required/optional check when it depends
    on another field."""
    validators = [
        presence
        or (InputRequired(message=_l("Enter the amount in đồng.")) if required else Optional())
    ]
    validators.append(
        NumberRange(
            min=minimum,
            max=MAX_VND,
            message=_l("Enter an amount in đồng, at most one billion."),
        )
    )
    return AmountField(
        label, validators=validators, description=description, render_kw={"inputmode": "numeric"}
    )


def not_future(form, field):
    if field.data and field.data > today():
        raise ValidationError(_l("The date cannot be in the future."))


class GrantForm(Form):
    activity = SelectField(_l("Activity"), choices=enum_choices(Activity))
    plan = TextAreaField(
        _l("Business plan"),
        validators=[
            DataRequired(message=_l("Describe the plan: what, where, costs and expected income.")),
            Length(max=4000, message=_l("Use at most %(max)d characters.", max=4000)),
        ],
    )
    amount_requested = money(_l("Amount requested (đồng)"))
    version = HiddenField()
    submit = SubmitField(_l("Save draft"))


def needed_to_approve(form, field):
    """Required when approving, ignored otherwise."""
    if field.data is None:
        if form.decision.data == "approve":
            raise StopValidation(_l("Enter the amount approved."))
        raise StopValidation()


class DecisionForm(Form):
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [
                ("approve", _l("Approve")),
                ("return", _l("Send back for correction")),
                ("reject", _l("Do not approve")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    amount = money(
        _l("Amount approved (đồng)"),
        description=_l("May differ from the amount requested."),
        presence=needed_to_approve,
    )
    note = TextAreaField(
        _l("Reason or note"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Use at most %(max)d characters.", max=1000)),
        ],
        filters=[lambda v: v or None],
        description=_l("Needed when sending back or not approving."),
    )
    submit = SubmitField(_l("Record the decision"))


class TrancheForm(Form):
    paid_on = DateField(
        _l("Paid on"), validators=[InputRequired(message=_l("Enter the date.")), not_future]
    )
    amount = money(_l("Amount (đồng)"))
    method = SelectField(_l("How"), choices=enum_choices(Method))
    purchased = StringField(
        _l("What was bought"),
        validators=[
            Optional(),
            Length(max=300, message=_l("Use at most %(max)d characters.", max=300)),
        ],
        filters=[lambda v: v or None],
        description=_l("For example: 2 piglets, feed."),
    )
    submit = SubmitField(_l("Save"))


class VisitForm(Form):
    visited_on = DateField(
        _l("Visited on"), validators=[InputRequired(message=_l("Enter the date.")), not_future]
    )
    business_status = SelectField(
        _l("The business is"), choices=choices([("", "—"), *((o.value, o.label) for o in Outcome)])
    )
    monthly_income = money(_l("Income last month (đồng)"), required=False, minimum=0)
    notes = TextAreaField(
        _l("Notes"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Use at most %(max)d characters.", max=2000)),
        ],
        filters=[lambda v: v or None],
    )
    submit = SubmitField(_l("Save visit"))


class MissedForm(Form):
    reason = TextAreaField(
        _l("Why could the visit not happen?"),
        validators=[
            DataRequired(message=_l("Say why the visit could not happen.")),
            Length(max=1000, message=_l("Use at most %(max)d characters.", max=1000)),
        ],
        description=_l("For example: nobody at home, moved away, refused the visit."),
    )
    submit = SubmitField(_l("Yes, the visit could not happen"))


class SubmitGrantForm(Form):
    submit = SubmitField(_l("Yes, send it for a decision"))


class CloseForm(Form):
    outcome = SelectField(_l("Outcome"), choices=enum_choices(Outcome))
    note = TextAreaField(
        _l("Note"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Use at most %(max)d characters.", max=1000)),
        ],
        filters=[lambda v: v or None],
    )
    submit = SubmitField(_l("Close the grant"))


class PinForm(Form):
    pin = PasswordField(
        _l("New PIN (6 digits)"),
        validators=[
            DataRequired(message=_l("Enter a PIN.")),
            Regexp(r"^[0-9]{6}$", message=_l("The PIN is 6 digits.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the PIN"), validators=[DataRequired(message=_l("Repeat the PIN."))]
    )
    submit = SubmitField(_l("Set PIN"))

    def validate_confirm(self, field):
        if field.data != self.pin.data:
            raise ValidationError(_l("The two PINs are not the same."))
