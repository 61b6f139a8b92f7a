from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from accounts.models import Role
from core.forms import Form, choices
from core.parse import to_int

PASSWORD_RULE = Length(min=10, max=128, message=_l("Use between 10 and 128 characters."))


class LoginForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Enter your username.")), Length(max=40)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=128)],
    )
    submit = SubmitField(_l("Log in"))


class MemberLoginForm(Form):
    code = StringField(
        _l("Member code"),
        validators=[DataRequired(message=_l("Enter your member code.")), Length(max=40)],
        description=_l("For example HUE-2026-0042."),
    )
    pin = PasswordField(
        _l("PIN"), validators=[DataRequired(message=_l("Enter your PIN.")), Length(max=128)]
    )
    submit = SubmitField(_l("Log in"))


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a password.")), PASSWORD_RULE],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )


class ChangePasswordForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=128)],
    )
    submit = SubmitField(_l("Change password"))

    def validate_new_password(self, field):
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("Choose a password different from the current one."))


class ResetPasswordForm(NewPasswordMixin, Form):
    submit = SubmitField(_l("Set temporary password"))


def role_choices():
    return choices((r.value, r.label) for r in Role if r != Role.MEMBER)


class UserForm(Form):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter the full name.")),
            Length(max=120, message=_l("Use at most 120 characters.")),
        ],
    )
    role = SelectField(_l("Role"))
    provinces = SelectMultipleField(
        _l("Provinces (coordinators)"),
        coerce=to_int,
        description=_l("A coordinator sees the groups and members of these provinces."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, province_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
        self.provinces.choices = choices(province_choices)

    def validate_provinces(self, field):
        if self.role.data == Role.COORDINATOR and not field.data:
            raise ValidationError(_l("Choose at least one province for a coordinator."))


class NewUserForm(NewPasswordMixin, UserForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Enter a username.")),
            Length(min=3, max=40, message=_l("Use between 3 and 40 characters.")),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message=_l(
                    "Use only letters without accents, digits, dots, dashes and underscores."
                ),
            ),
        ],
    )


class ConfirmForm(Form):
    """An empty form: a button with CSRF protection."""

    submit = SubmitField(_l("Confirm"))


class TwoFactorCodeForm(Form):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=40)],
        description=_l(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
    )
    submit = SubmitField(_l("Continue"))


class EnrolTwoFactorForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=40)],
        description=_l("After scanning, the app shows 6 digits that change every 30 seconds."),
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class CurrentCodeForm(Form):
    """Confirms a change to two-factor sign-in with a current code from the app."""

    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=40)],
    )
    submit = SubmitField(_l("Confirm"))
