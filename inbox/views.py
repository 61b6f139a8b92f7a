"""The inbox page, and the unread count the navigation shows on every page."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select, update

from core import audit
from core.db import db, utcnow
from core.saving import commit
from core.urls import paginate
from inbox.models import Notification
from inbox.services import beside, count_unread, render

bp = Blueprint("inbox", __name__)


@bp.app_template_global()
def unread_count() -> int:
    return count_unread(current_user.id) if current_user.is_authenticated else 0


@bp.get("/inbox")
def index():
    """The user's notifications, newest first; opening the inbox marks them read."""
    page = paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    texts = render(page.items)
    # Beside a visit reminder, who the member is (in the app only; emails keep codes).
    people = beside(page.items)
    unread = {n.id for n in page.items if n.read_at is None}
    if people:  # names are shown beside the reminders
        audit.note_read("list", object_type="notifications", detail=f"page={page.page}")
    # Rendered before the commit, which would expire the page's rows and reload each one.
    html = render_template(
        "inbox/inbox.html", page=page, texts=texts, unread_ids=unread, people=people
    )
    if unread:
        db.session.execute(
            update(Notification).where(Notification.id.in_(unread)).values(read_at=utcnow())
        )
        commit("the inbox page read: its notices marked read")
    return html
