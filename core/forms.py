"""The base form: CSRF from Flask-WTF, and every text field cleaned on input."""

from flask import request
from flask_babel import LazyString, format_decimal, get_translations, lazy_ngettext
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import HiddenInput

from core import drafts
from core.security import clean_text
from core.submissions import MALFORMED, malformed_key, new_key


def strip_text(value):
    value = clean_text(value)
    return value.strip() if isinstance(value, str) else value


class CatalogTranslations:
    """Give WTForms' own messages (which ship no Vietnamese) from our catalog."""

    # WTForms fills the placeholders itself, so no formatting here.
    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    # Drawn with the form, sent back with it: the same form sent twice saves once
    # (core.submissions). Forms that only read (csrf off, sent by GET) do without.
    submission = HiddenField(default=new_key)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.meta.csrf:
            del self.submission

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "submission" in self._fields and malformed_key():
            # Not a key this app draws: refused, and the form shown again with a fresh
            # one, so that saving again (once checked) works.
            self.form_errors.append(str(MALFORMED))
            self.submission.data = new_key()
            return False
        return valid

    class Meta:
        def get_translations(self, form):
            return CatalogTranslations()

        def wrap_formdata(self, form, formdata):
            # A form kept when the session ended comes back filled in (core.drafts).
            if formdata is _Auto and drafts.restoring():
                return request.form
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            own = tuple(unbound_field.kwargs.get("filters", ()))
            if issubclass(field_class, PasswordField):
                options["filters"] = (clean_text, *own)
            elif issubclass(field_class, StringField | TextAreaField):
                options["filters"] = (strip_text, *own)
            return unbound_field.bind(form=form, **options)

    def hidden_tag(self, *fields):
        """The hidden fields, without ids: a page with several forms would repeat them."""
        chosen = [getattr(self, f) if isinstance(f, str) else f for f in fields] or list(self)
        return Markup(  # noqa: S704  # nosec B704 - WTForms widgets escape their values
            "\n".join(str(f(id=False)) for f in chosen if isinstance(f.widget, HiddenInput))
        )


def at_most(max_length: int) -> Length:
    """A length limit whose message counts in the reader's language: "Tối đa 4.000 ký tự"."""
    return Length(
        max=max_length,
        message=lazy_ngettext(
            "Use at most %(limit)s character.",
            "Use at most %(limit)s characters.",
            max_length,
            limit=LazyString(format_decimal, max_length),
        ),
    )


def choices(pairs) -> list[SelectChoice]:
    """Options for a select or radio field from (value, label) pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def search_text(args, name: str = "q", limit: int = 60) -> str:
    """A search term from the query string, cleaned like form input and cut to size."""
    return strip_text(args.get(name, ""))[:limit]
