"""Reading an uploaded register in a child process of its own (run by imports.readers).

An upload is untrusted: python-calamine sizes a sheet from the cells' bounding box, so a
1.9 KB file with cells at A1 and XFD1048576 asks for 549 GB and Rust aborts the process,
and a zip of 3 MB can unpack to gigabytes. So nothing here lets a parser size anything
from the file before it is checked, and the reading runs in this separate process:

- limits first: address space (RLIMIT_AS), CPU seconds, no core file and no file written;
  the parent adds a wall-time limit. A file that still blows up costs this process only.
- an .xlsx is checked before calamine opens it (imports.xlsx_check): zip entries, each
  part's unpacked size and ratio, then the sheet's `<dimension>` and every cell reference
  that holds a value; calamine then reads the sheet checked, by its name.
- every cell is cut to MAX_CELL_CHARS, rows and columns are capped while reading, and
  the text of the whole file to MAX_TEXT_CHARS, so what goes back to the web process and
  into the database is bounded whatever the file says (imports.upload_limits).

Standard library and python_calamine only (the `imports` package's __init__ is empty): the
parent runs `python -I -c "...main()" KIND MEMORY CPU`, the file on stdin; the answer is
JSON on stdout, {"sheets": [{"name": ..., "rows": [...]}, ...]} (each sheet from its row 1,
blank rows as [], so a row's place is its number in Excel) or {"refused": code, "args":
{...}}, and the parent turns a code into a translated message. Where the table starts in
a sheet is found by the parent (imports.layout).
"""

import csv
import io
import json
import re
import sys
import unicodedata
from datetime import date, datetime, time, timedelta

from imports.upload_limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_TEXT_CHARS,
    SHEET_COLUMNS,
    SHEET_ROWS,
    Refused,
    limit_self,
)
from imports.xlsx_check import check_zip

__all__ = ["MAX_COLUMNS", "MAX_ROWS", "Refused", "check_zip", "read"]


# Reading -------------------------------------------------------------------------


def read_workbook(data: bytes, names: list[str] | None = None) -> list[tuple[str, list[list]]]:
    """(name, grid) of the sheets of these names (those checked), or of an .xls's sheets."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise Refused("no_sheet")
        sheets = []
        for name in names if names is not None else workbook.sheet_names[:MAX_SHEETS]:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False, nrows=SHEET_ROWS + 1)
            sheets.append((name, [row[:SHEET_COLUMNS] for row in rows]))
    except Refused:
        raise
    except Exception as error:  # calamine raises its own types for every broken file
        raise Refused("unreadable") from error
    return sheets


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
            raise Refused("encoding") from error
    return unicodedata.normalize("NFC", text)


def read_csv(data: bytes) -> list[list]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    csv.field_size_limit(len(data) + 1)  # the file's size bounds a field; cells are cut below
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = []
        for row in reader:
            rows.append(row[:SHEET_COLUMNS])
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise Refused("csv_malformed") from error
    return rows


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))
_HAS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def clean(cell):
    """Text without NUL and control characters (PostgreSQL refuses NUL), NFC, trimmed, cut."""
    if isinstance(cell, str):
        cell = cell[: MAX_CELL_CHARS * 4]  # room for what NFC and trimming take away
        if _HAS_CONTROL.search(cell):
            cell = cell.translate(_CONTROL)
        text = unicodedata.normalize("NFC", cell).strip()[:MAX_CELL_CHARS]
        return text or None
    if isinstance(cell, time | timedelta):
        return None  # a time of day is no date, year or phone in a register
    if isinstance(cell, float) and cell != cell:  # NaN
        return None
    return cell


def to_grid(rows: list[list]) -> list[list]:
    """A sheet's rows, cleaned: each without its empty cells on the right, blank rows as
    [] (a row keeps its place), none after the last row that holds something."""
    grid = []
    for row in rows:
        cleaned = [clean(c) for c in row]
        while cleaned and cleaned[-1] is None:
            cleaned.pop()
        grid.append(cleaned)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def to_sheets(sheets: list[tuple[str, list[list]]]) -> list[dict]:
    """Every sheet's grid; refused when the file holds nothing or more than a register."""
    out = [{"name": name, "rows": to_grid(rows)} for name, rows in sheets]
    if not any(sheet["rows"] for sheet in out):
        raise Refused("empty")
    if sum(len(sheet["rows"]) for sheet in out) > MAX_ROWS + 50 * len(out):
        raise Refused("too_many_rows")
    text = sum(len(c) for sheet in out for row in sheet["rows"] for c in row if isinstance(c, str))
    if text > MAX_TEXT_CHARS:
        raise Refused("too_much_text")
    return out


# The process ---------------------------------------------------------------------


def _encode(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    raise TypeError(type(value).__name__)


def read(kind: str, data: bytes) -> dict:
    """The register in `data` ("xlsx", "xls" or "csv") as the JSON-ready answer."""
    try:
        if kind == "csv":
            sheets = [("", read_csv(data))]
        else:
            sheets = read_workbook(data, check_zip(data) if kind == "xlsx" else None)
        return {"sheets": to_sheets(sheets)}
    except Refused as refused:
        return {"refused": refused.code, "args": refused.args_}


def main() -> None:
    limit_self(int(sys.argv[2]), int(sys.argv[3]))
    data = sys.stdin.buffer.read()
    answer = read(sys.argv[1], data)
    del data
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False, default=_encode).encode())


if __name__ == "__main__":
    main()
