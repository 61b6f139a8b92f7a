import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from accounts.models import Role
from core.forms import Form, at_most, choices
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


class ChooseOwnPasswordForm(NewPasswordMixin, Form):
    """After a temporary password: one's own, before anything else is set up."""

    submit = SubmitField(_l("Save my password"))


class ResetPasswordForm(NewPasswordMixin, Form):
    submit = SubmitField(_l("Set temporary password"))


def role_choices(current=None):
    """Staff roles. Provider staff are made from their provider's page (support), so
    that role is offered only to keep an existing provider account's."""
    return choices(
        (r.value, r.label)
        for r in Role
        if r != Role.MEMBER and (r != Role.PROVIDER or current == Role.PROVIDER)
    )


_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# After +84 or 84 becomes 0: mobiles 03x, 05x, 07x, 08x, 09x (10 digits), landlines
# 02xx (11 digits).
_VIETNAMESE_PHONE = re.compile(r"^0(?:[35789][0-9]{8}|2[0-9]{9})$")


def normalise_phone(value):
    """'+84 912.345.678' -> '0912345678'; anything else is left for the validator."""
    if not value:
        return None
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits if _VIETNAMESE_PHONE.match(digits) else value


def vietnamese_phone(form, field):
    if field.data and not _VIETNAMESE_PHONE.match(field.data):
        raise ValidationError(
            _l("Enter a Vietnamese phone number, for example 0912 345 678 or +84 912 345 678.")
        )


class ContactMixin:
    """Where reminders are emailed, and the number members may call."""

    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            at_most(254),
            Email(message=_l("Enter an email address such as name@example.org.")),
        ],
        filters=[lambda v: v or None],
        description=_l("Reminders are sent here by email, if the server sends email."),
    )
    phone = TelField(
        _l("Phone"),
        validators=[vietnamese_phone],
        filters=[normalise_phone],
        description=_l("Members of the groups you facilitate see this number to call you."),
    )


class ContactForm(ContactMixin, Form):
    submit = SubmitField(_l("Save"))


class UserForm(ContactMixin, Form):
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
        self.role.choices = role_choices(getattr(kwargs.get("obj"), "role", None))
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
        lazy_pgettext("two-factor", "Code"),
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
