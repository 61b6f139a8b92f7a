"""The audit log: who created, changed, exported or viewed personal data, and when."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    # Never personal data here: field names changed, not their values.
    detail: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))


def record(
    actor,
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit keeps it."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        detail=detail[:500] if detail else None,
        ip=ip,
    )
    db.session.add(event)
    return event
