"""Registers brought in from Excel: a batch per uploaded file, its raw rows, and the
column choices each person made last.

Raw rows hold personal data as typed in the file: they are deleted once the batch is
imported, or after RAW_ROWS_DAYS if it never is (imports.jobs.purge_raw_rows). The batch
itself keeps no personal data: counts, the file's hash (so the same file is not imported
twice), its kind, who uploaded it and when.
"""

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User, enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from imports.columns import Kind

RAW_ROWS_DAYS = 7


class BatchStatus(LabelledEnum):
    # rows stored and checked, waiting for answers or the import
    CHECKED = "checked", _l("Checked, not imported yet")
    IMPORTED = "imported", _l("Imported")
    EXPIRED = "expired", _l("Expired: never imported")  # rows deleted after RAW_ROWS_DAYS
    DISCARDED = "discarded", _l("Discarded")  # rows deleted by their uploader


class JobStatus:
    """The confirmed import's job (import_batches.job_status)."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    ACTIVE = (QUEUED, RUNNING)


class RowState:
    """Each raw row of a confirmed import (import_rows.state): to write, written, left
    out with an error (kept for the rows to fix), or left out with nothing to do."""

    PENDING, IMPORTED, FAILED, SKIPPED = "pending", "imported", "failed", "skipped"


class ImportBatch(db.Model):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus))
    # sha256 of the file's bytes: the same file is recognised whoever uploads it again.
    file_hash: Mapped[str] = mapped_column(String(64))
    file_type: Mapped[str] = mapped_column(String(5))  # xlsx, xls, csv
    row_count: Mapped[int]
    # The file's header row, column choices, and answers to asked places, as JSON.
    headers: Mapped[str] = mapped_column(Text)
    mapping: Mapped[str] = mapped_column(Text, default="{}")
    answers: Mapped[str] = mapped_column(Text, default="{}")
    # The last check: counts, problems grouped by kind with row numbers, places to ask,
    # and each row's problems (for the annotated copy).
    summary: Mapped[str] = mapped_column(Text, default="{}")
    # Where the table is in each sheet (imports.services.sheets): header row, rows left
    # out with their reason, the sheets chosen.
    layout: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # The last check's plans of a members register, under the key of what they were
    # checked against (imports.services.stored_plans): written by the import without
    # checking again when nothing changed. Names: cleared once imported or discarded.
    plans: Mapped[str | None] = mapped_column(Text, deferred=True)  # large: read when used
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    imported_at: Mapped[datetime | None]
    # The confirmed import as a job (imports.services.import_jobs): its status (None
    # before it is confirmed), why it stopped, which run holds it, that run's last beat,
    # and the rows written of those to write.
    job_status: Mapped[str | None] = mapped_column(String(10))
    job_problem: Mapped[str | None] = mapped_column(String(20))
    job_runner: Mapped[str | None] = mapped_column(String(32))
    job_beat_at: Mapped[datetime | None]
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_total: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[User] = relationship()
    rows: Mapped[list["ImportRow"]] = relationship(
        back_populates="batch", order_by="ImportRow.number", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One import per file and kind, whatever happens concurrently.
        Index(
            "uq_import_batches_imported_file",
            "kind",
            "file_hash",
            unique=True,
            sqlite_where=text("status = 'imported'"),
            postgresql_where=text("status = 'imported'"),
        ),
        Index("ix_import_batches_file_hash", "file_hash"),
    )

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.job_status == JobStatus.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)

    def can_view(self, user) -> bool:
        """Its uploader; once imported, admins too (its page and rows to fix, issue 23)."""
        return self.can_edit(user) or (
            user.role == Role.ADMIN and self.status == BatchStatus.IMPORTED
        )

    def can_edit(self, user) -> bool:
        """The person who uploaded it, and no one else: raw rows are theirs to check."""
        return user.id == self.owner_id

    @property
    def header_list(self) -> list[str]:
        return json.loads(self.headers)

    @property
    def mapping_dict(self) -> dict[str, int]:
        return json.loads(self.mapping or "{}")

    @property
    def answer_dict(self) -> dict[str, int]:
        return json.loads(self.answers or "{}")

    @property
    def layout_dict(self) -> dict:
        return json.loads(self.layout or "{}")

    @property
    def summary_dict(self) -> dict:
        return json.loads(self.summary or "{}")


class ImportRow(db.Model):
    """One row of the file as typed (personal data): deleted after import or expiry."""

    __tablename__ = "import_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    number: Mapped[int]  # the row number in the file (the header is row 1)
    cells: Mapped[str] = mapped_column(Text)  # JSON list; dates as {"d": "YYYY-MM-DD"}
    state: Mapped[str] = mapped_column(
        String(10), default=RowState.PENDING, server_default=RowState.PENDING
    )

    batch: Mapped[ImportBatch] = relationship(back_populates="rows")

    __table_args__ = (UniqueConstraint("batch_id", "number"),)


class ImportMapping(db.Model):
    """A person's last column choices for a kind of file: {field: header key}."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    columns: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "kind"),)


class ImportBatchGroup(db.Model):
    """A group a members register made, under its key in the file (commune and name):
    the import run again after a crash finds it here instead of making it twice."""

    __tablename__ = "import_batch_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("batch_id", "key"),)
