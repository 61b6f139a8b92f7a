"""The import writes the dry run's plans without checking every row again when nothing
they were checked against changed (issue 23 speed), and checks again when something did:
never a person added twice."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import Member
from imports.services import import_jobs
from tests.imports.test_imports import HA_TINH, batch_of, checked, count
from tests.imports.test_register_groups import person, register


@pytest.fixture
def gieng(login_as, make_group):
    login_as(Role.COORDINATOR, provinces=(HA_TINH,))
    return make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7))


@pytest.fixture
def checks_run(monkeypatch):
    """How many times the import checked the rows again."""
    calls = []
    real = import_jobs.check_rows

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "check_rows", counted)
    return calls


def test_nothing_changed_the_import_writes_the_checked_plans(app, client, gieng, checks_run):
    rows = [person("Lê Thị Hồng", "Nhóm Xóm Giếng", year=1990), person("Hồ Thị Na", "HTI-N009")]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    assert batch.plans is not None
    client.post(f"/imports/{batch.id}/import")
    assert checks_run == []
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["imported"] == 1 and batch.summary_dict["to_fix"] == 1
    assert batch.plans is None  # names are not kept past the import
    with app.app_context():
        member = db.session.scalar(select(Member))
        assert (member.full_name, member.birth_year) == ("Lê Thị Hồng", 1990)
        assert member.current_membership.group_id == gieng.id


def test_a_member_added_since_the_check_is_found_by_checking_again(
    app, client, gieng, make_member, checks_run
):
    rows = [person("Trần Thị Mai", "Nhóm Xóm Giếng", year=1990)]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    assert batch.summary_dict["counts"]["new"] == 1
    # Meanwhile someone adds her by hand (make_member: born 1990).
    make_member(gieng, full_name="Trần Thị Mai")
    client.post(f"/imports/{batch.id}/import")
    assert checks_run == [1]
    assert count(app, Member) == 1  # already here: not added twice


def test_answers_given_after_the_check_are_checked_again(app, client, gieng, checks_run):
    rows = [person("Lê Thị Hồng", "Nhóm Bến Đò")]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    with app.app_context():
        from imports.models import ImportBatch

        kept = db.session.get(ImportBatch, batch.id)
        kept.answers = '{"group:ben do": "new"}'  # changed without a check
        db.session.commit()
    client.post(f"/imports/{batch.id}/import")
    assert checks_run == [1]
