"""Reading a register: .xlsx, .xls and .csv files into a header and rows of cells.

Spreadsheets are read with python-calamine (a Rust reader: tens of thousands of rows in a
fraction of a second, and the old binary .xls that older Vietnamese offices still send).
CSV files come in UTF-8, with or without the byte-order mark Excel writes, or in
Windows-1258, the code page of older Vietnamese Excel; Windows-1258 writes tones as
combining marks, so every text is normalised to NFC.

An upload is untrusted, so it is read in a child process with a memory, CPU and wall-time
limit (imports/reader_process.py, which also checks a zip before reading it and caps
cells, rows and text): a file that aborts or blows up the parser costs that process, and
the person gets "could not be read"; the web process keeps its memory.
"""

import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from imports import reader_process, upload_limits
from imports.upload_limits import MAX_COLUMNS, MAX_ROWS, Refused

MAX_BYTES = 5 * 1024 * 1024
READ_SECONDS = 15  # wall time of the child; gunicorn's worker timeout is 30 s
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The folder that holds the `imports` package (the checkout, or site-packages).
_ROOT = str(Path(reader_process.__file__).resolve().parent.parent)
_CHILD = (
    f"import sys; sys.path.insert(0, {_ROOT!r}); from imports.reader_process import main; main()"
)
log = logging.getLogger(__name__)

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Sheet",
    "Table",
    "UnreadableFile",
    "read_sheets",
    "read_table",
]

Cell = str | int | float | date | datetime | bool | None

_UNREADABLE = _l("The file could not be read as a spreadsheet. Save it again in Excel and retry.")
MESSAGES = {
    "unreadable": _UNREADABLE,
    "empty": _l("The file is empty."),
    "no_sheet": _l("The file has no sheet."),
    "encoding": _l("The file's characters could not be read. Save it as CSV UTF-8 in Excel."),
    "csv_malformed": _l("The CSV file is malformed."),
    "no_header": _l("The first row must hold the column names."),
    "too_many_columns": _l("The file has too many columns (at most 60)."),
    "too_many_rows": _l("The file has more than 20,000 rows. Split it into smaller files."),
    "no_rows": _l("The file has column names but no rows."),
    "unpacks_too_large": _l(
        "The spreadsheet unpacks to more than a register holds. Save it again in Excel "
        "without pictures or extra sheets, or split it into smaller files."
    ),
    "far_cell": _l(
        "The sheet has something in cell %(cell)s, far outside a register (at most 20,000 "
        "rows and 256 columns). Delete the rows and columns below and right of your list "
        "and upload again."
    ),
    "too_much_text": _l("The file holds more text than a register. Split it into smaller files."),
}


class UnreadableFile(DomainError):
    """The file cannot be read as a register; the message says why."""

    def __init__(self, message):
        super().__init__(message, "file")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]  # each as long as headers


@dataclass
class Sheet:
    name: str  # "" for a CSV file
    rows: dict[int, list[Cell]]  # row number (1 first, as in Excel) -> cells; blank rows left out


def read_table(filename: str, data: bytes, kind=None) -> Table:
    """The first sheet's table (imports.layout finds its header) as a header and rows."""
    from imports import layout

    for sheet in read_sheets(filename, data):
        try:
            found = layout.find(kind, sheet.rows)
        except layout.TooWide as error:
            raise UnreadableFile(MESSAGES["too_many_columns"]) from error
        except layout.TooLong as error:
            raise UnreadableFile(MESSAGES["too_many_rows"]) from error
        if found is None:
            continue
        if not found.data:
            raise UnreadableFile(MESSAGES["no_rows"])
        width = len(found.headers)
        rows = [sheet.rows[n][:width] for n in found.data]
        return Table(found.headers, [r + [None] * (width - len(r)) for r in rows])
    raise UnreadableFile(MESSAGES["empty"])


def read_sheets(filename: str, data: bytes) -> list[Sheet]:
    """Every sheet of an .xlsx/.xls file (at most MAX_SHEETS), or a CSV file as one."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(_l("The file is larger than 5 MB. Split it into smaller files."))
    if not data.strip():
        raise UnreadableFile(_l("The file is empty."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_XLSX_MAGIC) or data.startswith(_XLS_MAGIC):
        if extension not in ("xlsx", "xls", "xlsm"):
            raise UnreadableFile(_l("Send an .xlsx, .xls or .csv file."))
        kind = "xlsx" if data.startswith(_XLSX_MAGIC) else "xls"
    elif extension == "csv":
        kind = "csv"
    else:
        raise UnreadableFile(_l("Send an .xlsx, .xls or .csv file."))
    answer = _read_apart(kind, data)
    if "refused" in answer:
        message = MESSAGES.get(answer["refused"], _UNREADABLE)
        raise UnreadableFile(message % answer["args"] if answer["args"] else message)
    return [
        Sheet(
            sheet["name"],
            {n: [_decoded(c) for c in row] for n, row in enumerate(sheet["rows"], start=1) if row},
        )
        for sheet in answer["sheets"]
    ]


def _command(kind: str) -> list[str]:
    return [
        sys.executable,
        "-I",  # neither the environment's PYTHON* nor the current directory
        "-c",
        _CHILD,
        kind,
        str(upload_limits.MEMORY_BYTES),
        str(upload_limits.CPU_SECONDS),
    ]


def _read_apart(kind: str, data: bytes) -> dict:
    """The child's answer; a child killed, stopped or out of memory is "could not be read"."""
    try:
        done = subprocess.run(  # noqa: S603 - our own script, by absolute path, no shell
            _command(kind),
            input=data,
            capture_output=True,
            timeout=READ_SECONDS,
            check=False,
            env={},  # none of the web process's settings (SECRET_KEY, DATABASE_URL)
        )
    except subprocess.TimeoutExpired as error:
        log.warning("upload reader stopped after %s s (%s)", READ_SECONDS, kind)
        raise UnreadableFile(_UNREADABLE) from error
    if done.returncode != 0:
        # Only the code: the child's messages could quote the file's personal data.
        log.warning("upload reader ended with %s (%s)", done.returncode, kind)
        raise UnreadableFile(_UNREADABLE)
    try:
        return json.loads(done.stdout)
    except ValueError as error:
        raise UnreadableFile(_UNREADABLE) from error


def _decoded(cell) -> Cell:
    if isinstance(cell, dict):
        if "t" in cell:
            return datetime.fromisoformat(cell["t"])
        return date.fromisoformat(cell["d"])
    return cell


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), else Windows-1258; NFC."""
    try:
        return reader_process.decode(data)
    except Refused as error:
        raise UnreadableFile(MESSAGES["encoding"]) from error
