"""The writer: CSV with BOM and formulas defused, XLSX with real dates and numbers."""

import csv
import io
import re
import tempfile
import tracemalloc
from datetime import date

import openpyxl
import pytest

from reports import export_files, exports
from reports.exports import (
    DATE,
    DECIMAL,
    INTEGER,
    MONEY,
    PHONE,
    Column,
    safe_name,
    write_csv,
    write_xlsx,
)

COLUMNS = [
    Column("Mã thành viên"),
    Column("Ngày", DATE),
    Column("Số lần", INTEGER),
    Column("Số tiền (đồng)", MONEY),
]
ROWS = [
    ("HUE-2026-0001", date(2026, 3, 5), 4, 1_500_000),
    ('=HYPERLINK("http://x")', None, None, None),
    ("Nguyễn Thị Hoà", date(2025, 12, 31), 0, 0),
]


def read_csv(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def test_csv_has_bom_header_and_plain_values(app):
    out = io.BytesIO()
    with app.test_request_context():
        assert write_csv(COLUMNS, iter(ROWS), out) == 3
    rows = read_csv(out.getvalue())
    assert rows[0] == ["Mã thành viên", "Ngày", "Số lần", "Số tiền (đồng)"]
    assert rows[1] == ["HUE-2026-0001", "2026-03-05", "4", "1500000"]
    # A cell typed like a formula stays text in a spreadsheet.
    assert rows[2][0] == '\'=HYPERLINK("http://x")'
    assert rows[2][1:] == ["", "", ""]
    assert rows[3][0] == "Nguyễn Thị Hoà"
    assert b"\r\n" in out.getvalue()


def test_xlsx_dates_are_dates_and_money_is_numbers(app):
    out = io.BytesIO()
    with app.test_request_context():
        assert write_xlsx(COLUMNS, iter(ROWS), out, sheet="Thành viên") == 3
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.title == "Thành viên"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Mã thành viên", "Ngày", "Số lần", "Số tiền (đồng)")
    assert values[1][0] == "HUE-2026-0001"
    assert values[1][1].date() == date(2026, 3, 5)
    assert values[1][2:] == (4, 1_500_000)
    assert sheet.cell(2, 2).number_format == "dd/mm/yyyy"
    assert sheet.cell(2, 4).number_format == "#,##0"
    # Text that looks like a formula is written as text, never as a formula.
    assert sheet.cell(3, 1).data_type == "s"
    assert values[2][0] == '=HYPERLINK("http://x")'
    assert sheet.freeze_panes == "A2"


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(app, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)  # a header and two rows per sheet
    out = io.BytesIO()
    with app.test_request_context():
        write_xlsx(COLUMNS[:1], iter([(f"M{i}",) for i in range(5)]), out, sheet="Data")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Data", "Data (2)", "Data (3)"]
    assert [r[0] for r in book["Data (2)"].iter_rows(values_only=True)] == [
        "Mã thành viên",
        "M2",
        "M3",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_does_not_grow_with_rows(app, fmt):
    """Python memory for 2,000 and for 20,000 rows: the same (within a small margin)."""

    def peak(n):
        rows = ((f"HUE-2026-{i:05d}", date(2026, 1, 1), i, i * 1000) for i in range(n))
        with app.test_request_context():
            tracemalloc.start()
            with tempfile.TemporaryFile() as out:  # on disk, as the views write
                exports.write_table(fmt, COLUMNS, rows, out)
            size = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return size

    small, large = peak(2_000), peak(20_000)
    assert large < small + 512 * 1024, (small, large)


def test_safe_name_keeps_ascii_words_only():
    assert safe_name("register", "HUE-N001", "2026-03") == "register_HUE-N001_2026-03"
    assert safe_name("nhóm", "a/b c") == "nh-m_a-b-c"
    assert safe_name("") == "export"


def test_unknown_format_is_a_404(app):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        export_files.table_response("pdf", "x", COLUMNS, iter(()))


def test_response_streams_a_file_with_a_neutral_name(app):
    with app.test_request_context():
        response = export_files.table_response("csv", "members", COLUMNS, iter(ROWS))
        body = b"".join(response.response)
        response.close()
    assert response.headers["Content-Disposition"].startswith('attachment; filename="thanh-vien_')
    assert response.content_length == len(body)
    assert body.startswith(b"\xef\xbb\xbf")


def test_a_large_file_is_sent_in_chunks_and_closed(app, monkeypatch):
    monkeypatch.setattr(export_files, "IN_ONE_PIECE", 0)
    monkeypatch.setattr(export_files, "CHUNK", 16)
    with app.test_request_context():
        response = export_files.table_response("csv", "members", COLUMNS, iter(ROWS))
        chunks = list(response.response)
        response.close()
    assert len(chunks) > 3 and all(len(c) <= 16 for c in chunks)
    assert b"".join(chunks).startswith(b"\xef\xbb\xbf")
    assert response.content_length == sum(len(c) for c in chunks)


@pytest.mark.parametrize("in_one_piece", [export_files.IN_ONE_PIECE, 0])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_content_type_names_the_charset_once_for_text_and_never_for_a_workbook(
    app, monkeypatch, fmt, in_one_piece
):
    monkeypatch.setattr(export_files, "IN_ONE_PIECE", in_one_piece)  # from memory, then in chunks
    with app.test_request_context():
        response = export_files.table_response(fmt, "members", COLUMNS, iter(ROWS))
        response.close()
    content_type = response.headers["Content-Type"]
    assert content_type.count("charset") == (1 if fmt == "csv" else 0), content_type
    assert content_type == exports.CONTENT_TYPES[fmt]


# Figures, phones and days as a spreadsheet in any language reads them ---------------

FIGURES = [
    Column("Chỉ số"),
    Column("Giá trị", DECIMAL),
    Column("Điện thoại", PHONE),
    Column("02/11/2026", day=date(2026, 11, 2)),
    Column("09/11/2026 (Họp bất thường)", day=date(2026, 11, 9), note="Họp bất thường"),
]
FIGURE_ROWS = [
    ("Số nhóm", 18.0, "0912345678", "C", "V"),
    ("Số tiền", 667_000_000.0, "0912 345 678", "", ""),
    ("Tỷ lệ", 0.125, "+84 912 345 678", "", ""),
    ("Tỷ lệ", 2 / 3, "0238.384.4123", "", ""),
    ("Trung vị", 1.5, None, "", ""),
]


def test_csv_writes_whole_figures_as_integers_and_never_three_decimals(app):
    out = io.BytesIO()
    with app.test_request_context():
        write_csv(FIGURES, iter(FIGURE_ROWS), out)
    rows = read_csv(out.getvalue())
    # Counts and money: integers, numbers in every spreadsheet ("18.0" is text in Vietnamese).
    assert [r[1] for r in rows[1:]] == ["18", "667000000", "0.1250", "0.6667", "1.5000"]
    # "0.125" would read as 125 where "." groups thousands; four decimals stay text there.
    assert all(not re.fullmatch(r"\d+\.\d{3}", r[1]) for r in rows[1:])


def test_csv_writes_phones_so_that_no_spreadsheet_drops_their_first_0(app):
    out = io.BytesIO()
    with app.test_request_context():
        write_csv(FIGURES, iter(FIGURE_ROWS), out)
    phones = [r[2] for r in read_csv(out.getvalue())[1:]]
    assert phones == ["0912-345-678", "0912-345-678", "0912-345-678", "0238-384-4123", ""]
    assert exports.phone_text("+85512345678") == "0085-512-345-678"  # never a leading +
    assert exports.phone_text("=1+2") == "'=1+2"


def test_csv_heads_a_meeting_column_with_its_iso_day(app):
    out = io.BytesIO()
    with app.test_request_context():
        write_csv(FIGURES, iter(FIGURE_ROWS), out)
    header = read_csv(out.getvalue())[0]
    assert header[3:] == ["2026-11-02", "2026-11-09 (Họp bất thường)"]


def test_xlsx_types_figures_phones_and_header_days(app):
    out = io.BytesIO()
    with app.test_request_context():
        write_xlsx(FIGURES, iter(FIGURE_ROWS), out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.cell(2, 2).value == 18 and isinstance(sheet.cell(2, 2).value, int)
    assert sheet.cell(2, 2).number_format == "#,##0"
    assert sheet.cell(4, 2).value == 0.125 and sheet.cell(4, 2).number_format == "#,##0.0###"
    assert [sheet.cell(r, 3).value for r in (2, 3)] == ["0912345678", "0912 345 678"]
    assert sheet.cell(2, 3).data_type == "s"
    assert sheet.cell(1, 4).value.date() == date(2026, 11, 2)  # a date, not text
    assert sheet.cell(1, 4).number_format == "dd/mm/yyyy"
    assert sheet.cell(1, 5).value == "09/11/2026 (Họp bất thường)"


def reference_csv(columns, rows, notes=None) -> bytes:
    """The CSV as written one row at a time, each cell through csv_cell: what the fast
    writer (a batch per column, repeated values converted once) must write byte for byte."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    if notes is not None:
        for label, value in notes.lines:
            writer.writerow(
                [exports.csv_cell(exports.TEXT, label), exports.csv_cell(exports.TEXT, value)]
            )
        writer.writerow([])
    writer.writerow([c.csv_header() for c in columns])
    for row in rows:
        writer.writerow([exports.csv_cell(c.kind, v) for c, v in zip(columns, row, strict=True)])
    text.flush()
    return out.getvalue()


def awkward_rows(count: int):
    """Rows that repeat and vary: formula-like texts, a Mark equal to a text, quotes,
    commas, line breaks, Vietnamese, None, numbers of every type, days and moments."""
    from datetime import datetime
    from decimal import Decimal

    from reports.exports import Mark

    texts = [
        "Nghệ An",
        "=SUM(A1)",
        "+84 91",
        "-5",
        "@cmd",
        "\tTab",
        "\rCR",
        "[c]",
        Mark("[c]"),
        Mark("-"),
        "-",
        'say "hi", ok',
        "line\nbreak",
        "",
        None,
        7,
        "Hoà Bình",
    ]
    days = [date(2026, 1, 1), date(2025, 12, 31), datetime(2026, 3, 5, 23, 30), None, Mark("[c]")]
    numbers = [0, 1, 1_500_000, True, Decimal("18"), 4.0, None, Mark("[c]"), -3]
    decimals = [0.4667, Decimal("0.125"), 18.0, 2, None, Mark("[c]"), Decimal("1234.5")]
    phones = ["0912 345 678", "+84912345678", "+1 555 0100", "=1+2", "12", None, Mark("[c]")]
    for i in range(count):
        yield (
            texts[i % len(texts)],
            f"NAN-2025-{i:05d}",
            days[i % len(days)],
            numbers[i % len(numbers)],
            numbers[(i * 7) % len(numbers)],
            decimals[i % len(decimals)],
            phones[i % len(phones)],
            texts[(i * 5) % len(texts)],
        )


def test_the_fast_csv_is_byte_for_byte_the_per_row_reference(app, monkeypatch):
    monkeypatch.setattr(exports, "_KEEP_AT_MOST", 50)  # past the cap: converted, not kept
    columns = [
        Column("Tỉnh"),
        Column("Mã"),
        Column("Ngày", DATE),
        Column("Số lần", INTEGER),
        Column("Số tiền", MONEY),
        Column("Tỷ lệ", DECIMAL),
        Column("Điện thoại", PHONE),
        Column("=Ghi chú"),
        Column("Họp", DATE, day=date(2026, 2, 11), note="Thường kỳ"),
    ]
    rows = [(*row, row[2]) for row in awkward_rows(2_537)]  # more than two batches
    notes = exports.Notes("Ghi chú", [("Kỳ", "=2026"), ("Phạm vi", "Toàn quốc")])
    with app.test_request_context():
        for given in (None, notes):
            out = io.BytesIO()
            assert write_csv(columns, iter(rows), out, given) == len(rows)
            assert out.getvalue() == reference_csv(columns, rows, given)
        out = io.BytesIO()
        assert write_csv(columns, iter([]), out) == 0
        assert out.getvalue() == reference_csv(columns, [])


def test_the_fast_csv_refuses_a_row_of_the_wrong_width(app):
    with app.test_request_context(), pytest.raises(ValueError):
        write_csv(COLUMNS, iter([*ROWS, ("one", date(2026, 1, 1))]), io.BytesIO())


def test_xlsx_days_are_the_numbers_xlsxwriter_makes_of_them(app):
    """Days are written as numbers in the date format, each worked out once: the same
    number XlsxWriter's write_datetime would write, around Excel's 29 February 1900."""
    from xlsxwriter.utility import _datetime_to_excel_datetime

    days = [date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1), date(2026, 12, 7)]
    for day in days:
        assert exports.excel_day(day) == _datetime_to_excel_datetime(day, False, False)
    out = io.BytesIO()
    with app.test_request_context():
        write_xlsx([Column("Ngày", DATE)], iter([(d,) for d in days * 2]), out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert [r[0].date() for r in sheet.iter_rows(min_row=2, values_only=True)] == days * 2
    assert {sheet.cell(r, 1).number_format for r in range(2, 10)} == {"dd/mm/yyyy"}
