"""Batches: a file's rows stored as read, the person's column choices, answers, expiry."""

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from accounts.models import User
from core import audit
from core.db import db
from core.errors import DomainError
from imports import cells
from imports.columns import FIELDS, Kind, header_key
from imports.layout import TooLong, TooWide, find
from imports.models import (
    RAW_ROWS_DAYS,
    BatchStatus,
    ImportBatch,
    ImportMapping,
    ImportRow,
    RowState,
)
from imports.readers import MESSAGES, UnreadableFile, read_sheets
from imports.services import sheets

# Storing ----------------------------------------------------------------------------


def encode_cell(cell):
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return {"d": cell.isoformat()}
    return cell


decode_cell = sheets.decode_cell


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_imported(kind: Kind, digest: str) -> ImportBatch | None:
    """The batch that already imported this very file, if one did."""
    return db.session.scalar(
        select(ImportBatch).where(
            ImportBatch.kind == kind,
            ImportBatch.file_hash == digest,
            ImportBatch.status == BatchStatus.IMPORTED,
        )
    )


def find_pending(owner: User, kind: Kind, digest: str) -> ImportBatch | None:
    """The owner's own earlier upload of this file, checked and not imported yet."""
    return db.session.scalar(
        select(ImportBatch).where(
            ImportBatch.owner_id == owner.id,
            ImportBatch.kind == kind,
            ImportBatch.file_hash == digest,
            ImportBatch.status == BatchStatus.CHECKED,
        )
    )


def remembered_mapping(user: User, kind: Kind) -> dict[str, str]:
    row = db.session.scalar(
        select(ImportMapping).where(ImportMapping.user_id == user.id, ImportMapping.kind == kind)
    )
    return json.loads(row.columns) if row else {}


def remember_mapping(user: User, kind: Kind, headers: list[str], mapping: dict[str, int]) -> None:
    """Keep the person's column choices for the next file of this kind."""
    columns = {
        f.key: header_key(headers[mapping[f.key]]) if f.key in mapping else "" for f in FIELDS[kind]
    }
    row = db.session.scalar(
        select(ImportMapping).where(ImportMapping.user_id == user.id, ImportMapping.kind == kind)
    )
    if row is None:
        db.session.add(ImportMapping(user_id=user.id, kind=kind, columns=json.dumps(columns)))
    else:
        row.columns = json.dumps(columns)


def store_batch(owner: User, kind: Kind, filename: str, data: bytes) -> ImportBatch:
    """Read the file and keep its rows in a new batch (not checked yet).

    Raises UnreadableFile (a DomainError on the "file" field) for what cannot be read,
    and a DomainError when this file was already imported.
    """
    digest = file_hash(data)
    done = find_imported(kind, digest)
    if done is not None:
        raise DomainError(_l("This file was already imported. Nothing was added again."), "file")
    found = read_sheets(filename, data)
    entries = []
    for sheet in found:
        try:
            entries.append(sheets.sheet_entry(sheet.name, sheet.rows, find(kind, sheet.rows)))
        except TooWide as error:
            raise UnreadableFile(MESSAGES["too_many_columns"]) from error
        except TooLong as error:
            raise UnreadableFile(MESSAGES["too_many_rows"]) from error
    if not any(entry["data"] for entry in entries):
        raise UnreadableFile(MESSAGES["no_rows"])
    batch = ImportBatch(
        owner_id=owner.id,
        kind=kind,
        status=BatchStatus.CHECKED,
        file_hash=digest,
        file_type=filename.rsplit(".", 1)[-1].lower()[:5],
        row_count=0,
        headers="[]",
        mapping="{}",
        answers="{}",
        summary="{}",
    )
    sheets.apply(batch, sheets.choose(kind, entries), remembered_mapping(owner, kind))
    db.session.add(batch)
    db.session.flush()
    db.session.execute(
        ImportRow.__table__.insert(),
        [
            {
                "batch_id": batch.id,
                "number": sheets.number_of(i, n),
                "cells": json.dumps([encode_cell(c) for c in row], ensure_ascii=False),
                "state": RowState.PENDING,
            }
            for i, sheet in enumerate(found)
            for n, row in sheet.rows.items()
        ],
    )
    # Who brought which personal data in, and how much: never the rows themselves.
    audit.record(owner, "upload", batch, detail=f"kind={kind.value};rows={batch.row_count}")
    return batch


def set_mapping(owner: User, batch: ImportBatch, mapping: dict[str, int]) -> None:
    """Use these columns for this batch, and remember them for the owner's next file."""
    headers = batch.header_list
    batch.mapping = json.dumps({k: v for k, v in mapping.items() if 0 <= v < len(headers)})
    remember_mapping(owner, batch.kind, headers, batch.mapping_dict)


def set_answers(batch: ImportBatch, answers: dict[str, int]) -> None:
    """Keep the communes chosen for asked places; only a code among the offered ones."""
    offered = {p["key"]: set(p["choices"]) for p in batch.summary_dict.get("places", [])}
    kept = batch.answer_dict
    for key, code in answers.items():
        if key in offered and code in offered[key]:
            kept[key] = code
    batch.answers = json.dumps(kept)


def set_group_answers(batch: ImportBatch, answers: dict[str, int | str]) -> None:
    """Keep which group each asked or unknown group name is: a group id among those
    offered (one of the names asked; any group in the check's scope for an unknown one),
    "new" to create it (members files only), "" to ask again."""
    from imports.services.group_names import NEW

    groups = batch.summary_dict.get("groups", {})
    asked = {e["key"]: set(e["choices"]) for e in groups.get("asked", [])}
    unknown = {e["key"] for e in groups.get("unknown", [])} | {
        e["key"] for e in groups.get("new", [])
    }
    kept = batch.answer_dict
    homes = {e["key"]: set(e.get("communes", [])) for e in groups.get("new", [])}
    for key, answer in answers.items():
        if key.startswith("home:"):
            if answer in homes.get(key[5:], ()):
                kept[key] = answer
            continue
        offered = answer in asked.get(key, ()) or (
            key in unknown and (answer != NEW or batch.kind == Kind.MEMBERS)
        )
        if answer == "":
            kept.pop(f"group:{key}", None)
        elif offered:
            kept[f"group:{key}"] = answer
    batch.answers = json.dumps(kept)


def discard_batch(actor: User, batch: ImportBatch) -> None:
    """Delete the batch's raw rows now; it cannot be imported any more."""
    db.session.execute(delete(ImportRow).where(ImportRow.batch_id == batch.id))
    batch.status = BatchStatus.DISCARDED
    batch.summary = "{}"
    batch.plans = None
    audit.record(actor, "discard", batch)


# Expiry -----------------------------------------------------------------------------


def purge_raw_rows(today: date) -> int:
    """Delete the raw rows of batches never imported within RAW_ROWS_DAYS; returns batches."""
    cutoff = datetime.combine(today - timedelta(days=RAW_ROWS_DAYS), time.min, tzinfo=UTC)
    stale = list(
        db.session.scalars(
            select(ImportBatch.id).where(
                ImportBatch.status == BatchStatus.CHECKED, ImportBatch.created_at < cutoff
            )
        )
    )
    if stale:
        db.session.execute(delete(ImportRow).where(ImportRow.batch_id.in_(stale)))
        db.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id.in_(stale))
            .values(
                status=BatchStatus.EXPIRED,
                summary="{}",
                plans=None,
                version=ImportBatch.version + 1,
            )
        )
    # Imported batches keep no rows; a run interrupted before its last step leaves some.
    db.session.execute(
        delete(ImportRow).where(
            ImportRow.batch_id.in_(
                select(ImportBatch.id).where(
                    ImportBatch.status != BatchStatus.CHECKED, ImportBatch.imported_at < cutoff
                )
            )
        )
    )
    return len(stale)


# The annotated copy ---------------------------------------------------------------


def row_texts(row: list) -> list[str]:
    """A row's cells as text, the way the check read them."""
    return [cells.text(c) or "" for c in row]
