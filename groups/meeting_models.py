"""Meetings of a group and who attended each."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from groups.models import Group, Member


class MeetingKind(LabelledEnum):
    REGULAR = "regular", _l("Regular meeting")
    TRAINING = "training", _l("Training")
    PEER_SUPPORT = "peer_support", _l("Peer support")
    EXTRA = "extra", _l("Extra meeting")


class Meeting(db.Model):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    held_on: Mapped[date]
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    topics: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Tallies of the attendance rows, set in the same transaction as the rows by
    # groups.services.meetings.tally (checked after every test): the progress pages sum
    # meetings instead of reading every mark.
    present_count: Mapped[int] = mapped_column(default=0, server_default="0")
    marked_count: Mapped[int] = mapped_column(default=0, server_default="0")

    group: Mapped[Group] = relationship()
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("group_id", "held_on", "kind"),
        Index("ix_meetings_group_id_held_on", "group_id", "held_on"),
        # A period's meetings with what the progress pages sum of them (held, on time,
        # tallies), read from the index alone; the daily sweep reads the last 90 days.
        Index(
            "ix_meetings_held_on_tallies",
            "held_on",
            "group_id",
            "kind",
            "created_at",
            "present_count",
            "marked_count",
        ),
    )
    __mapper_args__ = {"version_id_col": version}

    def can_view(self, user) -> bool:
        return self.group.can_view(user)

    def can_edit(self, user) -> bool:
        return self.group.can_record(user)


class AttendanceStatus(LabelledEnum):
    PRESENT = "present", _l("Present")
    ABSENT = "absent", _l("Absent")
    EXCUSED = "excused", _l("Excused")


class Attendance(db.Model):
    __tablename__ = "attendance"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[Member] = relationship()
