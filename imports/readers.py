"""Reading a register: .xlsx, .xls and .csv files into a header and rows of cells.

Spreadsheets are read with python-calamine (a Rust reader: tens of thousands of rows in a
fraction of a second, and the old binary .xls that older Vietnamese offices still send).
CSV files come in UTF-8, with or without the byte-order mark Excel writes, or in
Windows-1258, the code page of older Vietnamese Excel; Windows-1258 writes tones as
combining marks, so every text is normalised to NFC.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from core.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 60
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Cell = str | int | float | date | datetime | bool | None


class UnreadableFile(DomainError):
    """The file cannot be read as a register; the message says why."""

    def __init__(self, message):
        super().__init__(message, "file")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]  # each as long as headers; numbered from 2 (the header is row 1)


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet of an .xlsx/.xls file, or a CSV file, as a header and rows."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(_l("The file is larger than 5 MB. Split it into smaller files."))
    if not data.strip():
        raise UnreadableFile(_l("The file is empty."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_XLSX_MAGIC) or data.startswith(_XLS_MAGIC):
        if extension not in ("xlsx", "xls", "xlsm"):
            raise UnreadableFile(_l("Send an .xlsx, .xls or .csv file."))
        grid = _read_workbook(data)
    elif extension == "csv":
        grid = _read_csv(data)
    else:
        raise UnreadableFile(_l("Send an .xlsx, .xls or .csv file."))
    return _to_table(grid)


def _read_workbook(data: bytes) -> list[list[Cell]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise UnreadableFile(_l("The file has no sheet."))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + 2)
    except UnreadableFile:
        raise
    except Exception as error:  # calamine raises its own types for every broken file
        raise UnreadableFile(
            _l("The file could not be read as a spreadsheet. Save it again in Excel and retry.")
        ) from error
    return [[_clean(cell) for cell in row] for row in rows]


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1258; NFC."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                _l("The file's characters could not be read. Save it as CSV UTF-8 in Excel.")
            ) from error
    return unicodedata.normalize("NFC", text)


def _read_csv(data: bytes) -> list[list[Cell]]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = []
        for row in reader:
            rows.append([_clean(cell) for cell in row])
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise UnreadableFile(_l("The CSV file is malformed.")) from error
    return rows


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_HAS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _clean(cell) -> Cell:
    """Text without NUL and control characters (PostgreSQL refuses NUL), NFC, trimmed."""
    if isinstance(cell, str):
        if _HAS_CONTROL.search(cell):
            cell = cell.translate(_CONTROL)
        text = unicodedata.normalize("NFC", cell).strip()
        return text or None
    if isinstance(cell, time | timedelta):
        return None  # a time of day is no date, year or phone in a register
    if isinstance(cell, float) and cell != cell:  # NaN
        return None
    return cell


def _to_table(grid: list[list[Cell]]) -> Table:
    # Blank rows above the header (a title line left empty) are skipped.
    while grid and all(c is None for c in grid[0]):
        grid.pop(0)
    if not grid:
        raise UnreadableFile(_l("The file is empty."))
    header = grid[0]
    width = len(header)
    while width and header[width - 1] is None:
        width -= 1
    if width == 0:
        raise UnreadableFile(_l("The first row must hold the column names."))
    if width > MAX_COLUMNS:
        raise UnreadableFile(_l("The file has too many columns (at most 60)."))
    headers = [str(h) if h is not None else "" for h in header[:width]]
    rows = []
    for row in grid[1:]:
        row = list(row[:width]) + [None] * (width - len(row))
        rows.append(row)
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(_l("The file has more than 20,000 rows. Split it into smaller files."))
    if not any(any(c is not None for c in row) for row in rows):
        raise UnreadableFile(_l("The file has column names but no rows."))
    return Table(headers, rows)
