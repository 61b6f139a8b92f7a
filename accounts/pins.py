"""Member PINs: six digits that are not among the first an attacker would try."""

import calendar
import re

from flask_babel import lazy_gettext as _l

PIN_PATTERN = re.compile(r"[0-9]{6}")
TRIVIAL_PIN = _l(
    "This PIN is too easy to guess (like 111111, 123456 or 121212). "
    "Choose 6 digits without a pattern."
)

# The most used six-digit PINs that the patterns below do not already catch: keypad
# shapes, mirrored runs and famous numbers (from published analyses of leaked PINs).
_COMMON = """
    112233 123123 123321 121212 131313 101010 110011 100100 100200 200200
    147258 147369 147852 147963 159357 159753 159951 258369 258456 258852
    321321 321654 369258 369369 456123 456654 456789 654321 654456 741852
    741963 753159 753951 789456 789654 789987 852456 852741 951357 951753
    963741 963852 987654 987789 123654 123789 124578 125478 142536 147147
    159159 198019 199119 202020 520520 520131 131420 168168 888999 999888
    696969 112358 314159 271828 102030 010203 030201 100000 200000 123000
    000123 111000 000111 222333 333222 123456 654123 135790 246800 098765
"""
COMMON_PINS = frozenset(_COMMON.split())
DATE_PIN = _l(
    "This PIN reads as a date (like 250394 or 940325), such as a birthday: someone who "
    "knows the member would try it first. Choose 6 digits that are not a date."
)


def _is_day(day: int, month: int) -> bool:
    """A day of a month in some year (29 February included)."""
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]


def _is_year(year: int) -> bool:
    return 1900 <= year <= 2099


def looks_like_date(pin: str) -> bool:
    """True for every way a date is written in 6 digits: DDMMYY (250394), MMDDYY
    (032594), YYMMDD (940325), day and month of one digit with the year (131994 for
    1/3/1994, either order), and month with the year (031994, 199403)."""
    if not (len(pin) == 6 and pin.isascii() and pin.isdigit()):
        return False
    a, b, c = int(pin[0:2]), int(pin[2:4]), int(pin[4:6])
    two_digit_year = _is_day(a, b) or _is_day(b, a) or _is_day(c, b)
    month_and_year = (1 <= a <= 12 and _is_year(int(pin[2:]))) or (
        _is_year(int(pin[:4])) and 1 <= c <= 12
    )
    d, m = int(pin[0]), int(pin[1])
    digits_and_year = (_is_day(d, m) or _is_day(m, d)) and _is_year(int(pin[2:]))
    return two_digit_year or month_and_year or digits_and_year


def _counted() -> frozenset[str]:
    """Numbers counted up or down and written one after another: 123456, 987654,
    246810, 135791, 101112, 201918; and digit by digit modulo 10: 789012, 975319."""
    found = set()
    for step in (-3, -2, -1, 1, 2, 3):
        for start in range(100):
            text, n = "", start
            while len(text) < 6 and n >= 0:
                text += str(n)
                n += step
            if len(text) >= 6:
                found.add(text[:6])
        for first in range(10):
            found.add("".join(str((first + i * step) % 10) for i in range(6)))
    return frozenset(found)


COUNTED = _counted()


def is_trivial_pin(pin: str) -> bool:
    """True for PINs an attacker tries first: repeats, runs, patterns, common PINs."""
    if len(set(pin)) <= 2:
        return True  # 111111, 121212, 112211, 000100…
    if pin == pin[:2] * 3 or pin == pin[:3] * 2:
        return True  # 121212, 246246
    if pin == pin[::-1]:
        return True  # 123321
    if pin[0::2] == pin[1::2]:
        return True  # 112233, 778899
    return pin in COUNTED or pin in COMMON_PINS


def pin_problem(pin: str):
    """Why this PIN is refused (a message to show), or None if it is acceptable."""
    if not PIN_PATTERN.fullmatch(pin or ""):
        return _l("The PIN is 6 digits.")
    if is_trivial_pin(pin):
        return TRIVIAL_PIN
    if looks_like_date(pin):
        return DATE_PIN
    return None


def pin_is_acceptable(pin: str) -> bool:
    """Six ASCII digits, not trivial and not a date."""
    return pin_problem(pin) is None
