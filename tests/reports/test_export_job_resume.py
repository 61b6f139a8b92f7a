"""Export jobs after a restart (resumed, then failed past their attempts) and cancelled by
their owner (reports/export_jobs.py, export_runner.py, export_job_views.py)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.audit import AuditEvent
from core.db import db, utcnow
from reports import export_jobs as jobs
from reports import export_runner
from tests.reports.test_export_jobs import as_user, job_rows, run, start
from tests.reports.test_exports import build_scene

STALE = timedelta(seconds=jobs.STALE_SECONDS + 1)


@pytest.fixture
def small_limit(app):
    """Any table of more than 2 rows is large."""
    app.config["EXPORT_DIRECT_MAX_ROWS"] = 2


@pytest.fixture
def scene(app, make_user, make_group, make_member, make_meeting):
    return build_scene(make_user, make_group, make_member, make_meeting)


def claimed_by_a_dead_worker(app, job_id, *, attempts=1, name="dead-run.csv"):
    """As if a process claimed the job, began its part file and was killed: its lease (the
    beat) ran out."""
    with app.app_context():
        db.session.execute(
            update(jobs.ExportJob)
            .where(jobs.ExportJob.id == job_id)
            .values(
                status=jobs.RUNNING,
                runner="dead",
                attempts=attempts,
                file_token=name,
                rows_done=3,
                beat_at=utcnow() - STALE,
            )
        )
        db.session.commit()
        part = jobs.part_path(name)
        part.write_bytes(b"half a file")
        return part


def resume(app):
    with app.app_context():
        result = export_runner.resume_stale()
        db.session.remove()
        return result


def test_a_job_whose_worker_died_is_resumed_from_the_start_and_ends_done(app, scene, small_limit):
    users, *_ = scene
    client = as_user(app, users["admin"])
    start(client)
    [job] = job_rows(app)
    part = claimed_by_a_dead_worker(app, job.id)
    page = client.get(f"/exports/jobs/{job.id}")
    assert "sẽ tự chạy lại" in page.get_data(as_text=True)  # "will start again by itself"
    assert page.headers["Refresh"] == "5"  # the page follows it until it ends
    assert resume(app) == {"resumed": 1, "done": 1, "failed_stale": 0}
    [job] = job_rows(app)
    assert (job.status, job.attempts, job.rows_done) == (jobs.DONE, 2, 5)
    assert job.runner != "dead"
    assert not part.exists()  # the dead run's part file is gone
    response = client.get(f"/exports/jobs/{job.id}/file")
    assert response.status_code == 200 and response.data.count(b"\r\n") == 6  # header + 5
    response.close()
    # The dead writer, were it only slow, finds the job no longer its own and stops.
    with app.app_context(), pytest.raises(export_runner.Lost):
        export_runner._set(job.id, "dead", rows_done=1)
    assert resume(app) == {"resumed": 0, "done": 0, "failed_stale": 0}  # nothing left


def test_a_job_queued_by_a_process_that_died_before_starting_it_is_resumed(app, scene, small_limit):
    users, *_ = scene
    start(as_user(app, users["admin"]))
    with app.app_context():
        db.session.execute(update(jobs.ExportJob).values(beat_at=utcnow() - STALE))
        db.session.commit()
    assert resume(app)["done"] == 1
    [job] = job_rows(app)
    assert (job.status, job.attempts) == (jobs.DONE, 1)


def test_a_job_that_dies_at_every_attempt_ends_failed_never_running(app, scene, small_limit):
    users, *_ = scene
    client = as_user(app, users["admin"])
    start(client)
    [job] = job_rows(app)
    part = claimed_by_a_dead_worker(app, job.id, attempts=jobs.MAX_ATTEMPTS)
    assert resume(app) == {"resumed": 0, "done": 0, "failed_stale": 1}
    [job] = job_rows(app)
    assert (job.status, job.problem, job.file_token) == (jobs.FAILED, "interrupted", None)
    assert not part.exists()
    page = client.get(f"/exports/jobs/{job.id}")
    assert "Máy chủ đã khởi động lại" in page.get_data(as_text=True)
    assert "Refresh" not in page.headers
    # A new click starts a new job.
    start(client)
    assert [j.status for j in job_rows(app)] == [jobs.FAILED, jobs.QUEUED]


def test_a_stale_job_is_taken_once_by_two_recoveries(app, scene, small_limit):
    users, *_ = scene
    start(as_user(app, users["admin"]))
    [job] = job_rows(app)
    claimed_by_a_dead_worker(app, job.id)
    with app.app_context():
        assert jobs.recover_stale() == ([job.id], 0)
        assert jobs.recover_stale() == ([], 0)  # its beat is fresh again
        db.session.commit()
    assert run(app, job.id) == jobs.DONE
    assert run(app, job.id) == "not queued"  # never written twice


def test_the_scheduler_resumes_jobs_every_few_minutes():
    from core.scheduler import JOBS, resolve

    job = next(j for j in JOBS if j.id == "exports.resume")
    assert resolve(job.func) is export_runner.resume_stale


def cancels(app, actor_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "cancel_export", AuditEvent.actor_id == actor_id
            )
        ).all()


def test_only_the_owner_cancels_a_job(app, scene, small_limit):
    users, *_ = scene
    owner = as_user(app, users["hue"])
    start(owner)
    [job] = job_rows(app)
    url = f"/exports/jobs/{job.id}/cancel"
    for other in ("nghe_an", "fac_hue", "admin"):  # another coordinator, a facilitator…
        assert as_user(app, users[other]).post(url).status_code == 404
    assert as_user(app, users["member"]).post(url).status_code in (403, 404)
    anonymous = app.test_client().post(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert owner.post(url, csrf=False).status_code in (400, 403)  # no form token
    assert [j.status for j in job_rows(app)] == [jobs.QUEUED]
    assert cancels(app, users["hue"].id) == []

    page = owner.get(f"/exports/jobs/{job.id}").get_data(as_text=True)
    assert f'action="{url}"' in page
    response = owner.post(url)
    assert response.status_code == 302 and response.headers["Location"] == f"/exports/jobs/{job.id}"
    [job] = job_rows(app)
    assert (job.status, job.runner, job.file_token) == (jobs.CANCELLED, None, None)
    [event] = cancels(app, users["hue"].id)
    assert event.object_type == "attendance" and event.detail == f"job={job.id};rows=0"
    page = owner.get(f"/exports/jobs/{job.id}")
    assert "Đã hủy" in page.get_data(as_text=True) and "Refresh" not in page.headers
    assert run(app, job.id) == "not queued"  # a cancelled job is never written
    # Cancelled twice: nothing to do, said so, audited once.
    assert owner.post(url).status_code == 302
    assert len(cancels(app, users["hue"].id)) == 1


def test_cancelling_a_running_job_stops_its_writer_and_removes_the_part_file(
    app, scene, small_limit
):
    users, *_ = scene
    owner = as_user(app, users["hue"])
    start(owner)
    [job] = job_rows(app)
    part = claimed_by_a_dead_worker(app, job.id, name="running.csv")
    with app.app_context():  # alive: its beat is fresh
        db.session.execute(update(jobs.ExportJob).values(beat_at=utcnow()))
        db.session.commit()
    assert owner.post(f"/exports/jobs/{job.id}/cancel").status_code == 302
    assert not part.exists()
    assert job_rows(app)[0].status == jobs.CANCELLED
    with app.app_context(), pytest.raises(export_runner.Lost):
        export_runner._set(job.id, "dead", rows_done=4)  # its next beat stops it
    assert resume(app)["resumed"] == 0  # a cancelled job is not resumed


def test_cancelling_a_done_job_deletes_its_file(app, scene, small_limit):
    users, *_ = scene
    owner = as_user(app, users["hue"])
    start(owner)
    [job] = job_rows(app)
    assert run(app, job.id) == jobs.DONE
    with app.app_context():
        path = jobs.file_path(job_rows(app)[0])
    assert path.exists()
    assert owner.post(f"/exports/jobs/{job.id}/cancel").status_code == 302
    assert not path.exists()
    assert owner.get(f"/exports/jobs/{job.id}/file").status_code == 404
    # The daily job forgets it after the kept days, as a failed one.
    with app.app_context():
        db.session.execute(update(jobs.ExportJob).values(created_at=utcnow() - timedelta(days=8)))
        assert jobs.delete_expired()["deleted"] == 1
        db.session.commit()
    assert job_rows(app) == []
