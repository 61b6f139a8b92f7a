from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
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
    Optional,
    StopValidation,
    ValidationError,
)

from accounts.pins import pin_problem
from core import clock
from core.dates import DayField
from core.forms import Form, at_most, choices
from core.money import AmountField
from groups.forms import enum_choices
from livelihoods.models import Activity, Method, Outcome


def money(label, *, required=True, minimum=1, description=None, presence=None):
    """An amount field; `presence` replaces the required/optional check when it depends
    on another field."""
    validators = [
        presence
        or (InputRequired(message=_l("Enter the amount in đồng.")) if required else Optional())
    ]
    return AmountField(label, validators=validators, description=description, minimum=minimum)


class GrantForm(Form):
    activity = SelectField(_l("Activity"), choices=enum_choices(Activity))
    plan = TextAreaField(
        _l("Business plan"),
        validators=[
            DataRequired(message=_l("Describe the plan: what, where, costs and expected income.")),
            at_most(4000),
        ],
    )
    amount_requested = money(_l("Amount requested (đồng)"))
    planned_income = money(
        _l("Income expected per month (đồng)"),
        required=False,
        description=_l("What the plan expects the business to earn in a month once it runs."),
    )
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
            at_most(1000),
        ],
        filters=[lambda v: v or None],
        description=_l("Needed when sending back or not approving."),
    )
    on = DayField(
        _l("Day of the decision"),
        validators=[Optional()],
        default=clock.today,
        description=_l("The day it was decided, if it was not today."),
    )
    version = HiddenField()  # the grant as the page showed it (views.unchanged_since_opened)
    submit = SubmitField(_l("Record the decision"))


class TrancheForm(Form):
    paid_on = DayField(_l("Paid on"), validators=[InputRequired(message=_l("Enter the date."))])
    amount = money(_l("Amount (đồng)"))
    method = SelectField(_l("How"), choices=enum_choices(Method))
    purchased = StringField(
        _l("What was bought"),
        validators=[
            Optional(),
            at_most(300),
        ],
        filters=[lambda v: v or None],
        description=_l("For example: 2 piglets, feed."),
    )
    submit = SubmitField(_l("Save"))


class VisitForm(Form):
    visited_on = DayField(
        _l("Visited on"), validators=[InputRequired(message=_l("Enter the date."))]
    )
    business_status = SelectField(
        _l("The business is"), choices=choices([("", "—"), *((o.value, o.label) for o in Outcome)])
    )
    monthly_income = money(_l("Income last month (đồng)"), required=False, minimum=0)
    notes = TextAreaField(
        _l("Notes"),
        validators=[
            Optional(),
            at_most(2000),
        ],
        filters=[lambda v: v or None],
    )
    submit = SubmitField(_l("Save visit"))


class MissedForm(Form):
    reason = TextAreaField(
        _l("Why could the visit not happen?"),
        validators=[
            DataRequired(message=_l("Say why the visit could not happen.")),
            at_most(1000),
        ],
        description=_l("For example: nobody at home, moved away, refused the visit."),
    )
    on = DayField(
        _l("Day it could not happen"),
        validators=[Optional()],
        default=clock.today,
        description=_l("If it was not today."),
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
            at_most(1000),
        ],
        filters=[lambda v: v or None],
    )
    on = DayField(
        _l("Day it was closed"),
        validators=[Optional()],
        default=clock.today,
        description=_l("If it was not today."),
    )
    submit = SubmitField(_l("Close the grant"))


class PinForm(Form):
    pin = PasswordField(
        _l("New PIN (6 digits)"),
        validators=[
            DataRequired(message=_l("Enter a PIN.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the PIN"), validators=[DataRequired(message=_l("Repeat the PIN."))]
    )
    submit = SubmitField(_l("Set PIN"))

    def validate_pin(self, field):
        problem = pin_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)

    def validate_confirm(self, field):
        if field.data != self.pin.data:
            raise ValidationError(_l("The two PINs are not the same."))
