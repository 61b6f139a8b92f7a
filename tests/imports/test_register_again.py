"""Uploading a register again (issue 23): the rows already imported are "already here"
(same person: name, birth year and group, Vietnamese-aware), never errors, never twice."""

from datetime import date

import pytest

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
