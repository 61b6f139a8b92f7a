"""Amounts of đồng as people type them, read in one place.

Accepted: 5000000, 5.000.000, 5,000,000, 5 000 000, 5.000.000đ, 5.000.000 ₫, 5 triệu,
5,5 triệu, 5.5tr, 500k, 500 nghìn, 1 tỷ, and the spoken shorthand 1tr5 (1.500.000), 2tr250
(2.250.000), 1 triệu 2 (1.200.000), 5k5 (5.500): digits after the unit are its next places.
Dots, commas and spaces between groups of three digits are thousands separators; with a
unit word, one separator followed by one or two digits is the decimal point ("5,5 triệu" =
5.500.000). Anything else is refused with one message, before any arithmetic on it: 400
digits never reach int() or a validator.
"""

import re
import unicodedata
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

MAX_VND = 1_000_000_000  # one billion đồng: far above any livelihood grant

_UNITS = {
    "nghìn": 1_000, "nghin": 1_000, "ngàn": 1_000, "ngan": 1_000, "k": 1_000,
    "triệu": 1_000_000, "trieu": 1_000_000, "tr": 1_000_000, "m": 1_000_000,
    "tỷ": 1_000_000_000, "tỉ": 1_000_000_000, "ty": 1_000_000_000, "ti": 1_000_000_000,
}  # fmt: skip
_CURRENCY = re.compile(r"(₫|đồng|dong|đ|vnđ|vnd)$")
_NUMBER_AND_UNIT = re.compile(r"([0-9][0-9., ]*?)\s*([^\W\d_]*)")
_GROUPED = re.compile(r"[0-9]{1,3}(?:([., ])[0-9]{3})(?:\1[0-9]{3})*")
_DECIMAL = re.compile(r"([0-9]{1,12})[.,]([0-9]{1,2})")
_MAX_CHARS = 40
# "1tr5", "2 triệu 250": a whole number, a unit, then up to three digits of the unit's
# fraction, as people say amounts aloud.
_SPOKEN = re.compile(r"([0-9]{1,12})\s*([^\W\d_]+)\s*([0-9]{1,3})")


class AmountError(ValueError):
    """The text is not an amount of đồng; the message says how to write one."""


UNREADABLE = _l("Write the amount in đồng, for example 1.500.000 or 1,5 triệu.")
TOO_LARGE = _l("Enter an amount in đồng, at most one billion.")


def parse_vnd(text: str) -> int:
    """The whole number of đồng the text means, or AmountError."""
    value = unicodedata.normalize("NFC", text or "").strip().lower()
    if len(value) > _MAX_CHARS and re.fullmatch(r"[0-9., ]+", value):
        raise AmountError(TOO_LARGE)
    if not value or len(value) > _MAX_CHARS:
        raise AmountError(UNREADABLE)
    value = _CURRENCY.sub("", value).strip()
    spoken = _SPOKEN.fullmatch(value)
    if spoken and spoken.group(2) in _UNITS:
        whole, unit, places = spoken.groups()
        amount = (Decimal(whole) + Decimal(places) / 10 ** len(places)) * _UNITS[unit]
        if amount != amount.to_integral_value():
            raise AmountError(UNREADABLE)
        if amount > 10**15:
            raise AmountError(TOO_LARGE)
        return int(amount)
    found = _NUMBER_AND_UNIT.fullmatch(value)
    if not found or (found.group(2) and found.group(2) not in _UNITS):
        raise AmountError(UNREADABLE)
    number, unit = found.group(1).strip(), _UNITS.get(found.group(2), 1)
    if number.isascii() and number.isdigit():
        amount = Decimal(number)
    elif _GROUPED.fullmatch(number):
        amount = Decimal(re.sub(r"[., ]", "", number))
    elif unit > 1 and _DECIMAL.fullmatch(number):
        whole, fraction = _DECIMAL.fullmatch(number).groups()
        amount = Decimal(f"{whole}.{fraction}")
    else:
        raise AmountError(UNREADABLE)
    if len(str(int(amount))) > 15:
        raise AmountError(TOO_LARGE)
    amount *= unit
    if amount != amount.to_integral_value():
        raise AmountError(UNREADABLE)
    return int(amount)


class AmountField(Field):
    """A text box (numeric keypad) for đồng: reads what people type, shows 5.000.000.

    One message per mistake: unreadable text, or an amount outside [minimum, maximum].
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, minimum=1, maximum=MAX_VND, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            # Blank or spaces only: nothing was typed, so InputRequired and Optional see none.
            self.data, self.raw_data = None, []
            return
        self.data = None
        if len(valuelist) > 1:
            raise AmountError(UNREADABLE)
        self.data = parse_vnd(valuelist[0])

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # its one message is already there

    def post_validate(self, form, validation_stopped):
        if validation_stopped or self.errors or self.data is None:
            return
        if self.data > self.maximum:
            self.errors.append(str(TOO_LARGE))
        elif self.data < self.minimum:
            self.errors.append(
                str(_l("Enter an amount above zero."))
                if self.minimum == 1
                else str(_l("Enter an amount of zero or more."))
            )

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, int):
            return format_decimal(self.data)
        return ""
