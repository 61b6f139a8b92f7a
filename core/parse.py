"""Numbers from people and browsers, read in one place: ASCII digits only, within a range.

`str.isdigit()` accepts "²" and "①", which `int()` then refuses; `int()` itself accepts
" 12", "1_000" and "١٢". Every id, version, page number and code read from a request
goes through parse_int instead.
"""

import re

from flask import request
from werkzeug.routing import IntegerConverter
from wtforms import IntegerField

# The largest id the tables hold: their primary keys are PostgreSQL INTEGER, and a
# larger number compared with one is an error there ("integer out of range"), not a miss.
MAX_ID = 2**31 - 1
# Province and commune codes are at most five digits.
PLACE_CODE_MAX = 99_999
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_int(value, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The integer written in ASCII digits (no sign, no spaces), if within range; else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if minimum <= number <= maximum else None


def to_int(value) -> int:
    """A `coerce` for select fields: like int(), but ASCII digits only and within MAX_ID."""
    number = parse_int(value)
    if number is None:
        raise ValueError("not a number")
    return number


def int_arg(name: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """An integer from the query string, or None when absent or malformed."""
    return parse_int(request.args.get(name, ""), minimum=minimum, maximum=maximum)


class WholeNumberField(IntegerField):
    """An integer box that reads ASCII digits only (WTForms' own accepts "١٢" and "1_0")."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0]
        if raw in ("", None):
            self.data = None
            return
        self.data = parse_int(raw)
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL: ASCII digits up to MAX_ID, so a larger number is a 404."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
