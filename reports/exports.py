"""Tables out of the app as CSV or XLSX files, in memory that does not grow with the rows.

One writer for every export (groups, members, registers, grants, follow-ups, and the
indicator tables of the progress pages): give it columns and an iterator of rows.

    columns = [Column(_l("Group code")), Column(_l("Founded on"), DATE),
               Column(_l("Amount"), MONEY)]
    return table_response("xlsx", "groups", columns, rows)  # reports.export_files

- `rows` is any iterator of tuples, one value per column; read it from the database in
  batches (`execution_options(yield_per=…)`: a server-side cursor on PostgreSQL), so
  neither the query nor the writer holds the table.
- The file is written to a temporary file first, then sent in 64 KiB chunks (small
  files from memory): the database connection is given back before a slow phone starts
  downloading, and a failure while writing is an error page, not half a file that
  looks whole.
- Two files for two readers. XLSX is for people, and the pages offer it first: dates are
  spreadsheet dates shown as 05/12/2026 (Vietnamese) or 5 Dec 2026, counts and money are
  numbers with a thousands format, phones and codes are text (a phone keeps its first 0).
  CSV is for other programs, and the pages say so beside the link: UTF-8 with a byte
  order mark, dates as ISO year-month-day, counts and money as plain whole numbers, other
  numbers with a decimal point and four decimals ("0.4667"). Opened in a spreadsheet
  anyway, nothing in it reads as a wrong value in any language: whole numbers and ISO dates
  read as numbers and dates everywhere; a decimal never has three digits after its point,
  so where "." groups thousands (Vietnamese, German) it stays text instead of reading as a
  number a thousand times too large; phones are written 0912-345-678, which no spreadsheet
  takes for a number, so the 0 stays; a text cell that begins like a formula (= + - @)
  gets a leading apostrophe, so a name typed as "=HYPERLINK(…)" stays text.
- XLSX: XlsxWriter in constant-memory mode (each row goes to disk when the next begins).
  Dates are spreadsheet dates shown as 05/12/2026 (Vietnamese) or 5 Dec 2026; money and
  counts are numbers with a thousands format. Text is always written as text, never as a
  formula or link. Past a sheet's 1,048,576 rows the table continues on a new sheet
  under the same header.
- A column headed by a day (the meetings of a register) gets a date in its header: a
  spreadsheet date in XLSX, ISO in CSV, never "02/11/2026", which en-US reads as 11 February.
- File names say what kind of table it is and when, in the user's language with an ASCII
  fallback (core.downloads), never whose data or what the programme is about (`safe_name`).
"""

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import batched
from typing import IO

import xlsxwriter
from flask_babel import get_locale

from core.clock import VIETNAM


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    MONEY = "money"  # whole đồng
    DECIMAL = "decimal"  # a share, a median, a figure: whole or with decimals
    PHONE = "phone"  # text, written so that no spreadsheet reads it as a number


TEXT, DATE, INTEGER, MONEY, DECIMAL, PHONE = (
    Kind.TEXT,
    Kind.DATE,
    Kind.INTEGER,
    Kind.MONEY,
    Kind.DECIMAL,
    Kind.PHONE,
)


class Mark(str):
    """A symbol in place of a value (a cell hidden to protect people, reports.suppression):
    written as text in any column, CSV or XLSX."""


@dataclass(frozen=True)
class Notes:
    """What a file says about its table (method, period, scope, legend): (label, text)
    lines above the table in CSV, a sheet of their own (`title`) after it in XLSX."""

    title: object
    lines: Sequence[tuple[object, object]]


@dataclass(frozen=True)
class Column:
    """A column: its header (a lazy translation, read when the file is written) and kind."""

    header: object
    kind: Kind = TEXT
    width: int | None = None  # in characters; a default per kind otherwise
    # A column headed by a day (a meeting in a register): the day, and what the header
    # adds to it (the kind of meeting), if anything. `header` is then what a page shows.
    day: date | None = None
    note: object = None

    def csv_header(self) -> str:
        if self.day is None:
            return str(self.header)
        return self.day.isoformat() + (f" ({self.note})" if self.note else "")


# Whole Content-Type headers, given to the response as its content_type: as a `mimetype`
# Werkzeug adds "; charset=utf-8" to any text/* type, and a CSV went out with two.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(CONTENT_TYPES)
XLSX_MAX_ROWS = 1_048_576  # a sheet's rows, header included
WIDTHS = {TEXT: 18, DATE: 12, INTEGER: 10, MONEY: 14, DECIMAL: 10, PHONE: 14}
# As core.i18n writes dates on pages: day first, two digits in Vietnamese.
XLSX_DATE_FORMATS = {"vi": "dd/mm/yyyy", "en": "d mmm yyyy"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(*parts) -> str:
    """An ASCII file name stem from neutral parts (a table kind, a group code, a month):
    anything else becomes '-'. Never pass a person's name or a free-text field here."""
    stem = "_".join(_UNSAFE_NAME.sub("-", str(p)).strip("-") for p in parts if p)
    return stem[:100] or "export"


def whole(value) -> int | None:
    """The value as an int if it is a whole number (18.0, Decimal("18")), else None."""
    number = float(value)
    return int(number) if number.is_integer() else None


def phone_text(value) -> str:
    """A phone number as 0912-345-678: its digits in groups joined by hyphens, which a
    spreadsheet in any language keeps as text with its first 0 (spaces do not: French,
    Russian and Swedish group thousands with them; dots group them in Vietnamese and
    German). +84 becomes 0 and another + becomes 00, as dialled from Viet Nam: a cell
    beginning with + is a formula to Excel."""
    text = str(value).strip()
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("+"):
        digits = "00" + digits[1:]
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 7:
        return "'" + text if text.startswith(_FORMULA_START) else text
    groups = [digits[:4]] + [digits[i : i + 3] for i in range(4, len(digits), 3)]
    if len(groups[-1]) == 1:  # 0238-384-4123, not 0238-384-412-3
        groups[-2:] = [groups[-2] + groups[-1]]
    return "-".join(groups)


def csv_cell(kind: Kind, value):
    if value is None:
        return ""
    if isinstance(value, Mark):
        return str(value)
    if kind == DATE:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if kind in (INTEGER, MONEY):
        return int(value)
    if kind == DECIMAL:
        number = whole(value)
        # Never three decimals: "0.125" reads as 125 where "." groups thousands.
        return number if number is not None else f"{float(value):.4f}"  # for machines: CSV
    if kind == PHONE:
        return phone_text(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# Converted cells kept per column, so that the values a column repeats (a province, a
# day, a status) are converted once. Only values whose converted cell is the same for any
# equal value are kept: a Mark equal to a text gets the same cell, never the "'" of a
# formula-like text (those are not kept).
_KEPT = {TEXT: str, DATE: date, INTEGER: int, MONEY: int}
_KEEP_AT_MOST = 4_096
CSV_BATCH = 1_000


class _CsvCells(dict):
    """Cells of one column by value: looked up in C for a batch (map), converted by
    csv_cell on the first sight of a value."""

    def __init__(self, kind: Kind):
        super().__init__()
        self.kind, self.kept = kind, _KEPT.get(kind)

    def __missing__(self, value):
        cell = csv_cell(self.kind, value)
        if len(self) < _KEEP_AT_MOST and (
            value is None or (type(value) is self.kept and (self.kind != TEXT or cell is value))
        ):
            self[value] = cell
        return cell


def write_csv(
    columns: Sequence[Column], rows: Iterable[Sequence], out: IO[bytes], notes: Notes | None = None
) -> int:
    """Write the table as CSV (UTF-8 with BOM, CRLF lines) to a binary file, after its
    notes (one line each, then an empty line); return the rows written, header not counted.

    The rows go CSV_BATCH at a time: each column of the batch is converted through its
    cells (_CsvCells), then written to text in memory and encoded at once. Every cell is
    what csv_cell makes of it (tests/reports/test_export_writer.py compares the two)."""
    out.write(codecs.BOM_UTF8)
    text = io.StringIO()
    writer = csv.writer(text)
    if notes is not None:
        writer.writerows([csv_cell(TEXT, label), csv_cell(TEXT, v)] for label, v in notes.lines)
        writer.writerow([])
    writer.writerow([c.csv_header() for c in columns])
    cells = [_CsvCells(c.kind).__getitem__ for c in columns]
    count = 0
    for batch in batched(rows, CSV_BATCH):
        by_column = zip(*batch, strict=True)
        converted = [list(map(cell, values)) for cell, values in zip(cells, by_column, strict=True)]
        writer.writerows(zip(*converted, strict=True))
        count += len(batch)
        out.write(text.getvalue().encode("utf-8"))
        text.seek(0)
        text.truncate()
    out.write(text.getvalue().encode("utf-8"))
    return count


_EXCEL_EPOCH = date(1899, 12, 31)


def excel_day(day: date) -> float:
    """The day as a spreadsheet's serial number (1900 system), as XlsxWriter works it out:
    day 60 is the 29 February 1900 that Excel counts and that never was."""
    number = (day - _EXCEL_EPOCH).days
    return float(number + 1 if number > 59 else number)


class _XlsxTable:
    """One table over as many sheets as its rows need, all under the same header."""

    def __init__(self, workbook, columns: Sequence[Column], sheet_name: str):
        self.workbook, self.columns, self.sheet_name = workbook, columns, sheet_name
        language = getattr(get_locale(), "language", "vi")
        self.header_format = workbook.add_format({"bold": True, "text_wrap": True})
        date_format = XLSX_DATE_FORMATS.get(language, XLSX_DATE_FORMATS["vi"])
        self.header_day_format = workbook.add_format(
            {"bold": True, "text_wrap": True, "num_format": date_format, "align": "left"}
        )
        self.formats = {
            TEXT: None,
            PHONE: None,
            DATE: workbook.add_format({"num_format": date_format}),
            INTEGER: workbook.add_format({"num_format": "#,##0"}),
            MONEY: workbook.add_format({"num_format": "#,##0"}),
            DECIMAL: workbook.add_format({"num_format": "#,##0.0###"}),
        }
        self.sheets = 0
        self.sheet = None
        self.row = 0

    def _new_sheet(self) -> None:
        self._finish_sheet()
        self.sheets += 1
        name = self.sheet_name if self.sheets == 1 else f"{self.sheet_name} ({self.sheets})"
        sheet = self.workbook.add_worksheet(name[:31])
        for index, column in enumerate(self.columns):
            width = column.width or max(WIDTHS[column.kind], min(len(str(column.header)), 40))
            sheet.set_column(index, index, width)
        for index, column in enumerate(self.columns):
            if column.day is not None and not column.note:
                day = datetime(column.day.year, column.day.month, column.day.day)
                sheet.write_datetime(0, index, day, self.header_day_format)
            else:
                sheet.write_string(0, index, str(column.header), self.header_format)
        sheet.freeze_panes(1, 0)
        self.sheet, self.row = sheet, 1

    def _finish_sheet(self) -> None:
        if self.sheet is not None and self.row > 1:
            self.sheet.autofilter(0, 0, self.row - 1, len(self.columns) - 1)

    def write(self, rows: Iterable[Sequence]) -> int:
        self._new_sheet()
        kinds = [c.kind for c in self.columns]
        days = {}  # a day's spreadsheet number, worked out once per day of the table
        count = 0
        for values in rows:
            if self.row >= XLSX_MAX_ROWS:
                self._new_sheet()
            sheet, row = self.sheet, self.row
            for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
                if value is None or value == "":
                    continue
                if kind in (TEXT, PHONE) or isinstance(value, Mark):
                    sheet.write_string(row, col, str(value))
                elif kind == DATE and type(value) is date:
                    number = days.get(value)
                    if number is None:
                        number = excel_day(value)
                        if len(days) < _KEEP_AT_MOST:
                            days[value] = number
                    # What write_datetime writes (a number in the date format), without
                    # working the day out again for each cell.
                    sheet.write_number(row, col, number, self.formats[DATE])
                elif kind == DATE:
                    if not isinstance(value, datetime):
                        value = datetime(value.year, value.month, value.day)
                    sheet.write_datetime(row, col, value, self.formats[DATE])
                elif kind == DECIMAL:
                    number = whole(value)
                    if number is None:
                        sheet.write_number(row, col, float(value), self.formats[DECIMAL])
                    else:  # a count among the figures: 18, not 18.0
                        sheet.write_number(row, col, number, self.formats[INTEGER])
                else:
                    sheet.write_number(row, col, int(value), self.formats[kind])
            self.row += 1
            count += 1
        self._finish_sheet()
        return count


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    out: IO[bytes],
    *,
    sheet: str = "Data",
    notes: Notes | None = None,
) -> int:
    """Write the table as an XLSX workbook to a binary file, row by row on disk; return
    the number of rows written, header not counted."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            # Text stays text: never read as a number, formula or link.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        count = _XlsxTable(workbook, columns, _sheet_title(sheet)).write(rows)
        if notes is not None:
            page = workbook.add_worksheet(_sheet_title(notes.title))
            page.set_column(0, 0, 24)
            page.set_column(1, 1, 90)
            wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
            for row, (label, text) in enumerate(notes.lines):
                page.write_string(row, 0, str(label), wrap)
                page.write_string(row, 1, str(text), wrap)
    finally:
        workbook.close()
    return count


def _sheet_title(title) -> str:
    # Excel refuses []:*?/\ in sheet names and more than 31 characters.
    return re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:28] or "Data"


def write_table(
    fmt: str, columns, rows: Iterable[Sequence], out: IO[bytes], *, sheet="Data", notes=None
) -> int:
    """Write the table in the format named ("csv" or "xlsx"); return the rows written."""
    if fmt == "csv":
        return write_csv(columns, rows, out, notes)
    if fmt == "xlsx":
        return write_xlsx(columns, rows, out, sheet=sheet, notes=notes)
    raise ValueError(fmt)


def local_day(value: datetime | None) -> date | None:
    """A UTC timestamp from the database as the day it was in Viet Nam, for DATE cells."""
    if value is None:
        return None
    return value.replace(tzinfo=value.tzinfo or UTC).astimezone(VIETNAM).date()
