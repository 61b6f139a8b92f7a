"""Values out of register cells, with the traps Excel sets: phone numbers stored as numbers
(the leading 0 lost), dates typed as text day first, dates as serial numbers, years of
birth as text or as "1990.0". Each function returns None for what it cannot read.
"""

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from core import clock
from core.text import fold

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1 January 1900 (Excel's 1900 leap bug aside)
FIRST_YEAR, LAST_YEAR = 1900, 2100


def text(cell) -> str | None:
    """The cell as text: whole numbers without ".0", dates day first."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    value = " ".join(str(cell).split())
    return value or None


def whole_number(cell) -> int | None:
    """An int from 1990, 1990.0, "1990" or "1990.0"; ASCII digits only."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, str):
        found = re.fullmatch(r"\s*([0-9]{1,12})(?:[.,]0+)?\s*", cell)
        return int(found.group(1)) if found else None
    return None


def birth_year(cell, today: date) -> int | None:
    if isinstance(cell, datetime | date):
        year = cell.year
    else:
        year = whole_number(cell)
        if year is None and isinstance(cell, str):
            day = day_of(cell)  # "12/03/1990": a full date of birth
            year = day.year if day else None
    if year is None or not FIRST_YEAR <= year <= today.year:
        return None
    return year


def _from_serial(number: int) -> date | None:
    if not 1 <= number <= 80_000:  # up to 2119
        return None
    return _EXCEL_EPOCH + timedelta(days=number)


def day_of(cell) -> date | None:
    """A date from a real date, an Excel serial number, or text day first (01/02/2023 is
    1 February), or ISO (2023-02-01). A number that is a year (2019) is no serial day
    (it would be 11/07/1905): None, see approximate_day."""
    if isinstance(cell, datetime):
        found = cell.date()
    elif isinstance(cell, date):
        found = cell
    elif isinstance(cell, bool):
        return None
    elif isinstance(cell, int | float):
        if not float(cell).is_integer() or FIRST_YEAR <= cell <= LAST_YEAR:
            return None
        found = _from_serial(int(cell))
    elif isinstance(cell, str):
        found = _parse_day(cell.strip())
    else:
        return None
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        return None
    return found


YEAR, MONTH = "year", "month"
_MONTH_YEAR = re.compile(r"(?:thang\s*|t\s*)?([0-9]{1,2})\s*[/.\-]\s*([0-9]{4})")
_YEAR_MONTH = re.compile(r"([0-9]{4})\s*[/.\-]\s*([0-9]{1,2})")


def approximate_day(cell) -> tuple[date | None, str | None]:
    """(day, precision): a full date as day_of reads it (precision None); a bare year,
    number or text ("2019", 2019, "năm 2019"), as its 1 January ("year"); a month and year
    ("05/2023", "T5/2023", "tháng 5/2023", "2023-05") as the 1st of the month ("month")."""
    found = day_of(cell)
    if found is not None:
        return found, None
    year = whole_number(cell)
    value = fold(text(cell) or "")
    if year is None and (bare := re.fullmatch(r"(?:nam\s*)?([0-9]{4})", value)):
        year = int(bare.group(1))
    if year is not None:
        return (date(year, 1, 1), YEAR) if FIRST_YEAR <= year <= LAST_YEAR else (None, None)
    month = _MONTH_YEAR.fullmatch(value)
    if month:
        number, year = int(month.group(1)), int(month.group(2))
    elif month := _YEAR_MONTH.fullmatch(value):
        year, number = int(month.group(1)), int(month.group(2))
    else:
        return None, None
    if 1 <= number <= 12 and FIRST_YEAR <= year <= LAST_YEAR:
        return date(year, number, 1), MONTH
    return None, None


# What registers write for "not known": the field is left empty, with a warning.
_UNKNOWN = {"khong ro", "kr", "k r", "ko ro", "k ro", "khong biet", "kb", "chua ro", "n a", "na"}
# "( không  biết )": the longest cell that can still fold to one of them, with room.
_UNKNOWN_LONGEST = 24


def is_unknown(cell) -> bool:
    """ "không rõ", "KR", "-", "?", "…", "N/A": the person did not know the value."""
    if not isinstance(cell, str):
        return False  # a number or a date is a value, never "not known"
    value = text(cell)
    if value is None:
        return False
    if not re.search(r"[0-9A-Za-zÀ-ỹ]", value):
        return True  # only punctuation: "-", "?", "--", "…", "x/"
    # The words of _UNKNOWN are short: a longer cell (a name, a phone) is a value,
    # without folding it (issue 23: the dry run of 5,000 rows called this 60,000 times).
    return len(value) <= _UNKNOWN_LONGEST and _unknown_words(value)


@lru_cache(maxsize=4096)
def _unknown_words(value: str) -> bool:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(value)).split()) in _UNKNOWN


def _parse_day(value: str) -> date | None:
    if re.fullmatch(r"[0-9]{5}", value):
        return _from_serial(int(value))
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T].*)?", value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        found = re.fullmatch(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{2}|[0-9]{4})", value)
        if not found:
            return None
        day, month, year = (int(g) for g in found.groups())
        if year < 100:
            year += 2000 if year <= clock.today().year % 100 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


_MOBILE_FIRST = "35789"


def phone(cell) -> str | None:
    """A Vietnamese phone number with its leading 0, or None if it is not one.

    Excel keeps 0912345678 typed in a number cell as 912345678; +84 912 345 678 and
    84912345678 are the same number written internationally.
    """
    value = text(cell)
    if value is None:
        return None
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not re.fullmatch(r"[0-9]{9,11}", digits):
        return None
    if len(digits) == 9 and digits[0] in _MOBILE_FIRST:
        digits = "0" + digits
    if len(digits) == 10 and digits[0] == "0" and digits[1] in _MOBILE_FIRST:
        return digits
    if len(digits) == 11 and digits.startswith("02"):  # a landline with its area code
        return digits
    return None


def choice(cell, words: dict[str, str]) -> str | None:
    """The value whose words (folded: "nu", "co mat") match the cell; None if none does."""
    value = text(cell)
    if value is None:
        return None
    return words.get(choice_key(value))


@lru_cache(maxsize=4096)
def choice_key(value: str) -> str:
    """A few words repeated on thousands of rows ("x", "Nữ", "Thường kỳ"): fold them once."""
    return fold(value).replace(".", "").strip()
