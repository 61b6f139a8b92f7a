"""Who may read a past import and download its rows to fix (issue 23): its uploader and
admins, every other role is refused; only the uploader may change a batch."""

import pytest

from tests.test_authorization import (
    FORBIDDEN,
    NOT_FOUND,
    OK,
    ROLES,
    TO_LOGIN,
    answer_problem,
    build_world,
)

# The batch was uploaded and imported by `coordinator`.
READ = {
    "anonymous": TO_LOGIN,
    "member": FORBIDDEN,
    "facilitator": NOT_FOUND,
    "other_facilitator": NOT_FOUND,
    "coordinator": OK,
    "other_coordinator": NOT_FOUND,
    "admin": OK,
    "provider": FORBIDDEN,
    "other_provider": FORBIDDEN,
}


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    users, ids = build_world(app, make_user, make_group, make_member, make_meeting)
    with app.app_context():
        ids["imported"] = imported_batch(users["coordinator"].id, ids["group"])
    return users, ids


def imported_batch(uploader_id: int, group_id: int) -> int:
    """A members file imported by the uploader, with one row to fix (an unknown code)."""
    from accounts.models import User
    from core.clock import today
    from core.db import db
    from groups.models import Group
    from imports import job_runner
    from imports.columns import Kind
    from imports.services import batches, import_jobs
    from imports.services.checks import dry_run as checks

    uploader = db.session.get(User, uploader_id)
    code = db.session.get(Group, group_id).code
    data = f"Họ và tên,Năm sinh,Nhóm\nLê Thị Hồng,1985,{code}\nPhan Thị Đào,1990,HUE-N999\n"
    batch = batches.store_batch(uploader, Kind.MEMBERS, "so.csv", data.encode())
    checks.check_batch(uploader, batch, today())
    import_jobs.queue(uploader, batch, today())
    db.session.commit()
    job_runner.run(batch.id)
    db.session.refresh(batch)
    assert batch.summary_dict["to_fix"] == 1
    return batch.id


@pytest.mark.parametrize("page", ["", "/annotated"])
def test_a_past_imports_page_and_rows_to_fix_by_role(app, world, page):
    users, ids = world
    url = f"/imports/{ids['imported']}{page}"
    problems = [answer_problem(app, users, role, "GET", url, None, READ[role]) for role in ROLES]
    assert [p for p in problems if p] == []


def test_the_rows_to_fix_download_for_an_admin_holds_the_row_and_what_to_fix(app, world):
    users, ids = world
    from tests.conftest import login

    client = app.test_client()
    login(client, users["admin"])
    response = client.get(f"/imports/{ids['imported']}/annotated")
    text = response.data.decode("utf-8-sig")
    assert "Phan Thị Đào" in text and "HUE-N999" in text and "Lê Thị Hồng" not in text
    # Admins find others' past imports on the imports page.
    assert f"/imports/{ids['imported']}" in client.get("/imports").get_data(as_text=True)


@pytest.mark.parametrize("action", ["import", "discard", "columns", "groups"])
def test_only_the_uploader_may_change_a_batch_even_imported(app, world, action):
    users, ids = world
    url = f"/imports/{ids['imported']}/{action}"
    assert answer_problem(app, users, "admin", "POST", url, {}, NOT_FOUND) is None
    # An admin does not see others' batches before they are imported.
    pending = f"/imports/{ids['batch']}"
    assert answer_problem(app, users, "admin", "GET", pending, None, NOT_FOUND) is None
