"""Uploading a register again (issue 23): the rows already imported are "already here"
(same person: name, birth year and group, Vietnamese-aware), never errors, never twice."""

from datetime import date

import pytest

import core.clock
from accounts.models import Role
from groups.models import Group, Member
from tests.imports.registers import book, titled
from tests.imports.test_imports import HA_TINH, batch_of, checked, count, upload

HEADER = ["STT", "Họ và tên", "Năm sinh", "Tên nhóm", "Xã", "Tỉnh", "Ngày vào nhóm"]


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


def register(rows, title="Danh sách") -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book((title, lambda ws: titled(ws, HEADER, people)))


def person(name, group="Nhóm Xóm Giếng", year=1985, joined=2019):
    return [name, year, group, "Xã Cẩm Xuyên", "Hà Tĩnh", joined]


ROWS = [
    person("Lê Thị Hồng"),
    person("Phan Thị Đào", year=1990),
    person("Hồ Thị Na", year=None),
    person("Trần Thị Bé", group="Nhóm Bến Đò", joined="05/2023"),
]


def test_the_same_register_again_is_already_here(app, client, coordinator, make_group):
    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    data = register(ROWS)
    batch = checked(client, app, data, filename="so.xlsx")
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new"})
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["counts"]["new"] == 4, batch.summary_dict
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 4 and count(app, Group) == 2

    # The very same file: refused, as before.
    response = upload(client, data, filename="so.xlsx")
    assert "Tệp này đã được nhập" in response.get_data(as_text=True)

    # The register kept on: saved again (another file), written a little differently,
    # one person added. The old rows are already here, the new one is new.
    again = [
        ["Le Thi Hong", 1985, "nhóm xóm giếng", "Xã Cẩm Xuyên", "Hà Tĩnh", 2019],
        ["PHAN THỊ ĐÀO", "1990", "Xóm Giếng", "Xã Cẩm Xuyên", "Hà Tĩnh", 2019],
        person("Hồ Thị Na", year=None),
        person("Trần Thị Bé", group="Nhóm Bến Đò", joined="05/2023"),
        person("Võ Thị Mai", year=1970),
    ]
    batch = checked(client, app, register(again, "2025"), filename="so-2025.xlsx")
    counts = batch.summary_dict["counts"]
    assert (counts["new"], counts["matched"], counts["errors"]) == (1, 4, 0), batch.summary_dict
    problems = {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}
    assert problems["existing_member"] == [5, 6, 7, 8]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Đã có" in page or "đã có" in page
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 5 and count(app, Group) == 2


def test_a_row_without_its_birth_year_is_the_one_person_of_that_name(
    app, client, coordinator, make_group
):
    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    batch = checked(client, app, register([person("Lê Thị Hồng")]), filename="a.xlsx")
    client.post(f"/imports/{batch.id}/import")
    # Again without the year: the one Lê Thị Hồng of the group, not a second one.
    batch = checked(client, app, register([person("Lê Thị Hồng", year=None)]), filename="b.xlsx")
    assert batch.summary_dict["counts"]["matched"] == 1
    # Another year: another person of the same name.
    batch = checked(client, app, register([person("Lê Thị Hồng", year=1999)]), filename="c.xlsx")
    assert batch.summary_dict["counts"]["new"] == 1


def test_a_repeated_row_without_its_year_is_not_a_second_person(
    app, client, coordinator, make_group
):
    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    rows = [
        person("Lê Thị Hồng"),
        person("Lê Thị Hồng", year=None),
        person("Lê Thị Hồng", year=1999),
    ]
    batch = checked(client, app, register(rows), filename="a.xlsx")
    problems = {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}
    assert problems["duplicate_in_file"] == [6]
    assert batch.summary_dict["counts"]["new"] == 2


CORRECTED = ["STT", "Mã TV", "Họ và tên", "Năm sinh", "Giới tính", "SĐT", "Tên nhóm"]
CORRECTED += ["Thôn/Xóm", "Đối tượng"]


def corrected(rows) -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book(("Danh sách", lambda ws: titled(ws, CORRECTED, people)))


def members_by_name(app) -> dict:
    from sqlalchemy import select

    from core.db import db

    with app.app_context():
        found = {m.full_name: m for m in db.session.scalars(select(Member))}
        db.session.expunge_all()
    return found


def test_a_corrected_register_says_what_it_changes_then_applies_it(
    app, client, coordinator, make_group
):
    """A new phone, a village, a category and a missing year of birth for people already
    here: listed field by field before the import, applied by it (audited), nobody
    added twice; an unticked field is left as it was; an empty or "không rõ" cell changes
    nothing."""
    from sqlalchemy import select

    from core.audit import AuditEvent
    from core.db import db
    from groups.models import MemberCategory

    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    first = [
        [None, "Lê Thị Hồng", 1985, "Nữ", "0912345678", "Nhóm Xóm Giếng", "Xóm 1", "NN"],
        [None, "Phan Thị Đào", None, "Nữ", "0987654321", "Nhóm Xóm Giếng", None, "DC"],
        [None, "Hồ Thị Na", 1992, "Nữ", None, "Nhóm Xóm Giếng", "Xóm 2", "NN"],
    ]
    batch = checked(client, app, corrected(first), filename="a.xlsx")
    client.post(f"/imports/{batch.id}/import")
    before = members_by_name(app)
    assert before["Lê Thị Hồng"].village == "Xóm 1"
    na_code = before["Hồ Thị Na"].code

    fixed = [
        [None, "Lê Thị Hồng", 1985, "Nữ", "0912 000 111", "Nhóm Xóm Giếng", "Xóm 3", "NN"],
        [None, "Phan Thị Đào", 1990, "không rõ", "", "Nhóm Xóm Giếng", "Thôn Đông", "DC"],
        [na_code, "Hồ Thị Na", 1992, "Nữ", None, "Nhóm Xóm Giếng", "Xóm 2", "Người di cư trở về"],
    ]
    batch = checked(client, app, corrected(fixed), filename="b.xlsx")
    summary = batch.summary_dict
    assert summary["counts"]["new"] == 0 and summary["counts"]["matched"] == 3
    assert summary["counts"]["errors"] == 0
    listed = {(c["name"], c["field"]): (c["now"], c["new"]) for c in summary["changes"]["shown"]}
    assert listed == {
        ("Lê Thị Hồng", "phone"): ("0912345678", "0912000111"),
        ("Lê Thị Hồng", "village"): ("Xóm 1", "Xóm 3"),
        ("Phan Thị Đào", "birth_year"): (None, "1990"),
        ("Phan Thị Đào", "village"): (None, "Thôn Đông"),
        ("Hồ Thị Na", "category"): ("survivor", "migrant"),
    }, listed
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Thay đổi cho thành viên đã có" in page and "0912000111" in page
    assert "Nhập 0 dòng mới và cập nhật 3 người đã có" in page

    # The village is not to be changed after all: unticked, it is left as it was.
    ticked = {f"field_{f}": "listed" for f in ("phone", "village", "birth_year", "category")}
    ticked.update(apply_phone="1", apply_birth_year="1", apply_category="1")
    client.post(f"/imports/{batch.id}/changes", data=ticked)
    batch = batch_of(app, batch.id)
    fields = {f["field"]: f["apply"] for f in batch.summary_dict["changes"]["fields"]}
    assert fields == {"phone": True, "village": False, "birth_year": True, "category": True}
    client.post(f"/imports/{batch.id}/import")

    after = members_by_name(app)
    assert len(after) == 3
    assert after["Lê Thị Hồng"].phone == "0912000111"
    assert after["Lê Thị Hồng"].village == "Xóm 1"  # unticked
    assert after["Phan Thị Đào"].birth_year == 1990
    assert after["Phan Thị Đào"].phone == "0987654321"  # an empty cell changes nothing
    assert after["Phan Thị Đào"].gender == before["Phan Thị Đào"].gender  # "không rõ" either
    assert after["Hồ Thị Na"].category == MemberCategory.MIGRANT
    assert batch_of(app, batch.id).summary_dict["updated"] == 3
    with app.app_context():
        details = db.session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "update",
                AuditEvent.object_type == "members",
                AuditEvent.object_id == after["Lê Thị Hồng"].id,
            )
        ).all()
    assert details == ["changed=phone"]


def test_the_rows_to_fix_stay_downloadable_after_the_import_then_expire(
    app, client, coordinator, make_group, runner, monkeypatch
):
    import csv
    import io
    from datetime import timedelta

    from imports.models import ImportRow

    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    rows = [person("Lê Thị Hồng"), person("Sai Ngày", joined="31/02/2023"), person("Hồ Thị Na")]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 2 and count(app, ImportRow) == 1  # the row to fix alone
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "1 dòng chưa được nhập" in page and f"/imports/{batch.id}/annotated" in page

    response = client.get(f"/imports/{batch.id}/annotated")
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r[1] for r in table[1:]] == ["Sai Ngày"]
    assert "Ngày không hợp lệ" in table[1][-2]

    # Sent again: nothing more is imported, the row to fix stays.
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 2 and count(app, ImportRow) == 1

    later = (batch_of(app, batch.id).imported_at.date() + timedelta(days=8)).isoformat()
    monkeypatch.setattr(core.clock, "today", lambda: date.fromisoformat(later))  # it has come
    runner.invoke(args=["scheduler", "run-job", "imports.purge_raw_rows", "--today", later])
    assert count(app, ImportRow) == 0
    response = client.get(f"/imports/{batch.id}/annotated", follow_redirects=True)
    assert "không có gì để tải về" in response.get_data(as_text=True)
