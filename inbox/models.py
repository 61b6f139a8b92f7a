"""A notification: what happened (kind, the object, a small payload), not text.

It is put into words when read, in the reader's language (inbox.services). Its key (e.g.
"fu:42:today:7") is unique, so jobs that run twice or in two processes notify once.
"""

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    payload: Mapped[str | None] = mapped_column(Text)  # JSON, for summaries
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]

    @property
    def data(self) -> dict:
        return json.loads(self.payload) if self.payload else {}
