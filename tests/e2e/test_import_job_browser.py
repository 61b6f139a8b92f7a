"""A corrected register on a 360 px phone with JavaScript off (issue 23): the changes to
members already here are unticked per row, then a large import's page shows its progress
and reloads itself without JavaScript, and says when the job stopped."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import Member
from imports.models import ImportBatch, JobStatus
from tests.imports.test_register_again import corrected
from tests.imports.test_register_change_rows import FIRST, FIXED

pytestmark = pytest.mark.browser


def sign_in(phone, live_server):
    phone.goto(live_server + "/login")
    phone.fill("#username", "ha")
    phone.fill("#password", "một câu dài dễ nhớ")
    phone.click("main [type=submit]")
    phone.wait_for_url(live_server + "/")


def upload(phone, live_server, data: bytes, name: str, tmp_path):
    path = tmp_path / name
    path.write_bytes(data)
    phone.goto(live_server + "/imports")
    phone.check('input[name="kind"][value="members"]')
    phone.set_input_files("#file", str(path))
    phone.click("main form button[type=submit]")
    phone.wait_for_url("**/imports/*")


def test_changes_per_row_then_a_job_with_its_progress(
    app, live_server, phone, make_user, make_group, markup, tmp_path, monkeypatch
):
    make_user(Role.COORDINATOR, username="ha", password="một câu dài dễ nhớ", provinces=(42,))
    make_group(42, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    markup.watch(phone)
    sign_in(phone, live_server)
    upload(phone, live_server, corrected(FIRST), "a.xlsx", tmp_path)
    phone.click('main form[action$="/import"] button[type=submit]')
    phone.wait_for_url("**/imports/*")

    upload(phone, live_server, corrected(FIXED), "b.xlsx", tmp_path)
    markup.check(phone, "changes")
    boxes = phone.locator('#changes input[type=checkbox][name^="row_"]')
    assert boxes.count() == 3
    boxes.nth(1).uncheck()  # Phan Thị Đào's row
    phone.click("#changes button[type=submit]")
    phone.wait_for_url("**/imports/*")
    assert not phone.locator('#changes input[type=checkbox][name^="row_"]').nth(1).is_checked()

    # The import as a job left queued: its page shows the progress and reloads itself.
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_MAX_ROWS", 0)
    phone.click('main form[action$="/import"] button[type=submit]')
    phone.wait_for_url("**/imports/*")
    assert phone.locator("#import-job progress").count() == 1
    markup.check(phone, "progress")
    with app.app_context():
        batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        assert batch.job_status == JobStatus.QUEUED
        batch.job_status = JobStatus.FAILED  # stopped: the page offers to continue
        db.session.commit()
    phone.reload()
    markup.check(phone, "stopped")
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_MAX_ROWS", 1000)
    phone.click("#import-job button[type=submit]")
    phone.wait_for_url("**/imports/*")
    assert phone.locator("#import-job").count() == 0
    with app.app_context():
        phones = dict(db.session.execute(select(Member.full_name, Member.phone)).all())
    assert phones["Lê Thị Hồng"] == "0912000111" and phones["Phan Thị Đào"] == "0987654321"
