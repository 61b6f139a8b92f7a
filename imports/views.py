"""Import pages: upload a register, check it (dry run), answer what was asked, import.

A batch is its uploader's (others get 404): its raw rows are personal data they brought
in. Once imported, admins may read its page and download its rows to fix too; only the
uploader changes it. Who may import what is decided by the check itself (imports.services):
coordinators and admins in their provinces, facilitators into their own groups.
"""

import csv
import io
import json
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from accounts.models import Role
from core import audit
from core.auth import load, require
from core.clock import day_of, today
from core.db import db
from core.downloads import attachment, file_name
from core.errors import DomainError
from core.parse import PLACE_CODE_MAX, parse_int
from core.places import Commune, place_order
from core.saving import commit, saving
from core.uploads import accepts_upload
from groups.models import WEEKDAYS, Cadence, Gender, MemberCategory
from imports import layout
from imports.columns import FIELDS, Kind, missing_required
from imports.forms import ConfirmForm, UploadForm, kind_of
from imports.models import RAW_ROWS_DAYS, BatchStatus, ImportBatch
from imports.readers import MAX_BYTES
from imports.services import (
    batches,
    checks,
    group_names,
    group_setup,
    member_values,
    sheets,
    vocabulary,
    writes,
)
from imports.services.checks import changes
from imports.upload_limits import SHEET_ROWS

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


def kinds_for(user) -> list[Kind]:
    """Facilitators add members and attendance to their groups; managers also groups."""
    if user.role == Role.FACILITATOR:
        return [Kind.MEMBERS, Kind.ATTENDANCE]
    return list(Kind)


def may_import(user) -> bool:
    """Staff who may bring registers in: admins, coordinators, facilitators."""
    return getattr(user, "role", None) in Role.STAFF


def load_batch(batch_id: int, *, change: bool = True) -> ImportBatch:
    """The batch, for its uploader; to read only (`change=False`), as can_view says."""
    require(may_import(current_user))
    if not change:
        return load(ImportBatch, batch_id, status=404)
    return load(ImportBatch, batch_id, status=404, allowed=lambda b: b.can_edit(current_user))


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
                checks.check_batch(current_user, batch, today())
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
    return _csv_response(out.getvalue(), file_name("template", found.value, ext="csv"))


def _csv_response(text: str, filename: str) -> Response:
    # A byte-order mark so that Excel reads the Vietnamese letters as UTF-8.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": attachment(filename),
            "Cache-Control": "no-store",
        },
    )


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
    return render_template(
        "imports/batch.html",
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
        fix_until=_fix_until(batch),
        my_groups=group_names.scope(current_user) if _asks_groups(summary) else [],
        new_groups=group_setup.new_groups(batch) if batch.status == BatchStatus.CHECKED else [],
        cadences=list(Cadence),
        home_names=home_names,
        weekdays=WEEKDAYS,
    )


def _fix_until(batch: ImportBatch):
    """The last day the rows to fix of an imported file can be downloaded (the purge
    deletes them RAW_ROWS_DAYS after the import), or None."""
    if batch.status != BatchStatus.IMPORTED or batch.imported_at is None:
        return None
    return day_of(batch.imported_at) + timedelta(days=RAW_ROWS_DAYS)


def _asks_groups(summary: dict) -> bool:
    return any(summary.get("groups", {}).get(k) for k in ("asked", "unknown", "new"))


@bp.post("/<int:batch_id>/groups")
def answer_groups(batch_id: int):
    """Keep which group each name the check asked about is, or that it is to be created."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        mine = {g.id for g in group_names.scope(current_user)}
        asked = batch.summary_dict.get("groups", {})
        answers: dict[str, int | str] = {}
        for prefix, entries in (
            ("asked", asked.get("asked", [])),
            ("unknown", asked.get("unknown", [])),
            ("new", asked.get("new", [])),
        ):
            for i, entry in enumerate(entries):
                value = request.form.get(f"{prefix}_{i}", "")
                if value == group_names.NEW or (value == "" and prefix == "new"):
                    answers[entry["key"]] = value
                elif (group_id := parse_int(value, maximum=2**31)) in mine:
                    answers[entry["key"]] = group_id
                if prefix == "new":
                    home = parse_int(request.form.get(f"home_{i}", ""), maximum=PLACE_CODE_MAX)
                    if home is not None:
                        answers[f"home:{entry['key']}"] = home
        with saving() as saved:
            batches.set_group_answers(batch, answers)
            checks.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Groups saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/words")
def answer_words(batch_id: int):
    """Keep what each category word the check did not know means, then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        answers = {}
        for i, word in enumerate(batch.summary_dict.get("words", [])):
            value = request.form.get(f"word_{i}", "")
            if value in set(MemberCategory):
                answers[f"category:{word['key']}"] = value
        if request.form.get("file_category", "") in set(MemberCategory):
            answers[member_values.FILE_CATEGORY] = request.form["file_category"]
        if not answers:
            flash(_("Choose what at least one word means."), "error")
        else:
            with saving() as saved:
                kept = batch.answer_dict
                kept.update(answers)
                batch.answers = json.dumps(kept)
                checks.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Words saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/changes")
def answer_changes(batch_id: int):
    """Keep which fields of the members already here the import changes, then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        kept = batch.answer_dict
        for name in changes.FIELDS:
            kept.pop(f"keep:{name}", None)
            if request.form.get(f"field_{name}") == "listed" and not request.form.get(
                f"apply_{name}"
            ):
                kept[f"keep:{name}"] = 1
        with saving() as saved:
            batch.answers = json.dumps(kept)
            checks.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Your choice of changes is saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


def value_label(field: str, value: str | None) -> str:
    """A changed value as the page shows it: the label of a gender or category."""
    if value is None:
        return "—"
    kinds = {"gender": Gender, "category": MemberCategory}
    if field in kinds and value in set(kinds[field]):
        return str(kinds[field](value).label)
    return value


@bp.post("/<int:batch_id>/layout")
def change_layout(batch_id: int):
    """Read the sheets ticked, each from the header row given, and check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        layout = batch.layout_dict
        count = len(layout.get("sheets", []))
        chosen = [i for i in range(count) if request.form.get(f"sheet_{i}")]
        headers = {}
        for i in range(count):
            row = parse_int(request.form.get(f"header_{i}", ""), maximum=SHEET_ROWS)
            if row is not None and row >= 1:
                headers[i] = row
        if not chosen:
            flash(_("Tick at least one sheet to import."), "error")
        else:
            with saving() as saved:
                sheets.relayout(
                    batch, chosen, headers, batches.remembered_mapping(current_user, batch.kind)
                )
                checks.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Sheets and header rows saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


def _pending(batch: ImportBatch) -> None:
    if batch.status != BatchStatus.CHECKED:
        flash(_("This file can no longer be changed."), "error")
        abort(redirect(url_for("imports.show_batch", batch_id=batch.id)))


@bp.post("/<int:batch_id>/columns")
def change_columns(batch_id: int):
    """Use the chosen columns, remember them for the next file, and check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        width = len(batch.header_list)
        mapping = {}
        for f in FIELDS[batch.kind]:
            column = parse_int(request.form.get(f"col_{f.key}", ""), maximum=width - 1)
            if column is not None:
                mapping[f.key] = column
        with saving() as saved:
            batches.set_mapping(current_user, batch, mapping)
            checks.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Columns saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/places")
def answer_places(batch_id: int):
    """Keep the commune chosen for each asked place, then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        answers = {}
        for i, place in enumerate(batch.summary_dict.get("places", [])):
            code = parse_int(request.form.get(f"place_{i}", ""), maximum=PLACE_CODE_MAX)
            if code is not None:
                answers[place["key"]] = code
        if not answers:
            flash(_("Choose a commune for at least one place."), "error")
        else:
            with saving() as saved:
                batches.set_answers(batch, answers)
                checks.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Communes saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


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
    writer.writerow([_safe_cell(h) for h in (*batch.header_list, _("Errors"), _("Warnings"))])
    labels = {f.key: str(f.label) for k in FIELDS.values() for f in k}
    problems = batch.summary_dict.get("rows", {})
    for number, row in rows:
        errors, warnings = vocabulary.describe_problems(problems.get(str(number), []), labels)
        cells = (*batches.row_texts(row), errors, warnings)
        writer.writerow([_safe_cell(c) for c in cells])
    audit.note_export("import_rows", rows=len(rows), object_id=batch.id)
    return _csv_response(out.getvalue(), file_name("check", batch.id, ext="csv"))


def _safe_cell(value: str) -> str:
    """Text Excel will not run as a formula (=, +, -, @ first)."""
    if value and value[0] in "=+-@\t\r" and not value.lstrip("+-").replace(".", "").isdigit():
        return "'" + value
    return value


@bp.post("/<int:batch_id>/import")
def run_import(batch_id: int):
    """Import the rows the check found good, 500 a transaction."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("imports.show_batch", batch_id=batch.id))
    try:
        setups = group_setup.read_setup(batch, request.form)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("imports.show_batch", batch_id=batch.id))
    done = 0
    with saving() as saved:
        if setups and batch.status == BatchStatus.CHECKED:
            group_setup.keep_setup(batch, setups)
        for progress in writes.import_batch(current_user, batch, today()):
            commit("one transaction per chunk of imported rows")
            done = progress
    if saved.ok:
        updated = batch.summary_dict.get("updated", 0)
        flash(
            ngettext("%(num)s row imported.", "%(num)s rows imported.", done - updated), "success"
        )
        if updated:
            flash(
                ngettext(
                    "%(num)s member already here was updated.",
                    "%(num)s members already here were updated.",
                    updated,
                ),
                "success",
            )
        created = batch.summary_dict.get("created_groups", [])
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
        not_set_up = batch.summary_dict.get("not_set_up", [])
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
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/discard")
def discard(batch_id: int):
    """Delete the file's rows now, without importing them."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _pending(batch)
        with saving() as saved:
            batches.discard_batch(current_user, batch)
        if saved.ok:
            flash(_("The file's rows were deleted."), "success")
    return redirect(url_for("imports.upload"))
