"""Large exports as jobs (reports/export_jobs.py, reports/export_job_views.py)."""

import csv
import io
import os
import stat
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, update

from accounts.models import User
from core.audit import AuditEvent
from core.db import db, utcnow
from reports import export_jobs as jobs
from reports import export_runner
from tests.conftest import NGHE_AN, login
from tests.reports.test_exports import build_scene

ATTENDANCE = "/exports/table?table=attendance&format=csv&from=2025-03-01&to=2025-03-31"


@pytest.fixture
def scene(app, make_user, make_group, make_member, make_meeting):
    return build_scene(make_user, make_group, make_member, make_meeting)


@pytest.fixture
def small_limit(app):
    """Any table of more than 2 rows is large."""
    app.config["EXPORT_DIRECT_MAX_ROWS"] = 2


def as_user(app, user):
    client = app.test_client()
    login(client, user)
    return client


def start(client, url=ATTENDANCE):
    return client.post(url.replace("/exports/table", "/exports/jobs"))


def job_rows(app, **where):
    with app.app_context():
        stmt = select(jobs.ExportJob).order_by(jobs.ExportJob.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(jobs.ExportJob, name) == value)
        return db.session.scalars(stmt).all()


def run(app, job_id):
    with app.app_context():
        return export_runner.run_job(job_id)


def exports_of(app, actor_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.actor_id == actor_id)
        ).all()


def test_a_small_table_still_downloads_at_once(app, scene):
    users, *_ = scene
    response = as_user(app, users["admin"]).get(ATTENDANCE)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert job_rows(app) == []


def test_a_large_table_offers_a_job_and_writes_nothing_yet(app, scene, small_limit):
    users, *_ = scene
    response = as_user(app, users["admin"]).get(ATTENDANCE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chuẩn bị tệp" in page  # "Prepare the file", a POST
    assert 'action="/exports/jobs?' in page
    assert job_rows(app) == [] and exports_of(app, users["admin"].id) == []


def test_the_job_writes_the_file_and_only_its_owner_downloads_it(app, scene, small_limit):
    users, hue, na, (mai, lan, nam) = scene
    client = as_user(app, users["admin"])
    response = start(client)
    assert response.status_code == 302
    [job] = job_rows(app)
    assert response.headers["Location"] == f"/exports/jobs/{job.id}"
    assert job.status == jobs.QUEUED
    page = client.get(f"/exports/jobs/{job.id}")
    assert "Đang chờ" in page.get_data(as_text=True)
    assert page.headers["Refresh"] == "5"

    assert run(app, job.id) == jobs.DONE
    [job] = job_rows(app)
    assert (job.status, job.rows_done, job.rows_total) == (jobs.DONE, 5, 5)
    assert job.expires_at - job.finished_at == timedelta(days=7)
    with app.app_context():
        path = jobs.file_path(job)
        folder = jobs.export_dir()
    # Readable by the app's user only, under a name nothing derives from the job.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert len(path.name) > 40 and path.parent == folder
    assert exports_of(app, users["admin"].id) == []  # written, not yet out

    page = client.get(f"/exports/jobs/{job.id}")
    assert "Refresh" not in page.headers
    assert f"/exports/jobs/{job.id}/file" in page.get_data(as_text=True)
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data[3:].decode("utf-8"))))
    response.close()
    assert len(rows) == 1 + 5
    assert {r[4] for r in rows[1:]} == {mai.code, lan.code, nam.code}
    [event] = exports_of(app, users["admin"].id)
    assert event.object_type == "attendance"
    assert event.detail == "rows=5;filters=job,period"

    # Another admin, a coordinator: as if the job did not exist.
    for other in ("hue", "fac_hue"):
        stranger = as_user(app, users[other])
        assert stranger.get(f"/exports/jobs/{job.id}").status_code == 404
        assert stranger.get(f"/exports/jobs/{job.id}/file").status_code == 404
        assert f"/exports/jobs/{job.id}" not in stranger.get("/exports/jobs").get_data(as_text=True)


def test_the_file_holds_what_its_owner_may_see(app, scene, small_limit):
    users, hue, na, (mai, lan, nam) = scene
    client = as_user(app, users["hue"])
    start(client, ATTENDANCE.replace("csv", "xlsx"))
    [job] = job_rows(app)
    run(app, job.id)
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    response.close()
    codes = {r[4] for r in list(sheet.iter_rows(values_only=True))[1:]}
    assert codes == {mai.code, lan.code}


def test_a_second_click_finds_the_same_job(app, scene, small_limit):
    users, *_ = scene
    client = as_user(app, users["admin"])
    first = start(client)
    second = start(client)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(job_rows(app)) == 1
    # Another table is another job; a third at once is refused with a message.
    assert start(client, ATTENDANCE.replace("csv", "xlsx")).status_code == 302
    third = start(client, ATTENDANCE.replace("2025-03-01", "2025-02-01"))
    assert third.headers["Location"] == "/exports/jobs"
    assert "Bạn đang có 2 tệp" in client.get("/exports/jobs").get_data(as_text=True)
    assert len(job_rows(app)) == 2


def test_the_database_refuses_two_active_copies_of_one_request(app, scene):
    users, *_ = scene
    with app.app_context():
        admin = db.session.get(User, users["admin"].id)
        one = jobs.queue_job(admin, "members", "csv")
        db.session.add(
            jobs.ExportJob(
                user_id=admin.id,
                table="members",
                format="csv",
                request_key=one.request_key,
                scope_key=one.scope_key,
            )
        )
        with pytest.raises(Exception, match="uq_export_jobs_active|UNIQUE"):
            db.session.commit()
        db.session.rollback()


def test_a_job_that_fails_while_writing_says_so_and_leaves_no_file(app, scene, monkeypatch):
    users, *_ = scene
    with app.app_context():
        admin = db.session.get(User, users["admin"].id)
        job_id = jobs.queue_job(admin, "members", "csv").id
        db.session.commit()

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_runner, "write_table", broken)
    with pytest.raises(OSError):
        run(app, job_id)
    [job] = job_rows(app)
    assert (job.status, job.problem, job.file_token) == (jobs.FAILED, "error", None)
    with app.app_context():
        assert list(jobs.export_dir().glob("*")) == [] or all(
            p.suffix != ".part" for p in jobs.export_dir().glob("*")
        )
    assert run(app, job_id) == "not queued"  # never run twice


def test_files_are_deleted_after_the_kept_days(app, scene, small_limit):
    users, *_ = scene
    client = as_user(app, users["admin"])
    start(client)
    [job] = job_rows(app)
    run(app, job.id)
    with app.app_context():
        path = jobs.file_path(job_rows(app)[0])
        assert jobs.delete_expired()["deleted"] == 0
        db.session.execute(
            update(jobs.ExportJob).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    # Past its day the file is not served, even before the daily job.
    assert client.get(f"/exports/jobs/{job.id}/file").status_code == 404
    with app.app_context():
        assert jobs.delete_expired()["deleted"] == 1
        db.session.commit()
    assert not path.exists()
    assert job_rows(app) == []


def test_a_coordinator_whose_provinces_changed_cannot_fetch_the_old_file(
    app, scene, small_limit
):
    users, *_ = scene
    client = as_user(app, users["hue"])
    start(client)
    [job] = job_rows(app)
    run(app, job.id)
    from core.places import Province

    with app.app_context():
        coordinator = db.session.get(User, users["hue"].id)
        coordinator.provinces.append(db.session.get(Province, NGHE_AN))
        db.session.commit()
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 403
    assert "Xuất lại bảng" in response.get_data(as_text=True)
    assert exports_of(app, users["hue"].id) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("table=attendance&format=csv&from=1990-01-01&to=2025-03-31", "tối đa 731 ngày"),
        ("table=attendance&format=csv&from=1990-01-01", "tối đa 731 ngày"),
        ("table=attendance&format=csv&from=2025-03-31&to=2025-03-01", "sau ngày kết thúc"),
        ("table=secrets&format=csv", "Chọn dữ liệu cần xuất"),
        ("table=members&format=pdf", "Chọn loại tệp"),
    ],
)
def test_bad_input_to_a_job_gets_a_clear_message_and_no_job(app, scene, query, message):
    users, *_ = scene
    client = as_user(app, users["admin"])
    for response in (client.get(f"/exports/table?{query}"), client.post(f"/exports/jobs?{query}")):
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert job_rows(app) == []


def test_a_scope_not_held_is_refused_and_starts_no_job(app, scene, small_limit):
    users, hue, na, _members = scene
    client = as_user(app, users["hue"])
    for query in (f"province={NGHE_AN}", f"group={na.id}"):
        assert client.post(f"/exports/jobs?table=members&format=csv&{query}").status_code == 403
    assert as_user(app, users["member"]).post("/exports/jobs?table=members").status_code == 403
    assert job_rows(app) == []


def test_a_job_without_its_form_token_is_refused(app, scene):
    users, *_ = scene
    client = as_user(app, users["admin"])
    response = client.post("/exports/jobs?table=members&format=csv", csrf=False)
    assert response.status_code in (400, 403)
    assert job_rows(app) == []


def test_the_daily_job_is_in_the_scheduler_table():
    from core.scheduler import JOBS, resolve

    job = next(j for j in JOBS if j.id == "exports.delete_expired")
    assert resolve(job.func) is jobs.delete_expired


def test_the_reader_does_not_hold_the_write_lock(app, scene):
    """On SQLite a job reads for minutes: others must be able to write meanwhile."""
    users, *_ = scene
    with app.app_context():
        admin = db.session.get(User, users["admin"].id)
        from reports import export_tables as tables

        with export_runner.reading_connection():
            rows = tables.members_table(admin).rows
            first = next(rows)
            # Another writer commits while the read is open.
            db.session.execute(update(jobs.ExportJob).values(rows_done=0))
            count = db.session.scalar(select(func.count()).select_from(jobs.ExportJob))
            db.session.commit()
            rest = list(rows)
        assert first and len(rest) == 2 and count == 0


def test_in_the_web_process_the_job_runs_in_a_thread_of_its_own(app, scene, small_limit):
    import threading

    users, *_ = scene
    app.config["EXPORT_JOBS_RUNNER"] = "thread"
    client = as_user(app, users["admin"])
    location = start(client).headers["Location"]
    for thread in threading.enumerate():
        if thread.name.startswith("export-job-"):
            thread.join(timeout=60)
    [job] = job_rows(app)
    assert location == f"/exports/jobs/{job.id}"
    assert (job.status, job.rows_done) == (jobs.DONE, 5)
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 200 and response.data.count(b"\r\n") == 6
    response.close()


def test_a_file_finished_at_00_30_in_viet_nam_is_named_for_that_day(app, scene, small_limit):
    """Issue 22 (one day everywhere): finished at 17:30 UTC on 9 March is 00:30 on 10 March
    in Viet Nam; the file is named for the 10th, as a person there would say."""
    users, *_ = scene
    client = as_user(app, users["admin"])
    start(client)
    [job] = job_rows(app)
    assert run(app, job.id) == jobs.DONE
    with app.app_context():
        row = db.session.get(jobs.ExportJob, job.id)
        row.finished_at = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)
        row.expires_at = datetime.now(UTC) + timedelta(days=1)
        db.session.commit()
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 200
    response.close()
    assert "2026-03-10" in response.headers["Content-Disposition"]
    assert "2026-03-09" not in response.headers["Content-Disposition"]
