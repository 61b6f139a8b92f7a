"""What the check asked, answered: which groups, which words, which changes to apply,
where the header is, which column is which, which commune."""

import json

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.clock import today
from core.parse import PLACE_CODE_MAX, parse_int
from core.saving import saving
from groups.models import MemberCategory
from imports.columns import FIELDS
from imports.forms import ConfirmForm
from imports.services import (
    batches,
    consent_values,
    group_names,
    member_values,
    sheets,
)
from imports.services.checks import changes, dry_run
from imports.upload_limits import SHEET_ROWS
from imports.views.common import bp, load_batch, require_pending


@bp.post("/<int:batch_id>/groups")
def answer_groups(batch_id: int):
    """Keep which group each name the check asked about is, or that it is to be created."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
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
            dry_run.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Groups saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/words")
def answer_words(batch_id: int):
    """Keep what each category or consent word the check did not know means (or the
    answer for the whole file), then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
        answers = {}
        for i, word in enumerate(batch.summary_dict.get("words", [])):
            value = request.form.get(f"word_{i}", "")
            if value in set(MemberCategory):
                answers[f"category:{word['key']}"] = value
        if request.form.get("file_category", "") in set(MemberCategory):
            answers[member_values.FILE_CATEGORY] = request.form["file_category"]
        # Consent to keep programme records: each word asked, or once for the whole file.
        for i, word in enumerate(batch.summary_dict.get("consent_words", [])):
            value = request.form.get(f"consent_{i}", "")
            if value in consent_values.ANSWERS:
                answers[consent_values.WORD_ANSWER + word["key"]] = value
        if request.form.get("file_consent", "") in consent_values.ANSWERS:
            answers[consent_values.FILE_ANSWER] = request.form["file_consent"]
        if not answers:
            flash(_("Choose what at least one word means."), "error")
        else:
            with saving() as saved:
                kept = batch.answer_dict
                kept.update(answers)
                batch.answers = json.dumps(kept)
                dry_run.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Words saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/changes")
def answer_changes(batch_id: int):
    """Keep which fields, and which rows, of the members already here the import changes,
    then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
        kept = batch.answer_dict
        for name in changes.FIELDS:
            kept.pop(f"keep:{name}", None)
            if request.form.get(f"field_{name}") == "listed" and not request.form.get(
                f"apply_{name}"
            ):
                kept[f"keep:{name}"] = 1
        # Each row listed on the page: its box unticked leaves all its changes out.
        for entry in batch.summary_dict.get("changes", {}).get("shown", []):
            if not entry.get("span") or not request.form.get(f"listed_{entry['row']}"):
                continue
            key = changes.row_key(entry["row"])
            kept.pop(key, None)
            if not request.form.get(f"row_{entry['row']}"):
                kept[key] = 1
        with saving() as saved:
            batch.answers = json.dumps(kept)
            dry_run.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Your choice of changes is saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/layout")
def change_layout(batch_id: int):
    """Read the sheets ticked, each from the header row given, and check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
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
                dry_run.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Sheets and header rows saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/columns")
def change_columns(batch_id: int):
    """Use the chosen columns, remember them for the next file, and check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
        width = len(batch.header_list)
        mapping = {}
        for f in FIELDS[batch.kind]:
            column = parse_int(request.form.get(f"col_{f.key}", ""), maximum=width - 1)
            if column is not None:
                mapping[f.key] = column
        with saving() as saved:
            batches.set_mapping(current_user, batch, mapping)
            dry_run.check_batch(current_user, batch, today())
        if saved.ok:
            flash(_("Columns saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))


@bp.post("/<int:batch_id>/places")
def answer_places(batch_id: int):
    """Keep the commune chosen for each asked place, then check again."""
    batch = load_batch(batch_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        require_pending(batch)
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
                dry_run.check_batch(current_user, batch, today())
            if saved.ok:
                flash(_("Communes saved and the file checked again."), "success")
    return redirect(url_for("imports.show_batch", batch_id=batch.id))
