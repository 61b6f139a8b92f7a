"""What a person typed survives the end of their session.

A form posted after the session ended (idle or too old) is kept on the server, bound to
the user whose session it was, for a short time. They are asked to log in; the next time
they open that page after logging in, the form comes back filled in, ready to save, and
the kept copy is deleted. The data never goes into the cookie or the URL: the signed
cookie only carries whose session ended and the path of the page that has something
waiting, so the form comes back only in the browser that sent it, to the user it was for.
"""

import json
import logging
from datetime import datetime, timedelta

from flask import current_app, flash, g, redirect, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from core.db import db, utcnow

logger = logging.getLogger(__name__)

# Never kept: the CSRF token (a new one comes with the page) and secrets.
NOT_KEPT = {"csrf_token", "password", "current_password", "new_password", "confirm", "pin"}
# In the signed cookie: the page with a kept form, and whose session ended. No form data.
COOKIE_KEY = "draft_path"
PATH_MAX = 300
ENDED_USER_KEY = "ended_user_id"


class FormDraft(db.Model):
    """A form posted after its session ended, waiting for its user to log in again."""

    __tablename__ = "form_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(PATH_MAX))
    # The posted fields as a JSON list of [name, value] pairs, in order.
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["FORM_DRAFT_MINUTES"])


def purge(now: datetime) -> None:
    """Delete every draft older than its lifetime."""
    db.session.execute(delete(FormDraft).where(FormDraft.created_at < now - lifetime()))


def keep(user_id: int, path: str, form: ImmutableMultiDict, now: datetime) -> FormDraft:
    """Keep the posted form for user_id; a newer post of the same page replaces it."""
    purge(now)
    db.session.execute(
        delete(FormDraft).where(FormDraft.user_id == user_id, FormDraft.path == path)
    )
    pairs = [[k, v] for k, v in form.items(multi=True) if k not in NOT_KEPT]
    draft = FormDraft(user_id=user_id, path=path, data=json.dumps(pairs), created_at=now)
    db.session.add(draft)
    db.session.flush()
    return draft


def take(user_id: int, path: str, now: datetime) -> ImmutableMultiDict | None:
    """Remove and return the user's draft of this page, if still in its lifetime."""
    purge(now)
    draft = db.session.scalar(
        select(FormDraft)
        .where(
            FormDraft.user_id == user_id,
            FormDraft.path == path,
            FormDraft.created_at >= now - lifetime(),
        )
        .order_by(FormDraft.id.desc())
        .limit(1)
    )
    if draft is None:
        return None
    data = ImmutableMultiDict([tuple(pair) for pair in json.loads(draft.data)])
    db.session.execute(
        delete(FormDraft).where(FormDraft.user_id == user_id, FormDraft.path == path)
    )
    return data


def restoring() -> bool:
    """True while a page is being shown with a kept draft in place of the posted form."""
    return g.get("restored_draft", False)


def is_first_view() -> bool:
    """True when a form page should be filled from the database: a plain GET that brings
    back no draft."""
    return request.method == "GET" and not restoring()


def _address() -> str:
    """The page's path with its query string: a form whose scope or period is in the
    query (the exact-figures export) comes back on that page, not on the bare path."""
    return request.full_path if request.query_string else request.path


def _page_path() -> str | None:
    """The address of the page the form was posted from, if it can be opened with GET
    (and is short enough to keep)."""
    adapter = current_app.url_map.bind("")
    try:
        adapter.match(request.path, method="GET")
    except (NotFound, MethodNotAllowed):
        return None
    address = _address()
    return address if len(address) <= PATH_MAX else None


def keep_and_ask_to_log_in():
    """For a form posted after the session ended: keep it and send them to log in.

    Returns None when there is nothing to keep (no ended session to bind it to, or a
    post that has no page of its own), so the caller falls back to the plain login.
    """
    user_id = cookie_session.get(ENDED_USER_KEY)
    path = _page_path()
    if request.method != "POST" or not isinstance(user_id, int) or path is None:
        return None
    keep(user_id, path, request.form, utcnow())
    db.session.commit()
    cookie_session[COOKIE_KEY] = path
    flash(
        _(
            "Your session ended before this was saved. What you typed is kept for two "
            "hours: log in again and the form comes back filled in, ready to save."
        ),
        "info",
    )
    return redirect(url_for("accounts.login", next=path))


def restore_on_request(user) -> None:
    """On opening the noted page after login, put the kept form in place of request.form."""
    if request.method != "GET" or cookie_session.get(COOKIE_KEY) != _address():
        return
    cookie_session.pop(COOKIE_KEY, None)
    if not user.is_authenticated:
        return
    data = take(user.id, _address(), utcnow())
    db.session.commit()
    if data is None:
        return
    # Werkzeug caches request.form on the request object; forms and views read it there.
    request.form = data
    g.restored_draft = True
    flash(
        _(
            "What you typed before logging in is back in the form. It is not saved yet: "
            "check it and save."
        ),
        "info",
    )
