"""The imports blueprint and what its page modules share: loading a batch, the reasons
a row is not read, the size a request may have."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.auth import load, require
from groups.models import Gender, MemberCategory
from imports import layout
from imports.access import may_import
from imports.models import BatchStatus, ImportBatch
from imports.readers import MAX_BYTES
from imports.services import (
    sheets,
)

bp = Blueprint("imports", __name__, url_prefix="/imports")
# A row's number as the user sees it in their file: {{ n|row_label(layout) }}.
bp.add_app_template_filter(lambda n, layout: sheets.row_label(layout, n), "row_label")
# Why a row of the file is not read (imports.layout), said on the check page.
SKIP_REASONS = {
    layout.ABOVE_HEADER: _l("above the header (title)"),
    layout.HEADER: _l("the header"),
    layout.BLANK: _l("blank"),
    layout.COLUMN_NUMBERS: _l("column numbers under the header"),
    layout.HEADER_AGAIN: _l("the header repeated"),
    layout.BELOW_TABLE: _l("below the list (totals, signatures)"),
}
# The request may carry the file plus the form around it.
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024


def load_batch(batch_id: int, *, change: bool = True) -> ImportBatch:
    """The batch, for its uploader; to read only (`change=False`), as can_view says."""
    require(may_import(current_user))
    if not change:
        return load(ImportBatch, batch_id, status=404)
    return load(ImportBatch, batch_id, status=404, allowed=lambda b: b.can_edit(current_user))


def value_label(field: str, value: str | None) -> str:
    """A changed value as the page shows it: the label of a gender or category."""
    if value is None:
        return "—"
    kinds = {"gender": Gender, "category": MemberCategory}
    if field in kinds and value in set(kinds[field]):
        return str(kinds[field](value).label)
    return value


def require_pending(batch: ImportBatch) -> None:
    if batch.status != BatchStatus.CHECKED:
        flash(_("This file can no longer be changed."), "error")
        abort(redirect(url_for("imports.show_batch", batch_id=batch.id)))
