"""A batch from upload to import: the upload, the empty templates, the check page, the
annotated file of rows to fix, importing and discarding."""

import csv
import io
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import day_of, today
from core.db import db
from core.downloads import file_name
from core.errors import DomainError
from core.places import Commune, place_order
from core.saving import saving
from core.uploads import accepts_upload
from groups.models import WEEKDAYS, Cadence, MemberCategory
from imports import job_runner
from imports.access import kinds_for, may_import
from imports.columns import FIELDS, missing_required
from imports.downloads import csv_response, safe_cell
from imports.forms import ConfirmForm, UploadForm, kind_of
from imports.models import RAW_ROWS_DAYS, BatchStatus, ImportBatch, JobStatus
from imports.readers import MAX_BYTES
from imports.services import (
    batches,
    group_names,
    group_setup,
    import_jobs,
    sheets,
    vocabulary,
)
from imports.services.checks import dry_run
from imports.views.common import (
    SKIP_REASONS,
    UPLOAD_LIMIT,
    bp,
    load_batch,
    require_pending,
    value_label,
)


@bp.route("", methods=["GET", "POST"])
@accepts_upload(UPLOAD_LIMIT)
def upload():
    require(may_import(current_user))
    kinds = kinds_for(current_user)
    form = UploadForm(kinds)
    if form.validate_on_submit():
        kind = kind_of(form.kind.data)
        data = form.file.data.stream.read(MAX_BYTES + 1)
        filename = form.file.data.filename or ""
        if kind not in kinds:
            form.kind.errors.append(_("Choose what the file lists."))
        elif len(data) > MAX_BYTES:
            form.file.errors.append(_("The file is larger than 5 MB. Split it into smaller files."))
        elif pending := batches.find_pending(current_user, kind, batches.file_hash(data)):
            flash(_("You already uploaded this file: here is its check."), "info")
            return redirect(url_for("imports.show_batch", batch_id=pending.id))
        else:
            with saving(form) as saved:
                batch = batches.store_batch(current_user, kind, filename, data)
                dry_run.check_batch(current_user, batch, today())
            if saved.ok:
                return redirect(url_for("imports.show_batch", batch_id=batch.id))
    files = db.session.scalars(
        select(ImportBatch)
        .where(ImportBatch.owner_id == current_user.id)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(20)
    ).all()
    # Admins also find others' past imports, to read them and their rows to fix.
    others = (
        db.session.scalars(
            select(ImportBatch)
            .where(
                ImportBatch.owner_id != current_user.id,
                ImportBatch.status == BatchStatus.IMPORTED,
            )
            .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc())
            .options(selectinload(ImportBatch.owner))
            .limit(20)
        ).all()
        if current_user.role == Role.ADMIN
        else []
    )
    return render_template(
        "imports/upload.html", form=form, files=files, kinds=kinds, others=others
    )


@bp.get("/template/<kind>")
def template(kind: str):
    """An empty register of this kind with the column names the check knows."""
    require(may_import(current_user))
    found = kind_of(kind)
    if found is None or found not in kinds_for(current_user):
        abort(404)
    out = io.StringIO()
    csv.writer(out).writerow([f.header for f in FIELDS[found]])
    return csv_response(out.getvalue(), file_name("template", found.value, ext="csv"))


@bp.get("/<int:batch_id>")
def show_batch(batch_id: int):
    batch = load_batch(batch_id, change=False)
    summary = batch.summary_dict
    layout_of = batch.layout_dict
    places = summary.get("places", [])
    codes = {c for p in places for c in p["choices"]}
    communes = (
        {c.code: c for c in db.session.scalars(select(Commune).where(Commune.code.in_(codes)))}
        if codes
        else {}
    )
    for place in places:
        place["communes"] = place_order(communes[c] for c in place["choices"] if c in communes)
    homes = {c for e in summary.get("groups", {}).get("new", []) for c in e.get("communes", [])}
    home_names = (
        dict(
            db.session.execute(
                select(Commune.code, Commune.name).where(Commune.code.in_(homes))
            ).all()
        )
        if homes
        else {}
    )
    for change in summary.get("changes", {}).get("shown", []):
        change["now"] = value_label(change["field"], change["now"])
        change["new"] = value_label(change["field"], change["new"])
    running = batch.job_status in JobStatus.ACTIVE and not import_jobs.is_stale(batch)
    page = render_template(
        "imports/batch.html",
        running=running,
        stopped=batch.job_status == JobStatus.FAILED or import_jobs.is_stale(batch),
        job_problems=import_jobs.PROBLEMS,
        batch=batch,
        summary=summary,
        places=places,
        fields=FIELDS[batch.kind],
        headers=batch.header_list,
        mapping=batch.mapping_dict,
        missing=missing_required(batch.kind, batch.mapping_dict),
        problems=vocabulary.PROBLEMS,
        field_labels={f.key: f.label for k in FIELDS.values() for f in k},
        form=ConfirmForm(),
        layout=layout_of,
        skip_reasons=SKIP_REASONS,
        categories=list(MemberCategory),
        asks_category=any(p["code"] == "no_category_column" for p in summary.get("problems", [])),
        asks_consent=summary.get("asks_consent", False),
        fix_until=_fix_until(batch),
        my_groups=group_names.scope(current_user) if _asks_groups(summary) else [],
        new_groups=group_setup.new_groups(batch) if batch.status == BatchStatus.CHECKED else [],
        cadences=list(Cadence),
        home_names=home_names,
        weekdays=WEEKDAYS,
    )
    if not running:
        return page
    # The progress bar comes again every few seconds, without JavaScript.
    return page, 200, {"Refresh": "3"}


def _fix_until(batch: ImportBatch):
    """The last day the rows to fix of an imported file can be downloaded (the purge
    deletes them RAW_ROWS_DAYS after the import), or None."""
    if batch.status != BatchStatus.IMPORTED or batch.imported_at is None:
        return None
    return day_of(batch.imported_at) + timedelta(days=RAW_ROWS_DAYS)


def _asks_groups(summary: dict) -> bool:
    return any(summary.get("groups", {}).get(k) for k in ("asked", "unknown", "new"))


@bp.get("/<int:batch_id>/annotated")
def annotated(batch_id: int):
    """The file as uploaded with "Errors" and "Warnings" columns, to fix in Excel."""
    batch = load_batch(batch_id, change=False)
    rows = sheets.data_rows(batch)
    if not rows:
        flash(_("The rows of this file were deleted: nothing to download."), "info")
        return redirect(url_for("imports.show_batch", batch_id=batch.id))
    out = io.StringIO()
    writer = csv.writer(out)
    # Every cell written back, the uploaded header row included, is text Excel will not run.
    writer.writerow([safe_cell(h) for h in (*batch.header_list, _("Errors"), _("Warnings"))])
    labels = {f.key: str(f.label) for k in FIELDS.values() for f in k}
    problems = batch.summary_dict.get("rows", {})
    for number, row in rows:
        errors, warnings = vocabulary.describe_problems(problems.get(str(number), []), labels)
        cells = (*batches.row_texts(row), errors, warnings)
        writer.writerow([safe_cell(c) for c in cells])
    audit.note_export("import_rows", rows=len(rows), object_id=batch.id)
    return csv_response(out.getvalue(), file_name("check", batch.id, ext="csv"))


@bp.post("/<int:batch_id>/import")
def run_import(batch_id: int):
    """Confirm the import (or continue one that stopped): a job that writes the rows the
    check found good, 500 a transaction; at once for a small file, else in the
    background while the import's page shows its progress."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("imports.show_batch", batch_id=batch.id))
    try:
        setups = group_setup.read_setup(batch, request.form)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("imports.show_batch", batch_id=batch.id))
    with saving() as saved:
        if setups and batch.status == BatchStatus.CHECKED:
            group_setup.keep_setup(batch, setups)
        plans = import_jobs.queue(current_user, batch, today())
    if saved.ok and job_runner.start(batch, plans) == JobStatus.DONE:  # queue committed
        _say_done(db.session.get(ImportBatch, batch_id).summary_dict)
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


def _say_done(summary: dict) -> None:
    done = summary.get("imported", 0)
    flash(ngettext("%(num)s row imported.", "%(num)s rows imported.", done), "success")
    updated = summary.get("updated", 0)
    if updated:
        flash(
            ngettext(
                "%(num)s member already here was updated.",
                "%(num)s members already here were updated.",
                updated,
            ),
            "success",
        )
    created = summary.get("created_groups", [])
    if created:
        flash(
            ngettext(
                "%(num)s new group was created: %(names)s.",
                "%(num)s new groups were created: %(names)s.",
                len(created),
                names=", ".join(created),
            ),
            "success",
        )
    not_set_up = summary.get("not_set_up", [])
    if not_set_up:
        flash(
            ngettext(
                "%(num)s new group has no meeting schedule yet: it is not expected to "
                "meet until you set it up from its page.",
                "%(num)s new groups have no meeting schedule yet: they are not expected "
                "to meet until you set them up from their pages.",
                len(not_set_up),
            ),
            "info",
        )


@bp.post("/<int:batch_id>/discard")
def discard(batch_id: int):
    """Delete the file's rows now, without importing them."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
        with saving() as saved:
            batches.discard_batch(current_user, batch)
        if saved.ok:
            flash(_("The file's rows were deleted."), "success")
    return redirect(url_for("imports.upload"))
