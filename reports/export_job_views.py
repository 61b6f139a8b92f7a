"""Files prepared in the background (reports.export_jobs): start one, follow it, fetch it.

Only the person who asked for a file sees its page, gets it or cancels it: anyone else
gets a 404, as for an address that does not exist. A file goes out only while its
owner's role and scope are what they were when they asked (else 403 with what to do),
and each download is recorded in the audit log as an export, with its rows and filters.
A cancel is recorded too (action "cancel_export").
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core import audit
from core.clock import day_of
from core.db import db, utcnow
from core.downloads import attachment, file_name
from core.forms import Form
from core.saving import commit
from reports import export_jobs as jobs
from reports import export_runner
from reports.export_files import CHUNK
from reports.export_views import TABLES, require_staff, table_request
from reports.exports import CONTENT_TYPES, safe_name

bp = Blueprint("export_jobs", __name__)


def load_job(job_id: int) -> jobs.ExportJob:
    """The job, if it is the current user's own; 404 otherwise (never a 403 that would
    tell that the job exists)."""
    require_staff()
    job = db.session.get(jobs.ExportJob, job_id)
    if job is None or not job.can_view(current_user):
        abort(404)
    return job


@bp.post("/exports/jobs")
def start():
    """Queue the table of the query string as a job (or find the same one queued)."""
    require_staff()
    form = Form()
    if not form.validate_on_submit():
        abort(400, description=_("The form has expired. Go back and try again."))
    asked = table_request()
    values = {
        "group_id": asked.group.id if asked.group else None,
        "province_code": asked.province,
        "start": asked.start,
        "end": asked.end,
    }
    resumed, _failed = jobs.recover_stale()  # anyone's jobs whose process died
    try:
        job = jobs.queue_job(current_user, asked.name, asked.fmt, **values)
        commit("the job is queued before its thread starts")
    except jobs.TooManyJobs as error:
        db.session.rollback()
        resumed, _failed = jobs.recover_stale()
        commit("jobs whose process died are queued again")
        _launch(resumed)
        flash(str(error.message), "error")
        return redirect(url_for("export_jobs.list_jobs"))
    except IntegrityError:  # the same request, sent at the same moment, won
        db.session.rollback()
        key = jobs.request_key(asked.name, asked.fmt, *values.values())
        job = jobs.active_twin(current_user, key)
        if job is None:
            raise
    _launch([*resumed, job.id] if job.status == jobs.QUEUED else resumed)
    return redirect(url_for("export_jobs.show_job", job_id=job.id))


def _launch(job_ids) -> None:
    for job_id in dict.fromkeys(job_ids):
        export_runner.launch(current_app._get_current_object(), job_id)


@bp.get("/exports/jobs")
def list_jobs():
    """The user's own files, ready or being prepared."""
    require_staff()
    return render_template(
        "exports/jobs.html",
        jobs=jobs.list_jobs(current_user),
        tables=TABLES,
        stale=jobs.stale_before(),
        problems=jobs.PROBLEMS,
        keep_days=current_app.config["EXPORT_KEEP_DAYS"],
    )


@bp.get("/exports/jobs/<int:job_id>")
def show_job(job_id: int):
    """How far the file is; reloads itself every few seconds while it is written."""
    job = load_job(job_id)
    stale = jobs.stale_before()
    response = current_app.make_response(
        render_template(
            "exports/job.html",
            job=job,
            tables=TABLES,
            stale=stale,
            problems=jobs.PROBLEMS,
            keep_days=current_app.config["EXPORT_KEEP_DAYS"],
            form=Form(),
        )
    )
    if job.active:  # until it ends: a stale one is resumed by the scheduler's process
        response.headers["Refresh"] = "5"
    return response


@bp.post("/exports/jobs/<int:job_id>/cancel")
def cancel(job_id: int):
    """Cancel the owner's job: stop it (or drop its file), remove the file; audited."""
    job = load_job(job_id)
    if not Form().validate_on_submit():
        abort(400, description=_("The form has expired. Go back and try again."))
    if jobs.cancel_job(current_user, job):
        commit("the cancel and its audit event")
        flash(_("The export is cancelled and its file deleted."), "success")
    else:
        db.session.rollback()
        flash(_("This export had already ended: there was nothing to cancel."), "info")
    return redirect(url_for("export_jobs.show_job", job_id=job_id))


@bp.get("/exports/jobs/<int:job_id>/file")
def job_file(job_id: int):
    """The file, to its owner, while kept and while their scope is as it was; audited."""
    job = load_job(job_id)
    path = jobs.file_path(job)
    if job.status != jobs.DONE or path is None or (job.expires_at and job.expires_at < utcnow()):
        abort(404, description=_("This file is no longer kept. Export the table again."))
    if jobs.scope_key(current_user) != job.scope_key:
        message = _(
            "What you may see has changed since this file was prepared. Export the table"
            " again to get the rows you may see now."
        )
        abort(403, description=message)
    if not path.exists():
        abort(404, description=_("This file is no longer kept. Export the table again."))
    filters = ["job"]
    filters += [n for n, v in (("group", job.group_id), ("province", job.province_code)) if v]
    if job.start_on:
        filters.append("period")
    audit.note_export(
        job.table,
        rows=job.rows_done,
        filters=filters,
        group_id=job.group_id,
        province_code=None if job.group_id else job.province_code,
    )
    stem = safe_name(job.table, day_of(job.finished_at).isoformat())  # the day in Viet Nam
    response = Response(
        _read(path), content_type=CONTENT_TYPES[job.format], direct_passthrough=True
    )
    response.content_length = path.stat().st_size
    response.headers["Content-Disposition"] = attachment(
        file_name(*stem.split("_"), ext=job.format)
    )
    return response


def _read(path):
    # Opened when the first chunk is asked for and closed after the last (or when the
    # response is dropped): a file never read is never opened.
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk
