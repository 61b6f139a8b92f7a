"""Forms a facilitator can open with no signal (issue 25, layer 2), if they choose to.

"Keep my groups on this phone" is chosen on the account page, per phone: it lives in
this login's session (so it ends at logout, and another login on the phone starts
without it), and each change is written to the audit log. While it holds, the phone
asks GET /outbox/forms for the addresses of the forms to keep, and static/outbox.js
keeps those pages in the browser's cache; static/sw.js opens a kept form when a page
cannot be reached. The phone asks again on later pages, so a form of a group the
facilitator lost is dropped the next time there is signal; everything kept is wiped at
logout, when another person logs in on the phone, and after KEEP_DAYS.

Each feature package says which of its forms are worth keeping, with `keeps_forms`.
"""

from collections.abc import Callable, Iterable

from flask import session as cookie_session
from flask_login import current_user

SESSION_KEY = "keep_forms"
KEEP_DAYS = 14
MAX_FORMS = 60  # a few groups and their visits due soon: about 1 MB on the phone at most

KEPT_FORMS: list[Callable[[object], Iterable[str]]] = []


def keeps_forms(list_forms: Callable[[object], Iterable[str]]):
    """Register a function that lists the addresses of a user's forms to keep."""
    KEPT_FORMS.append(list_forms)
    return list_forms


def keeping() -> bool:
    """The person logged in here chose to keep their groups on this phone."""
    return current_user.is_authenticated and cookie_session.get(SESSION_KEY) == current_user.id


def set_keeping(keep: bool) -> None:
    if keep:
        cookie_session[SESSION_KEY] = current_user.id
    else:
        cookie_session.pop(SESSION_KEY, None)


def forms_for(user) -> list[str]:
    """The addresses of the forms to keep for this user, at most MAX_FORMS."""
    found: list[str] = []
    for list_forms in KEPT_FORMS:
        for url in list_forms(user):
            if url not in found:
                found.append(url)
    return found[:MAX_FORMS]
