"""WTForms' built-in messages, listed so our catalog carries them in Vietnamese.

WTForms ships no Vietnamese; core.forms.Form routes its messages through our catalog.
"""


def N_(message: str) -> str:  # noqa: N802 - the gettext marker name Babel extracts
    return message


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


MESSAGES = (
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
)

PLURAL_MESSAGES = (
    ngettext_noop(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
    ),
    ngettext_noop(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
    ),
    ngettext_noop(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
    ),
    ngettext_noop(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
    ),
)
