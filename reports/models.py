"""Frozen releases of the donor report (issue 21): what was published, kept as published."""

import json
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User
from core.db import db, utcnow


class Release(db.Model):
    """One version of the donor report for a closed period and a set of provinces: its
    cells as published (labels in both languages, values after disclosure control) and
    the method's parameters, prepared by one person and approved by another. Once
    approved it is served as stored, whatever is entered later; a correction is a new
    version that says what changed."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # The provinces' codes, sorted, comma-separated: the scope as agreed.
    provinces: Mapped[str] = mapped_column(String(400))
    version: Mapped[int]
    cells: Mapped[str] = mapped_column(Text)  # JSON: sections of tables of cells
    parameters: Mapped[str] = mapped_column(Text)  # JSON: method, threshold, bases
    changes: Mapped[str | None] = mapped_column(String(500))  # what a correction changed
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]

    prepared_by: Mapped[User] = relationship(foreign_keys=[prepared_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __table_args__ = (UniqueConstraint("period_start", "period_end", "provinces", "version"),)

    @property
    def province_codes(self) -> list[int]:
        return [int(c) for c in self.provinces.split(",") if c]

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    def sections(self) -> list:
        return json.loads(self.cells)

    def method(self) -> dict:
        return json.loads(self.parameters)

    def can_view(self, user) -> bool:
        """Admins, and coordinators who cover every province of the release."""
        if user.role == Role.ADMIN:
            return True
        return user.role == Role.COORDINATOR and all(
            user.covers_province(code) for code in self.province_codes
        )

    def can_approve(self, user) -> bool:
        """Someone who may see it and did not prepare it, while it is not approved."""
        return not self.approved and self.can_view(user) and user.id != self.prepared_by_id
