"""A member row's optional values read as the person meant them (issue 23).

Only what the app cannot work without refuses a row (the name, the group). An optional
value written as not known ("không rõ", "KR", "-", "?") is left empty with a warning; one
that cannot be read is left empty with a warning too, except a date written but not
readable (a typo to fix: never a wrong date kept). A bare year is never an Excel serial
day: a joining date given as a year or a month is kept as its first day with that
precision (shown "~2019", "~05/2023"), and a warning says so. A category word the check
does not know is asked once for the file, never taken as "community".
"""

from datetime import date

from groups.models import Gender, GroupRole, MemberCategory
from imports import cells
from imports.columns import header_key
from imports.services.vocabulary import (
    CATEGORIES_WORDS,
    CONSENT_WORDS,
    GENDERS_WORDS,
    ROLES_WORDS,
)


def _unknown(plan, row: dict, key: str) -> bool:
    """True when the cell says the value is not known (warned: left empty)."""
    if cells.is_unknown(row.get(key)):
        plan.add("unknown_value", key)
        return True
    return False


def joined(plan, raw, in_window) -> tuple[date | None, str | None]:
    """The joining day and its precision (None, "month" or "year"); `in_window(plan, day,
    key)` refuses a day before the programme or after today."""
    if raw is None or _unknown(plan, {"joined_on": raw}, "joined_on"):
        return None, None
    day, precision = cells.approximate_day(raw)
    if day is None:
        plan.add("bad_date", "joined_on")
    elif in_window(plan, day, "joined_on") and precision is not None:
        plan.add("year_only" if precision == cells.YEAR else "month_only", "joined_on")
    return day, precision


def within_group(plan, day: date | None, precision: str | None, founded_on: date):
    """A joining day before the group was founded is an error, unless only its year (or
    month) was written and the group was founded that year (month): then the founding day."""
    if day is None or day >= founded_on:
        return day
    if precision == cells.YEAR and day.year == founded_on.year:
        return founded_on
    if precision == cells.MONTH and (day.year, day.month) == (founded_on.year, founded_on.month):
        return founded_on
    plan.add("before_founded", "joined_on")
    return day


def village(plan, row: dict) -> str | None:
    """The member's own thôn, xóm or tổ, or None (not known: warned)."""
    if row.get("village") is None or _unknown(plan, row, "village"):
        return None
    return cells.text(row.get("village"))


def read(plan, row: dict, today: date, answers: dict, asked: dict) -> dict:
    """Birth year, phone, gender, role and category of a row, with their warnings."""
    year = None
    if row.get("birth_year") is not None and not _unknown(plan, row, "birth_year"):
        year = cells.birth_year(row.get("birth_year"), today)
        if year is None:
            plan.add("bad_year", "birth_year")
    phone = None
    if row.get("phone") is not None and not _unknown(plan, row, "phone"):
        phone = cells.phone(row.get("phone"))
        if phone is None:
            plan.add("bad_phone", "phone")
    gender = Gender.UNDISCLOSED
    if row.get("gender") is not None:
        found = cells.choice(row.get("gender"), GENDERS_WORDS)
        if found is not None:
            gender = found
        elif not _unknown(plan, row, "gender"):
            plan.add("bad_gender", "gender")
    role = GroupRole.MEMBER
    if row.get("role") is not None:
        found = cells.choice(row.get("role"), ROLES_WORDS)
        if found is not None:
            role = found
        elif not _unknown(plan, row, "role"):
            plan.add("bad_role", "role")
    # Agreed to be called (a consent recorded with the member): else the phone is kept
    # but hidden, as on the member form, and the dry run counts them.
    consent = False
    given = row.get("phone_consent")
    if phone is not None and given is not None and not _unknown(plan, row, "phone_consent"):
        found = cells.choice(given, CONSENT_WORDS)
        if found is None:
            plan.add("bad_consent", "phone_consent")
        consent = bool(found)
    return {
        "birth_year": year,
        "phone": phone,
        "phone_consent": consent,
        "gender": gender,
        "role": role,
        "category": category(plan, row, answers, asked),
    }


# The answer for a file without a category column: one category for all its rows.
FILE_CATEGORY = "category:*"


def category(plan, row: dict, answers: dict, asked: dict) -> MemberCategory:
    """The category a row's word means; a file without the column takes the one the
    person chose for the whole file, else community with a warning on every row."""
    raw = row.get("category")
    if "category" not in row:
        if answers.get(FILE_CATEGORY) in set(MemberCategory):
            return MemberCategory(answers[FILE_CATEGORY])
        plan.add("no_category_column", "category")
        return MemberCategory.COMMUNITY
    if raw is None or _unknown(plan, row, "category"):
        return MemberCategory.COMMUNITY
    key = header_key(
        cells.text(raw)
    )  # "Nạn nhân (bị mua bán) trở về" -> "nan nhan bi mua ban tro ve"
    letters = key.replace(" ", "")
    found = CATEGORIES_WORDS.get(key) or (
        CATEGORIES_WORDS.get(letters) if len(letters) <= 4 else None
    )
    if found is not None:
        return found
    answer = answers.get(f"category:{key}")
    if answer in set(MemberCategory):
        return MemberCategory(answer)
    plan.add("unknown_category", "category")
    entry = asked.setdefault(key, {"key": key, "written": cells.text(raw), "rows": 0})
    entry["rows"] += 1
    return MemberCategory.COMMUNITY
