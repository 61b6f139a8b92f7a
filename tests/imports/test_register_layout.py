"""Finding the table in registers as they are kept (usability F3, issue 23): title rows,
merged cells, blank rows, a header over two rows, column numbers, signatures below,
several sheets; every row of the file accounted for; the person picks another sheet or
header row."""

import json
from datetime import date

import pytest

from accounts.models import Role
from imports.columns import Kind, guess_mapping, recognise
from imports.layout import (
    ABOVE_HEADER,
    BELOW_TABLE,
    BLANK,
    COLUMN_NUMBERS,
    HEADER,
    HEADER_AGAIN,
)
from imports.models import ImportMapping
from tests.imports.registers import book, sheet_rows, titled, two_row_header
from tests.imports.test_imports import HA_TINH, batch_of, checked, upload

HEADER_ROW = ["STT", "Họ và tên", "Năm sinh", "Giới tính", "SĐT", "Tên nhóm", "Ngày vào nhóm"]


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


@pytest.fixture
def groups(make_group):
    return {
        "gieng": make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7)),
        "dong": make_group(HA_TINH, name="Nhóm Thôn Đông", founded_on=date(2019, 1, 7)),
    }


def people(group_name, names, start=1):
    return [
        [i, name, 1980 + i, "Nữ", f"09123456{i:02d}", group_name, f"0{i}/03/2023"]
        for i, name in enumerate(names, start=start)
    ]


def accounted(sheet: dict, data_rows: int) -> None:
    """Every row of the sheet, to its last, is read or left out with a reason."""
    assert sheet["data"] == data_rows
    assert len(sheet["skipped"]) + data_rows == sheet["rows"]


def test_title_rows_merged_cells_blank_rows_and_signatures(app, client, coordinator, groups):
    rows = people("Nhóm Xóm Giếng", ["Lê Thị Hồng", "Phan Thị Đào"])
    rows += [[], *people("Nhóm Xóm Giếng", ["Hồ Thị Na"], start=3)]  # a blank row inside

    def fill(ws):
        titled(ws, HEADER_ROW, rows)

    batch = checked(client, app, book(("Danh sách", fill)), filename="so.xlsx")
    sheet = batch.layout_dict["sheets"][0]
    assert sheet["header"] == 4 and sheet["header_rows"] == 1
    assert batch.header_list == HEADER_ROW
    reasons = sheet["skipped"]
    assert reasons["1"] == reasons["2"] == ABOVE_HEADER and reasons["3"] == BLANK
    assert reasons["4"] == HEADER and reasons["7"] == BLANK
    assert {reasons[str(n)] for n in range(9, 16)} == {BELOW_TABLE, BLANK}
    accounted(sheet, 3)
    assert batch.row_count == 3
    assert batch.summary_dict["counts"]["new"] == 3, batch.summary_dict
    assert batch.summary_dict["counts"]["errors"] == 0
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Danh sách" in page and 'name="header_0"' in page and 'value="4"' in page


def test_a_header_over_two_rows_with_column_numbers(app, client, coordinator, groups):
    top = ["STT", "Họ và tên", "Năm sinh", "Địa chỉ", None, None, "Nhóm", "Điện thoại"]
    below = [None, None, None, "Xã", "Huyện", "Tỉnh", None, None]
    numbers = [f"({i})" for i in range(1, 9)]
    person = [1, "Lê Thị Hồng", 1985, "Phường Thạch Linh", "TP Hà Tĩnh", "Hà Tĩnh"]
    person += ["Nhóm Thôn Đông", "0912345678"]

    def fill(ws):
        merges = ("A3:A4", "B3:B4", "C3:C4", "D3:F3", "G3:G4", "H3:H4")
        two_row_header(ws, top, below, [numbers, person], merges=merges)

    batch = checked(client, app, book(("Sheet1", fill)), filename="so.xlsx")
    sheet = batch.layout_dict["sheets"][0]
    assert (sheet["header"], sheet["header_rows"]) == (3, 2)
    assert sheet["skipped"]["5"] == COLUMN_NUMBERS
    mapping = batch.mapping_dict
    assert {k: batch.header_list[v] for k, v in mapping.items()} == {
        "full_name": "Họ và tên",
        "birth_year": "Năm sinh",
        "commune": "Xã",
        "district": "Huyện",
        "province": "Tỉnh",
        "group": "Nhóm",
        "phone": "Điện thoại",
    }
    accounted(sheet, 1)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Họ và tên", "full_name"),
        ("HO VA TEN", "full_name"),
        ("Họ tên", "full_name"),
        ("Họ và tên thành viên", "full_name"),
        ("Tên", "full_name"),
        ("Năm sinh", "birth_year"),
        ("Nam sinh", "birth_year"),
        ("NS", "birth_year"),
        ("Năm sinh (ghi năm)", "birth_year"),
        ("Ngày sinh", "birth_year"),
        ("Ngày vào nhóm", "joined_on"),
        ("Ngay vao nhom", "joined_on"),
        ("Năm tham gia", "joined_on"),
        ("Tên nhóm", "group"),
        ("Ten nhom", "group"),
        ("Mã nhóm", "group"),
        ("Nhóm", "group"),
        ("SĐT", "phone"),
        ("SDT", "phone"),
        ("Số ĐT", "phone"),
        ("SĐT (nếu có)", "phone"),
        ("Số điện thoại", "phone"),
        ("GT", "gender"),
        ("Giới tính", "gender"),
        ("Nam/Nữ", "gender"),
        ("Đối tượng", "category"),
        ("Xã/Phường/Thị trấn", "commune"),
        ("Huyện/TX/TP", "district"),
        ("Tỉnh/Thành phố", "province"),
        ("STT", ""),
        ("Ghi chú", ""),
        ("Tên thôn", None),
    ],
)
def test_header_wordings(header, field):
    assert recognise(Kind.MEMBERS, header) == field


def test_several_sheets_each_shown_with_its_rows(app, client, coordinator, groups):
    other_order = ["TT", "Tên nhóm", "Ho va ten", "NS", "GT", "SDT", "Ngay vao nhom"]
    second = [
        [r[0], r[5], r[1], r[2], r[3], r[4], r[6]] for r in people("Nhóm Thôn Đông", ["A", "B"])
    ]
    data = book(
        ("Xóm Giếng", lambda ws: titled(ws, HEADER_ROW, people("Nhóm Xóm Giếng", ["X", "Y", "Z"]))),
        ("Thôn Đông", lambda ws: sheet_rows(ws, [other_order, *second])),
        ("Ghi chú", lambda ws: sheet_rows(ws, [["Ghi chú"], ["Danh sách cập nhật tháng 12"]])),
        ("Trống", lambda ws: None),
    )
    batch = checked(client, app, data, filename="so.xlsx")
    layout = batch.layout_dict
    assert [s["name"] for s in layout["sheets"]] == ["Xóm Giếng", "Thôn Đông", "Ghi chú", "Trống"]
    assert layout["chosen"] == [0, 1]
    assert batch.row_count == 5
    assert batch.summary_dict["counts"]["new"] == 5
    accounted(layout["sheets"][0], 3)
    accounted(layout["sheets"][1], 2)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    for name in ("Xóm Giếng", "Thôn Đông", "Ghi chú", "Trống"):
        assert f"“{name}”" in page
    # The person takes the second sheet only.
    client.post(f"/imports/{batch.id}/layout", data={"sheet_1": "1"})
    batch = batch_of(app, batch.id)
    assert batch.layout_dict["chosen"] == [1] and batch.row_count == 2
    assert batch.header_list == other_order
    assert batch.summary_dict["counts"]["new"] == 2
    # Nothing ticked: refused with a message, nothing changed.
    response = client.post(f"/imports/{batch.id}/layout", data={}, follow_redirects=True)
    assert batch_of(app, batch.id).layout_dict["chosen"] == [1]
    assert "trang tính" in response.get_data(as_text=True)


def test_the_person_picks_another_header_row(app, client, coordinator, groups):
    rows = [["Cột 1", "Cột 2"], ["Danh sách", ""], HEADER_ROW, *people("Nhóm Xóm Giếng", ["A"])]
    batch = checked(client, app, book(("S", lambda ws: sheet_rows(ws, rows))), filename="so.xlsx")
    assert batch.layout_dict["sheets"][0]["header"] == 3
    client.post(f"/imports/{batch.id}/layout", data={"sheet_0": "1", "header_0": "1"})
    batch = batch_of(app, batch.id)
    sheet = batch.layout_dict["sheets"][0]
    assert sheet["header"] == 1 and batch.header_list == ["Cột 1", "Cột 2"]
    assert batch.row_count == 3
    client.post(f"/imports/{batch.id}/layout", data={"sheet_0": "1", "header_0": "3"})
    assert batch_of(app, batch.id).row_count == 1
    assert batch_of(app, batch.id).summary_dict["counts"]["new"] == 1


def test_a_repeated_header_and_a_sparse_last_person(app, client, coordinator, groups):
    rows = [HEADER_ROW, *people("Nhóm Xóm Giếng", ["A"]), HEADER_ROW]
    rows += [[None, "Trần Thị Bé", None, None, None, "Nhóm Xóm Giếng"]]
    batch = checked(client, app, book(("S", lambda ws: sheet_rows(ws, rows))), filename="so.xlsx")
    sheet = batch.layout_dict["sheets"][0]
    assert sheet["skipped"] == {"1": HEADER, "3": HEADER_AGAIN}
    assert batch.row_count == 2


def test_remembered_columns_never_hide_a_later_files_columns(app, client, coordinator):
    from core.db import db

    with app.app_context():
        db.session.add(
            ImportMapping(
                user_id=coordinator.id,
                kind=Kind.MEMBERS,
                columns=json.dumps({"phone": "", "gender": "", "full_name": "ten day du"}),
            )
        )
        db.session.commit()
    assert guess_mapping(Kind.MEMBERS, ["Họ và tên", "SĐT"], {"phone": ""}) == {
        "full_name": 0,
        "phone": 1,
    }
    batch = checked(
        client,
        app,
        book(("S", lambda ws: sheet_rows(ws, [HEADER_ROW, [1, "A"]]))),
        filename="so.xlsx",
    )
    assert {"phone", "gender", "full_name"} <= set(batch.mapping_dict)


def test_a_file_with_a_title_and_no_rows_is_refused_with_a_message(app, client, coordinator):
    data = book(("S", lambda ws: sheet_rows(ws, [["DANH SÁCH"]])), ("T", lambda ws: None))
    response = upload(client, data, filename="so.xlsx")
    assert response.status_code == 200
    assert "không có dòng nào" in response.get_data(
        as_text=True
    ).lower() or "dòng" in response.get_data(as_text=True)
