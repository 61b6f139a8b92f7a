"""The audit log's detail column in the reader's language.

Services write a detail as short machine text, kept as it is in the database:
"rows=14;filters=group,month", "from=240", "changed=phone,email", "door=staff
two_factor=totp", "referred>acknowledged", or one word ("answers", "letter"). `describe`
turns each piece into words: "14 dòng; lọc theo: nhóm, tháng". A piece it does not know is
shown as written; tests/reports/test_audit_details.py fails for any key or word the code
writes that has no words here.
"""

import re
from datetime import date

from flask_babel import format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l

from accounts.models import Role
from core.i18n import format_day
from groups.models import ConsentPurpose
from imports.columns import Kind
from livelihoods.models import GRANT_STEPS
from support.models.referrals import ReferralStatus

# changed=…: the fields an edit changed (names only, never the values).
FIELDS = {
    "full_name": _l("name"),
    "role": _l("role"),
    "provinces": _l("provinces"),
    "email": _l("email"),
    "phone": _l("phone"),
    "gender": _l("gender"),
    "birth_year": _l("year of birth"),
    "category": _l("category"),
    "notes": _l("notes"),
}
# filters=…: what an export was narrowed by (names, not values).
FILTERS = {
    "group": _l("group"),
    "month": _l("month"),
    "province": _l("province"),
    "commune": _l("commune"),
    "period": _l("period"),
    "personal": _l("names and phones"),
    "exact": _l("exact figures, for internal use"),
    "job": _l("file prepared in the background"),
}
# A detail of one word.
WORDS = {
    "answers": _l("answers read"),
    "notes": _l("notes read"),
    "letter": _l("referral letter opened"),
    "portfolio": _l("grants summary"),
    "progress": _l("progress page"),
    "absences": _l("members often absent"),
    "import": _l("from an imported file"),
    "complete": _l("finished"),
    "group_closed": _l("group closed"),
    "two_factor": _l("wrong second-step code"),
    # Why a letter's link did not open (support.services.provider_links.Refusal); a
    # provider's reading.
    "unknown": _l("no such link"),
    "expired": _l("link expired"),
    "closed": _l("referral closed"),
    "consent_withdrawn": _l("consent withdrawn"),
    "wrong_code": _l("wrong code from the letter"),
    "throttled": _l("too many tries"),
    "provider": _l("read from a provider account"),
}
# on=YYYY-MM-DD, written first by core.audit.record(on=…): the day a change happened.
_ON = re.compile(r"on=([0-9]{4})-([0-9]{2})-([0-9]{2})(?:;|$)")
DOORS = {"member": _l("member sign-in with a PIN"), "staff": _l("staff sign-in")}
SECOND_STEP = {
    "totp": _l("code from the app"),
    "recovery_code": _l("recovery code"),
    "enrolled": _l("two-factor sign-in just set up"),
}
VIA = {
    "link": _l("by the provider, through the letter's link"),
    "account": _l("by the provider, from its account"),
    "staff": _l("by the case team"),
}


def _label(enum, value: str):
    try:
        return enum(value).label
    except ValueError:
        return value


def _number(value: str) -> str:
    return format_decimal(int(value)) if value.isdigit() else value


def _names(table: dict, value: str) -> str:
    return ", ".join(str(table.get(v, v)) for v in value.split(",") if v)


def _piece(key: str, value: str) -> str:
    """One key=value piece in words; unknown keys as written."""
    if key == "rows" and value.isdigit():
        return ngettext("%(rows)s row", "%(rows)s rows", int(value), rows=_number(value))
    words = {
        "filters": lambda: gettext("filtered by: %(names)s", names=_names(FILTERS, value)),
        "changed": lambda: gettext("changed: %(names)s", names=_names(FIELDS, value)),
        "from": lambda: gettext("list from no. %(number)s", number=_number(value)),
        "page": lambda: gettext("page %(number)s", number=_number(value)),
        "role": lambda: gettext("role: %(role)s", role=_label(Role, value)),
        "door": lambda: str(DOORS.get(value, value)),
        "two_factor": lambda: gettext("second step: %(how)s", how=SECOND_STEP.get(value, value)),
        "version": lambda: gettext("Questionnaire %(number)s", number=_number(value)),
        # A release of the donor report (reports.pages.releases): its version, scope, period
        # and the disclosure control it was published with.
        "release": lambda: gettext("release version %(number)s", number=_number(value)),
        "period": lambda: gettext("period %(dates)s", dates=value.replace("..", " – ")),
        "provinces": lambda: gettext("provinces %(codes)s", codes=value.replace(",", ", ")),
        "threshold": lambda: gettext("threshold %(number)s", number=_number(value)),
        "base": lambda: gettext("counts rounded to base %(number)s", number=_number(value)),
        "amount_base": lambda: gettext(
            "amounts rounded to base %(number)s đồng", number=_number(value)
        ),
        "provider": lambda: gettext("service provider no. %(number)s", number=_number(value)),
        "job": lambda: gettext(
            "file prepared in the background no. %(number)s", number=_number(value)
        ),
        "link": lambda: gettext("letter link no. %(number)s", number=_number(value)),
        "provider_link": lambda: gettext(
            "read through the letter link no. %(number)s", number=_number(value)
        ),
        "via": lambda: str(VIA.get(value, value)),
        "step": lambda: str(GRANT_STEPS.get(value, value)),
        # A message on a referral's thread: its number, never its words.
        "message": lambda: gettext("message no. %(number)s", number=_number(value)),
        "kind": lambda: gettext("list of: %(kind)s", kind=_label(Kind, value)),
        "new": lambda: gettext("new: %(num)s", num=_number(value)),
        "matched": lambda: gettext("matched: %(num)s", num=_number(value)),
        # An import's members already here that it changed (issue 23).
        "updated": lambda: gettext("updated: %(num)s", num=_number(value)),
        "errors": lambda: gettext("with errors: %(num)s", num=_number(value)),
        "wrong_codes": lambda: gettext(
            "second step locked after %(num)s wrong codes", num=_number(value)
        ),
    }
    return words[key]() if key in words else f"{key}={value}"


def _happened(detail: str) -> tuple[str | None, str]:
    """The day a change happened, in words, and the rest of the detail."""
    found = _ON.match(detail)
    if not found:
        return None, detail
    try:
        day = date(*(int(part) for part in found.groups()))
    except ValueError:
        return None, detail
    return gettext("took place on %(day)s", day=format_day(day)), detail[found.end() :]


def describe(action: str, detail: str | None) -> str:
    """The detail of an audit event as the reader's language says it."""
    happened, detail = _happened(detail or "")
    said = _described(action, detail)
    return "; ".join(part for part in (happened, said) if part)


def _described(action: str, detail: str) -> str:
    if not detail:
        return ""
    if action == "anonymise":  # what the person typed: a reason, in their words
        return gettext("reason: %(reason)s", reason=detail)
    if action == "consent":
        return str(_label(ConsentPurpose, detail))
    reason = None
    if ";reason=" in detail or detail.startswith("reason="):
        # Written last by core.audit, so whatever it says cannot be read as a key.
        detail, _sep, reason = detail.partition("reason=")
        detail = detail.rstrip(";")
    parts = []
    for piece in (p for chunk in detail.split(";") for p in chunk.split(" ") if p):
        if "=" in piece:
            key, _sep, value = piece.partition("=")
            parts.append(_piece(key, value))
        elif ">" in piece:
            before, _sep, after = piece.partition(">")
            parts.append(f"{_label(ReferralStatus, before)} → {_label(ReferralStatus, after)}")
        else:
            parts.append(str(WORDS.get(piece, piece)))
    if reason is not None:
        parts.append(gettext("reason: %(reason)s", reason=reason))
    return "; ".join(parts)
