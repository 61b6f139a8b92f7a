from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from core.dates import PLAN_DAYS, DayField
from core.forms import Form, at_most, choices
from groups.forms import enum_choices
from plans.models import ActionKind, ActionStatus, CloseReason, Progress
from support.models.screening import Dimension, SupportType

ENTER_DATE = _l("Enter the date.")


def _notes(label, description=None):
    return TextAreaField(
        label,
        description=description,
        validators=[Optional(), at_most(2000)],
        filters=[lambda v: v or None],
    )


class OpenPlanForm(Form):
    opened_on = DayField(_l("Date the plan was agreed"), validators=[InputRequired(ENTER_DATE)])
    next_review_on = DayField(
        _l("First review on"), validators=[InputRequired(ENTER_DATE)], ahead_days=PLAN_DAYS
    )
    notes = _notes(
        _l("Protection notes"),
        _l("Only coordinators will see these notes. Leave empty if there is nothing to add."),
    )
    submit = SubmitField(_l("Open the plan"))


class GoalForm(Form):
    dimension = RadioField(
        _l("Area"),
        choices=enum_choices(Dimension),
        validators=[InputRequired(_l("Choose the area."))],
    )
    description = TextAreaField(
        _l("Goal"),
        description=_l(
            "In the member's own words, for example: a steady income from raising pigs."
        ),
        validators=[at_most(300)],
    )
    target_on = DayField(
        _l("To reach by (if agreed)"), validators=[Optional()], ahead_days=PLAN_DAYS
    )
    submit = SubmitField(_l("Add the goal"))


class ActionForm(Form):
    kind = RadioField(
        _l("Kind of action"),
        choices=enum_choices(ActionKind),
        validators=[InputRequired(_l("Choose the kind of action."))],
    )
    description = TextAreaField(
        _l("What is to be done"),
        description=_l("For a referral this is the reason, and the letter will show it."),
        validators=[at_most(300)],
    )
    due_on = DayField(_l("Due by"), validators=[InputRequired(ENTER_DATE)], ahead_days=PLAN_DAYS)
    responsible_id = SelectField(
        _l("Person responsible (something to do, or a visit)"), choices=[], validate_choice=False
    )
    provider_id = SelectField(
        _l("Service provider (a referral)"), choices=[], validate_choice=False
    )
    service = SelectField(
        _l("Service needed (a referral)"),
        choices=choices([("", _l("Choose…"))]) + enum_choices(SupportType),
        validate_choice=False,
    )
    submit = SubmitField(_l("Add the action"))


class ChangeActionForm(Form):
    description = TextAreaField(_l("What is to be done"), validators=[at_most(300)])
    due_on = DayField(_l("Due by"), validators=[InputRequired(ENTER_DATE)], ahead_days=PLAN_DAYS)
    responsible_id = SelectField(_l("Person responsible"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Save"))


class SettleActionForm(Form):
    to_status = RadioField(
        _l("What happened"),
        choices=enum_choices(s for s in ActionStatus if s != ActionStatus.OPEN),
        validators=[InputRequired(_l("Choose what happened."))],
    )
    on = DayField(_l("Date"), validators=[InputRequired(ENTER_DATE)])
    submit = SubmitField(_l("Save"))


def review_form(goals, formdata=None):
    """A review: a radio group per open goal (field goal<id>), dates and notes."""

    class ReviewForm(Form):
        reviewed_on = DayField(_l("Date of the review"), validators=[InputRequired(ENTER_DATE)])
        next_review_on = DayField(
            _l("Next review on"), validators=[InputRequired(ENTER_DATE)], ahead_days=PLAN_DAYS
        )
        notes = _notes(_l("Protection notes"), _l("Only coordinators will see these notes."))
        submit = SubmitField(_l("Save the review"))

    for goal in goals:
        field = RadioField(
            goal.description,
            choices=choices((p.value, p.label) for p in Progress),
            validators=[InputRequired(_l("Say how this goal is going."))],
        )
        setattr(ReviewForm, f"goal{goal.id}", field)
    return ReviewForm(formdata=formdata) if formdata is not None else ReviewForm()


class ClosePlanForm(Form):
    reason = RadioField(
        _l("Why the plan is closed"),
        choices=enum_choices(CloseReason),
        validators=[InputRequired(_l("Choose why."))],
    )
    closed_on = DayField(_l("Date"), validators=[InputRequired(ENTER_DATE)])
    submit = SubmitField(_l("Close the plan"))
