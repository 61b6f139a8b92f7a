"""The audit log: who created, changed, exported or viewed personal data, and when.

Rows hold ids, member codes and field names, never names, phones or notes, so they can
be kept for good: anonymising a member leaves them as they are, and on PostgreSQL a
trigger (migration 0009) refuses UPDATE and DELETE of this table.

Which province an event belongs to: `province_code` is stored when the event is
written (the province of the subject's group at that moment: the member's current, or
else last, group; the group's own province). The viewer also shows a coordinator every
event about a member or group that is in their provinces NOW, so the history of a
person follows them when they move, as their record does. See reports/audit.py.

Reads are audited once per page: a loader (or a list view) calls note_read(), and the
event is written after the page was rendered with 200, in one INSERT. A request
refused, or stopped by bad input (400), writes nothing; an INSERT that fails turns the
page into an error, so no page of personal data goes out without its event.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

from flask import g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core import submissions
from core.db import db, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # The subject, for filtering and scope: not foreign keys, so nothing ever has to
    # update an audit row.
    member_id: Mapped[int | None] = mapped_column(index=True)
    group_id: Mapped[int | None] = mapped_column(index=True)
    province_code: Mapped[int | None] = mapped_column(index=True)
    # Never personal data here: field names changed, not their values.
    detail: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))

    __table_args__ = (Index("ix_audit_events_object_type_object_id", "object_type", "object_id"),)


class Places(NamedTuple):
    """Where a subject belongs, as SQL scalar subqueries, asked of the feature that owns
    the rule (groups registers it: groups/services/scope.py), so core reads no feature's
    table by name (code review d64d4a7 §5.3)."""

    member_group: Callable[[int], Any]  # the member's home group: who may see them
    member_province: Callable[[int], Any]
    group_province: Callable[[int], Any]


_places: list[Places] = []


def register_places(places: Places) -> None:
    _places[:] = [places]


def _where(name: str, subject_id: int):
    if not _places:
        raise RuntimeError("no feature registered where audit subjects belong")
    return getattr(_places[0], name)(subject_id)


def _subject(obj) -> tuple[int | None, int | None]:
    """(member id, group id) that an object is about, from its own columns."""
    table = obj.__tablename__
    member_id = obj.id if table == "members" else getattr(obj, "member_id", None)
    group_id = obj.id if table == "groups" else getattr(obj, "group_id", None)
    return member_id, group_id


def record(
    actor,
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    member_id: int | None = None,
    group_id: int | None = None,
    province_code: int | None = None,
    detail: str | None = None,
    ip: str | None = None,
    on: date | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit keeps it.

    `on` is the day a dated change happened (a decision taken on Monday and typed in on
    Thursday, issue 22): kept first in the detail as on=YYYY-MM-DD, beside the moment the
    event was recorded (`at`) and by whom.

    The member and group come from obj unless given; the province is worked out in the
    INSERT itself (no extra query) from the member, else the group.
    """
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
        own_member, own_group = _subject(obj)
        member_id = member_id or own_member
        group_id = group_id or own_group
    if group_id is None and member_id is not None:
        # Grants, follow-ups and visits keep no group: the member's group at the time.
        group_id = _where("member_group", member_id)
    if on is not None:
        detail = f"on={on.isoformat()}" + (f";{detail}" if detail else "")
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        member_id=member_id,
        group_id=group_id,
        detail=detail[:500] if detail else None,
        ip=ip,
    )
    if province_code is not None:
        event.province_code = province_code
    elif member_id is not None:
        event.province_code = _where("member_province", member_id)
    elif group_id is not None:
        event.province_code = _where("group_province", group_id)
    db.session.add(event)
    if action in ("create", "consent") and obj is not None:
        submissions.note_created(obj)  # made from a form kept on a phone: when it was pressed
    return event


def note_read(action: str = "view", obj=None, **values) -> None:
    """Mark this request as showing personal data; written once if the page is shown.

    The first call of a request wins: loaders call it for the page's own record, so
    what a page loads besides does not replace it. Only a GET answered 200 is a read:
    a POST that saves is audited by its service, one that fails shows what was typed.
    """
    if "audit_read" not in g:
        g.audit_read = (action, obj, values, ("GET",))


def _export_detail(rows: int, filters, reason: str | None = None) -> str:
    detail = f"rows={rows}"
    if filters:
        detail += ";filters=" + ",".join(sorted(filters))
    if reason:
        # Last, so that whatever it says cannot be read as another key.
        detail += ";reason=" + " ".join(reason.split())
    return detail


def note_export(what: str, *, rows: int, filters=(), reason: str | None = None, **values) -> None:
    """Mark this request as an export of personal data: a file of `what` (members,
    grants…) with `rows` rows, filtered by the named `filters` (names, not values), and
    the `reason` its requester gave; written, whatever the method, when the file goes
    out with 200."""
    values = {"object_type": what, "detail": _export_detail(rows, filters, reason), **values}
    g.audit_read = ("export", None, values, ("GET", "POST"))


def record_export(actor, what: str, *, rows: int, filters=(), **values) -> AuditEvent:
    """Record an export made outside a web request (a command, a job) at once."""
    return record(actor, "export", object_type=what, detail=_export_detail(rows, filters), **values)


def write_pending_read(response):
    """after_request: write the read or export noted by the view if it went out (200)."""
    pending = g.pop("audit_read", None)
    if pending is None or response.status_code != 200:
        return response
    action, obj, values, methods = pending
    if request.method not in methods:
        return response
    record(current_user, action, obj, ip=request.remote_addr, **values)
    db.session.commit()
    return response


def init_app(app) -> None:
    app.after_request(write_pending_read)
