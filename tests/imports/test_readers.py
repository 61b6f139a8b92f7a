"""Reading registers: each format and encoding, Excel's traps, and column names."""

import io
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
import xlsxwriter

from imports import cells
from imports.columns import Kind, guess_mapping, header_key, missing_required
from imports.readers import MAX_BYTES, UnreadableFile, decode, read_table

DATA = Path(__file__).parent / "data"
HEADERS = ["Họ và tên", "Năm sinh", "Số điện thoại", "Ngày tham gia"]


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: vowels with their hat or horn, tones as marks after."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            tones = "".join(c for c in parts if c in _TONES)
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def xlsx(rows) -> bytes:
    """An .xlsx file the way Excel writes one: numbers as numbers, dates as dates."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def test_xlsx_keeps_numbers_dates_and_text():
    data = xlsx([HEADERS, ["Lê Thị Hồng", 1985, 912345678, date(2023, 2, 1)]])
    table = read_table("so-dang-ky.xlsx", data)
    assert table.headers == HEADERS
    name, year, phone, joined = table.rows[0]
    assert name == "Lê Thị Hồng"
    assert cells.birth_year(year, date(2026, 1, 1)) == 1985
    assert cells.phone(phone) == "0912345678"
    assert cells.day_of(joined) == date(2023, 2, 1)


def test_old_binary_xls_is_read():
    table = read_table("register.xls", (DATA / "register.xls").read_bytes())
    assert table.headers[0] == "Họ và tên"
    assert [r[0] for r in table.rows] == ["Lê Thị Hồng", "Phan Văn Đức"]
    assert cells.phone(table.rows[0][3]) == "0912345678"
    assert cells.day_of(table.rows[0][5]) == cells.day_of(table.rows[1][5]) == date(2023, 2, 1)


@pytest.mark.parametrize(
    "encoded",
    [
        "Họ và tên,Xã/Phường\nNguyễn Thị Hoà,Phú Hội\n".encode(),
        "\ufeffHọ và tên,Xã/Phường\nNguyễn Thị Hoà,Phú Hội\n".encode(),
        "Họ và tên;Xã/Phường\r\nNguyễn Thị Hoà;Phú Hội\r\n".encode(),
        cp1258("Họ và tên,Xã/Phường\nNguyễn Thị Hoà,Phú Hội\n"),
    ],
    ids=["utf8", "utf8-bom", "semicolon-crlf", "windows-1258"],
)
def test_csv_in_every_encoding_reads_the_same_nfc_text(encoded):
    table = read_table("danh-sach.csv", encoded)
    assert table.headers == ["Họ và tên", "Xã/Phường"]
    assert table.rows == [["Nguyễn Thị Hoà", "Phú Hội"]]
    assert unicodedata.is_normalized("NFC", table.rows[0][0])


def test_windows_1258_combining_tones_become_precomposed():
    # cp1258 writes "ệ" as "ê" + a combining dot below: NFD in the raw text.
    raw = cp1258("Nguyễn")
    assert b"\xea\xde" in raw  # ê, then the tilde as a mark of its own
    assert decode(raw) == "Nguyễn"


def test_nul_and_control_characters_are_dropped():
    table = read_table("a.csv", "Họ và tên\nNguyễn\x00 Thị\x07 Lan\n".encode())
    assert table.rows == [["Nguyễn Thị Lan"]]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", b"   \n  \n", "empty"),
        ("a.csv", "Họ và tên\n".encode(), "no rows"),
        ("a.pdf", b"%PDF-1.4 ...", ".xlsx, .xls or .csv"),
        ("a.xlsx", b"PK\x03\x04 not really a zip", "could not be read"),
        ("a.csv", b"x" * (MAX_BYTES + 1), "larger than 5 MB"),
    ],
)
def test_unreadable_files_say_why(app, filename, data, message):
    with app.test_request_context(), pytest.raises(UnreadableFile) as raised:
        read_table(filename, data)
    assert message in str(raised.value.message)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (912345678, "0912345678"),
        (912345678.0, "0912345678"),
        ("912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("02343822123", "02343822123"),
        ("12345", None),
        ("412345678", None),
        ("abc", None),
    ],
)
def test_phone_numbers_get_their_leading_zero_back(cell, expected):
    assert cells.phone(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("01/02/2023", date(2023, 2, 1)),  # day first
        ("1/2/2023", date(2023, 2, 1)),
        ("01-02-2023", date(2023, 2, 1)),
        ("01.02.2023", date(2023, 2, 1)),
        ("2023-02-01", date(2023, 2, 1)),
        (44958, date(2023, 2, 1)),  # an Excel serial number
        (44958.0, date(2023, 2, 1)),
        ("44958", date(2023, 2, 1)),
        (datetime(2023, 2, 1, 0, 0), date(2023, 2, 1)),
        (date(2023, 2, 1), date(2023, 2, 1)),
        ("31/02/2023", None),
        ("2023", None),
        ("hôm qua", None),
        (True, None),
    ],
)
def test_dates_day_first_serial_and_real(cell, expected):
    assert cells.day_of(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (1990, 1990),
        (1990.0, 1990),
        ("1990", 1990),
        ("1990.0", 1990),
        (" 1990 ", 1990),
        ("12/03/1990", 1990),
        (date(1990, 3, 12), 1990),
        ("199O", None),
        (1990.5, None),
        (3000, None),
        ("١٩٩٠", None),
    ],
)
def test_years_of_birth_as_text_or_float(cell, expected):
    assert cells.birth_year(cell, date(2026, 1, 1)) == expected


def test_headers_are_recognised_with_or_without_diacritics_case_and_spacing():
    headers = [
        "STT",
        "HO VA TEN",
        "năm  sinh",
        " Giới tính ",
        "SĐT",
        "Xa / Phuong",
        "huyện/quận",
        "Tỉnh/TP",
        "Nhóm",
    ]
    mapping = guess_mapping(Kind.MEMBERS, headers)
    assert mapping == {
        "full_name": 1,
        "birth_year": 2,
        "gender": 3,
        "phone": 4,
        "commune": 5,
        "district": 6,
        "province": 7,
        "group": 8,
    }
    assert missing_required(Kind.MEMBERS, mapping) == []
    assert header_key("Xã/Phường") == header_key("xa  phuong") == "xa phuong"


def test_remembered_choices_win_over_known_names():
    headers = ["Tên", "Họ và tên", "Nhóm"]
    mapping = guess_mapping(Kind.MEMBERS, headers, {"full_name": "ten"})
    assert mapping["full_name"] == 0


def test_a_missing_required_column_is_named():
    mapping = guess_mapping(Kind.ATTENDANCE, ["Nhóm", "Ngày họp"])
    assert {f.key for f in missing_required(Kind.ATTENDANCE, mapping)} == {"status", "full_name"}
