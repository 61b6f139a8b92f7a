"""One writing path for every view: commit once; a refusal, a stale version or a
duplicate key becomes a message next to the form (or a flashed one), never a 500.

    with saving(form, record=member) as saved:
        services.update_member(...)
    if saved.ok:
        return redirect(...)
    return render_template(...), saved.status

A DomainError puts its message on its field (200). A Conflict, a stale version
(StaleDataError) or a duplicate key that a concurrent request committed first
(IntegrityError) answers 409; with `record`, the form's hidden version moves to the
saved one, so sending the kept form again goes through once the person has checked.
"""

import contextlib
import logging
import re

from flask import flash, g
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from core import submissions
from core.db import db
from core.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

CHANGED_MEANWHILE = _l(
    "Someone else saved a change here at the same moment. Nothing of yours was saved; "
    "what you entered is still below. Check the saved details, then send it again."
)

# constraint name -> (message, field, conflict): what a duplicate means to the person.
DUPLICATES: dict[str, tuple[LazyString | str, str | None, bool]] = {}
# table name -> message for a save based on an old version of one of its rows.
STALE: dict[str, LazyString | str] = {}


def on_duplicate(constraint: str, message, field: str | None = None, *, conflict=True) -> None:
    """Say what a violation of this unique constraint means (registered by each package)."""
    DUPLICATES[constraint] = (message, field, conflict)


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the violated constraint, on PostgreSQL and on SQLite."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name
    found = re.search(r"UNIQUE constraint failed: ([\w., ]+)", str(error.orig))
    if not found:
        return None
    pairs = [part.strip().split(".") for part in found.group(1).split(",")]
    table_name, columns = pairs[0][0], {column for _, column in pairs}
    table = db.metadata.tables.get(table_name)
    if table is None:
        return None
    candidates = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    candidates += [i for i in table.indexes if i.unique]
    for candidate in candidates:
        if {c.name for c in candidate.columns} == columns and candidate.name:
            return str(candidate.name)
    return None


def _as_domain_error(error: Exception) -> DomainError:
    if isinstance(error, DomainError):
        return error
    if isinstance(error, IntegrityError):
        name = constraint_name(error)
        logger.info("duplicate or conflicting write refused: %s", name)
        message, field, conflict = DUPLICATES.get(name, (CHANGED_MEANWHILE, None, True))
        return (Conflict if conflict else DomainError)(message, field)
    table = re.search(r"table '(\w+)'", str(error))
    return Conflict(STALE.get(table.group(1) if table else "", CHANGED_MEANWHILE))


class saving:
    """Commit the changes made in the block, or show why they were not saved."""

    def __init__(self, form=None, *, record=None, duplicates: dict | None = None):
        self.form, self.record, self.duplicates = form, record, duplicates or {}
        self.ok, self.status, self.error = False, 200, None
        # A form sent again after it was saved is answered before any check of its own
        # (a "same person?" question, a duplicate day) could answer it differently.
        key = submissions.sent_key()
        if key and submissions.claimed(key):
            submissions.answer_again(key)

    def __enter__(self):
        key = submissions.sent_key()
        if key and not submissions.claim(key):
            submissions.answer_again(key)  # sent before: answered as then, nothing saved
        return self

    def __exit__(self, _kind, error, _traceback) -> bool:
        if error is None:
            try:
                db.session.commit()
            except (IntegrityError, StaleDataError) as failed:
                error = failed
            else:
                self.ok = True
                return False
        g.pop("submission_key", None)  # nothing saved: the key is free again
        if not isinstance(error, DomainError | IntegrityError | StaleDataError):
            return False
        db.session.rollback()
        if isinstance(error, IntegrityError) and constraint_name(error) in self.duplicates:
            message, field = self.duplicates[constraint_name(error)]
            error = DomainError(message, field)
        self.error = error = _as_domain_error(error)
        if isinstance(error, Conflict):
            self.status = 409
            self._keep_form_current()
        self._show(error)
        return True

    def require_unchanged(self, message) -> None:
        """A form opened on an earlier version of its record saves nothing: a Conflict
        (409), what was typed kept and the form's version moved on, so sending it again
        after a look goes through (issue 22: a decision on a record that changed since the
        page was opened). A form sent without a version is let through."""
        field = getattr(self.form, "version", None)
        sent = field.data.strip() if field is not None and isinstance(field.data, str) else ""
        if sent and sent != str(self.record.version):
            raise Conflict(message)

    def _keep_form_current(self) -> None:
        version = getattr(self.form, "version", None)
        if self.record is None or version is None:
            return
        with contextlib.suppress(ObjectDeletedError):
            version.data = self.record.version

    def _show(self, error: DomainError) -> None:
        if self.form is None:
            flash(str(error.message), "error")
            return
        field = getattr(self.form, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(error.message)]
        else:
            self.form.form_errors.append(str(error.message))


def commit(reason: str) -> None:
    """Commit now, outside a form's `saving`: the one other way a view commits.

    `reason` names at the call why this write cannot wait for, or is not, a form's
    save (a refused login kept with its audit event, an enrolment secret kept for the
    next try, a chunk of imported rows). tests/test_one_commit.py fails on any other
    `db.session.commit()` in a views or services module."""
    logger.debug("commit outside a form: %s", reason)
    db.session.commit()
