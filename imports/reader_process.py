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
JSON on stdout, {"headers": [...], "rows": [...]} or {"refused": code, "args": {...}}, and
the parent turns a code into a translated message.
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
    MAX_TEXT_CHARS,
    SHEET_COLUMNS,
    Refused,
    limit_self,
)
from imports.xlsx_check import check_zip

__all__ = ["MAX_COLUMNS", "MAX_ROWS", "Refused", "check_zip", "read"]


# Reading -------------------------------------------------------------------------


def read_workbook(data: bytes, name: str | None = None) -> list[list]:
    """The sheet of this name (the one checked), or the first one of an .xls."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise Refused("no_sheet")
        sheet = workbook.get_sheet_by_index(0) if name is None else workbook.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + 2)
    except Refused:
        raise
    except Exception as error:  # calamine raises its own types for every broken file
        raise Refused("unreadable") from error
    return [row[:SHEET_COLUMNS] for row in rows]


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


def to_table(grid: list[list]) -> tuple[list[str], list[list]]:
    grid = [[clean(c) for c in row] for row in grid]
    # Blank rows above the header (a title line left empty) are skipped.
    while grid and all(c is None for c in grid[0]):
        grid.pop(0)
    if not grid:
        raise Refused("empty")
    header = grid[0]
    width = len(header)
    while width and header[width - 1] is None:
        width -= 1
    if width == 0:
        raise Refused("no_header")
    if width > MAX_COLUMNS:
        raise Refused("too_many_columns")
    headers = [str(h) if h is not None else "" for h in header[:width]]
    rows = [list(row[:width]) + [None] * (width - len(row)) for row in grid[1:]]
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise Refused("too_many_rows")
    if not any(any(c is not None for c in row) for row in rows):
        raise Refused("no_rows")
    text = sum(len(c) for row in [headers, *rows] for c in row if isinstance(c, str))
    if text > MAX_TEXT_CHARS:
        raise Refused("too_much_text")
    return headers, rows


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
            grid = read_csv(data)
        else:
            grid = read_workbook(data, check_zip(data) if kind == "xlsx" else None)
        headers, rows = to_table(grid)
    except Refused as refused:
        return {"refused": refused.code, "args": refused.args_}
    return {"headers": headers, "rows": rows}


def main() -> None:
    limit_self(int(sys.argv[2]), int(sys.argv[3]))
    data = sys.stdin.buffer.read()
    answer = read(sys.argv[1], data)
    del data
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False, default=_encode).encode())


if __name__ == "__main__":
    main()
