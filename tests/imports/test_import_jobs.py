"""A confirmed import runs as a job (issue 23): a progress bar on its page without
JavaScript, every row with a state, and a crash or a restart part-way goes on with the
rows still pending: no member and no group twice."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from accounts.models import Role
from core.db import db, utcnow
from groups.models import Group, Member, Membership
from imports import job_runner, jobs
from imports.models import ImportBatch, ImportBatchGroup, ImportRow, JobStatus, RowState
from imports.services import group_writes, import_jobs, writes
from tests.imports.test_imports import HA_TINH, batch_of, checked, count
from tests.imports.test_register_again import person, register
from tests.test_authorization import (
    FORBIDDEN,
    NOT_FOUND,
    REDIRECT,
    ROLES,
    TO_LOGIN,
    answer_problem,
    build_world,
)

ROWS = [
    person("Lê Thị Hồng"),
    person("Phan Thị Đào", year=1990),
    person("Trần Thị Bé", group="Nhóm Bến Đò", joined="05/2023"),
    person("Hồ Thị Na", year=1970, group="Nhóm Bến Đò"),
    person("Võ Thị Mai", year=1971),
    person("Đặng Thị Lan", year=1972, group="Nhóm Bến Đò"),
]


class Killed(BaseException):
    """The worker killed part-way (not an error the job could see and record)."""


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


@pytest.fixture
def background(app, monkeypatch):
    """Every import runs as a queued job (none at once), in chunks of two rows."""
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_MAX_ROWS", 0)
    monkeypatch.setitem(app.config, "IMPORT_JOBS_RUNNER", "none")
    monkeypatch.setattr(job_runner, "CHUNK", 2)


@pytest.fixture
def confirmed(app, client, coordinator, make_group, background):
    """The register checked, the new group confirmed, the import confirmed: queued."""
    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    batch = checked(client, app, register(ROWS), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new"})
    assert client.post(f"/imports/{batch.id}/import").status_code == 302
    return batch_of(app, batch.id)


def crash_after(monkeypatch, chunks: int, error: type[BaseException]):
    """write_chunk fails on the chunk after `chunks` were written (and committed)."""
    real = writes.write_chunk
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > chunks:
            raise error("crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(writes, "write_chunk", failing)


def states(app, batch_id) -> dict:
    with app.app_context():
        return dict(
            db.session.execute(
                select(ImportRow.state, func.count())
                .where(ImportRow.batch_id == batch_id)
                .group_by(ImportRow.state)
            ).all()
        )


def made_groups(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Group).where(Group.name == "Nhóm Bến Đò")
        )


def test_a_large_import_is_queued_and_its_page_shows_the_progress(app, client, confirmed):
    assert confirmed.job_status == JobStatus.QUEUED and confirmed.rows_total == 6
    assert count(app, Member) == 0  # the request wrote no row
    assert states(app, confirmed.id)[RowState.PENDING] == 6
    page = client.get(f"/imports/{confirmed.id}")
    assert page.status_code == 200
    assert page.headers["Refresh"] == "3"  # comes again, without JavaScript
    html = page.get_data(as_text=True)
    assert '<progress value="0" max="6">' in html
    with app.app_context():
        assert job_runner.run(confirmed.id) == JobStatus.DONE
    batch = batch_of(app, confirmed.id)
    assert (batch.job_status, batch.rows_done, batch.summary_dict["imported"]) == ("done", 6, 6)
    page = client.get(f"/imports/{confirmed.id}")
    assert "Refresh" not in page.headers and "<progress" not in page.get_data(as_text=True)
    assert count(app, Member) == 6 and made_groups(app) == 1


def test_a_worker_killed_part_way_is_resumed_without_a_second_member_or_group(
    app, client, confirmed, monkeypatch
):
    crash_after(monkeypatch, 1, Killed)
    with app.app_context(), pytest.raises(Killed):
        job_runner.run(confirmed.id)
    # The first chunk (two rows, and the new group made before it) is in; the rest pending.
    assert count(app, Member) == 2 and made_groups(app) == 1
    found = states(app, confirmed.id)
    assert (found[RowState.IMPORTED], found[RowState.PENDING]) == (2, 4)
    assert RowState.FAILED not in found  # the others: the title and header, skipped
    batch = batch_of(app, confirmed.id)
    assert (batch.job_status, batch.rows_done) == (JobStatus.RUNNING, 2)
    monkeypatch.undo()
    monkeypatch.setattr(job_runner, "CHUNK", 2)
    # The beat is still fresh: the minute job leaves it to the run that holds it.
    with app.app_context():
        assert jobs.resume_interrupted(date.today()) == {}
        # The process is gone: its beat grows old, and the minute job goes on with it.
        db.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == confirmed.id)
            .values(job_beat_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
    page = client.get(f"/imports/{confirmed.id}")
    assert "Tiếp tục nhập" in page.get_data(as_text=True)  # the owner may continue it too
    with app.app_context():
        assert jobs.resume_interrupted(date.today()) == {"done": 1}
    assert count(app, Member) == 6 and made_groups(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 6
        names = db.session.scalars(select(Member.full_name)).all()
        assert sorted(names) == sorted(r[0] for r in ROWS)
        assert db.session.scalar(select(func.count()).select_from(ImportBatchGroup)) == 1
    batch = batch_of(app, confirmed.id)
    assert batch.summary_dict["imported"] == 6 and batch.plans is None
    assert len(batch.summary_dict["created_groups"]) == 1
    assert states(app, confirmed.id) == {}  # the raw rows are deleted once done


def test_an_error_part_way_stops_the_job_and_continuing_writes_the_rest_once(
    app, client, confirmed, monkeypatch
):
    crash_after(monkeypatch, 2, RuntimeError)
    with app.app_context(), pytest.raises(RuntimeError):
        job_runner.run(confirmed.id)
    batch = batch_of(app, confirmed.id)
    assert (batch.job_status, batch.job_problem, batch.rows_done) == ("failed", "error", 4)
    assert count(app, Member) == 4 and made_groups(app) == 1
    html = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Việc nhập đã dừng" in html and "4 / 6" not in html
    monkeypatch.undo()
    monkeypatch.setattr(job_runner, "CHUNK", 2)
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_MAX_ROWS", 1000)
    # Continue: queued again, run at once (two rows left), nothing written twice.
    assert client.post(f"/imports/{batch.id}/import").status_code == 302
    assert count(app, Member) == 6 and made_groups(app) == 1
    batch = batch_of(app, batch.id)
    assert batch.job_status == JobStatus.DONE and batch.summary_dict["imported"] == 6
    # Sent once more (the Back button): already imported, nothing added.
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 6


# Who may continue a stopped import: its uploader only (admins read its page).
CONTINUE = {
    "anonymous": TO_LOGIN,
    "member": FORBIDDEN,
    "facilitator": NOT_FOUND,
    "other_facilitator": NOT_FOUND,
    "other_coordinator": NOT_FOUND,
    "admin": NOT_FOUND,
    "provider": FORBIDDEN,
    "other_provider": FORBIDDEN,
    "coordinator": REDIRECT,  # the uploader, last: continuing writes the rows
}


def test_only_the_uploader_continues_a_stopped_import(
    app, make_user, make_group, make_member, make_meeting
):
    users, ids = build_world(app, make_user, make_group, make_member, make_meeting)
    with app.app_context():
        from accounts.models import User
        from core.clock import today
        from imports.columns import Kind
        from imports.services import batches
        from imports.services.checks import dry_run

        uploader = db.session.get(User, users["coordinator"].id)
        code = db.session.get(Group, ids["group"]).code
        data = f"Họ và tên,Năm sinh,Nhóm\nLê Thị Hồng,1985,{code}\nPhan Thị Đào,1990,{code}\n"
        batch = batches.store_batch(uploader, Kind.MEMBERS, "so.csv", data.encode())
        dry_run.check_batch(uploader, batch, today())
        import_jobs.queue(uploader, batch, today())
        batch.job_status = JobStatus.FAILED  # stopped before writing a row
        db.session.commit()
        batch_id, before = batch.id, db.session.scalar(select(func.count()).select_from(Member))
    url = f"/imports/{batch_id}/import"
    problems = [
        answer_problem(app, users, role, "POST", url, {}, want) for role, want in CONTINUE.items()
    ]
    assert [p for p in problems if p] == []
    assert set(CONTINUE) == set(ROLES)
    assert count(app, Member) == before + 2  # continued once, by its uploader
    assert batch_of(app, batch_id).job_status == JobStatus.DONE


def test_two_runs_at_once_write_once(app, confirmed):
    with app.app_context():
        # Another run holds it and beats: this one does not start.
        db.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == confirmed.id)
            .values(job_status=JobStatus.RUNNING, job_runner="x" * 32, job_beat_at=utcnow())
        )
        db.session.commit()
        assert job_runner.run(confirmed.id) == "not queued"
    assert count(app, Member) == 0


def test_groups_made_by_a_batch_are_made_once_however_often_asked(app, confirmed):
    with app.app_context():
        batch = db.session.get(ImportBatch, confirmed.id)
        from imports.services import stored_plans

        plans = stored_plans.frozen(batch)
        owner = batch.owner
        first = group_writes.make_groups(
            owner, batch.id, plans, batch.answer_dict, date.today(), "setup:"
        )
        again = group_writes.make_groups(
            owner, batch.id, plans, batch.answer_dict, date.today(), "setup:"
        )
        assert [g.id for g in first.values()] == [g.id for g in again.values()]
        db.session.commit()
    assert made_groups(app) == 1
