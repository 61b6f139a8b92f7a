"""Reading an uploaded register in a child process of its own (run by imports.readers).

An upload is untrusted: python-calamine sizes a sheet from the cells' bounding box, so a
1.9 KB file with cells at A1 and XFD1048576 asks for 549 GB and Rust aborts the process,
and a zip of 3 MB can unpack to gigabytes. So nothing here lets a parser size anything
from the file before it is checked, and the reading runs in this separate process:

- limits first: address space (RLIMIT_AS), CPU seconds, no core file and no file written;
  the parent adds a wall-time limit. A file that still blows up costs this process only.
- an .xlsx is checked before calamine opens it: number of zip entries, each part's
  uncompressed size and compression ratio, their total (every part is unpacked once, so
  sizes a header understates fail their CRC), then the first sheet's `<dimension>` and
  every cell reference that holds a value, streamed with expat (no DOCTYPE allowed).
- every cell is cut to MAX_CELL_CHARS, rows and columns are capped while reading, and
  the text of the whole file to MAX_TEXT_CHARS, so what goes back to the web process and
  into the database is bounded whatever the file says.

Standard library and python_calamine only: it runs as `python -I reader_process.py KIND`,
reads the file on stdin and writes JSON on stdout, {"headers": [...], "rows": [...]} or
{"refused": code, "args": {...}}; the parent turns a code into a translated message.
"""

import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from datetime import date, datetime, time, timedelta
from xml.parsers import expat

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 1_000  # a name, a place, a date: longer is cut (the check still flags it)
MAX_TEXT_CHARS = 10_000_000  # all the text of one register
SHEET_ROWS = MAX_ROWS + 50  # the rows a sheet may use: the register, its header, a title
SHEET_COLUMNS = 256  # columns a sheet may use (notes right of the register are cut)
ZIP_ENTRIES = 1_000
ZIP_PART_BYTES = 64 * 1024 * 1024  # one unpacked part (a sheet, the shared strings)
ZIP_TOTAL_BYTES = 160 * 1024 * 1024
ZIP_RATIO = 200  # unpacked / packed, for parts over a megabyte
MEMORY_BYTES = 1024 * 1024 * 1024
CPU_SECONDS = 15
_CHUNK = 64 * 1024


class Refused(Exception):
    """The file is not read; `code` names why (readers.MESSAGES), `args_` fills it in."""

    def __init__(self, code: str, **args):
        super().__init__(code)
        self.code = code
        self.args_ = args


# Limits --------------------------------------------------------------------------


def limit_self(memory: int = MEMORY_BYTES, cpu: int = CPU_SECONDS) -> None:
    import resource

    for name, value in (
        ("RLIMIT_AS", memory),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_FSIZE", 0),
    ):
        limit = getattr(resource, name, None)
        if limit is not None:
            resource.setrlimit(limit, (value, value))


# Checking an .xlsx before it is read ----------------------------------------------

_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")


def column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str) -> tuple[int, int]:
    """(row, column), both from 1, of a reference such as "B12"."""
    found = _REF.fullmatch(ref.strip().upper())
    if not found:
        raise Refused("unreadable")
    column = 0
    for letter in found[1]:
        column = column * 26 + ord(letter) - 64
    return int(found[2]), column


def _within(row: int, column: int) -> None:
    if column > SHEET_COLUMNS:
        raise Refused("far_cell", cell=f"{column_name(column)}{row}")
    if row > SHEET_ROWS:
        raise Refused("too_many_rows")


def check_zip(data: bytes) -> str:
    """Refuse what is not an .xlsx a register fits in; the name of the sheet to read."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise Refused("unreadable") from error
    if len(entries) > ZIP_ENTRIES:
        raise Refused("unreadable")
    names = {e.filename.lower() for e in entries}
    # Two parts of one name (in any case) could be read in place of the one checked, and
    # calamine would read a zip with these as .xlsb or .ods, which nothing below checks.
    if len(names) < len(entries) or "xl/workbook.xml" not in names:
        raise Refused("unreadable")
    if names & {"xl/workbook.bin", "content.xml"}:
        raise Refused("unreadable")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > ZIP_PART_BYTES or total > ZIP_TOTAL_BYTES:
            raise Refused("unpacks_too_large")
        if entry.file_size > 1024 * 1024 and entry.file_size > ZIP_RATIO * entry.compress_size:
            raise Refused("unpacks_too_large")
    sheet, name = _first_sheet(book)
    try:
        for entry in entries:
            with book.open(entry) as part:
                if entry.filename == sheet:
                    _scan_sheet(part.read())  # at most ZIP_PART_BYTES, checked above
                else:  # unpacked once: a size the header understates fails its CRC
                    _drain(part)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise Refused("unreadable") from error
    return name


_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)")


def _drain(part) -> None:
    """Read a part to its end; a part declaring a DOCTYPE (entities) is refused."""
    tail = b""
    while chunk := part.read(_CHUNK):
        if _DOCTYPE.search(tail + chunk):
            raise Refused("unreadable")
        tail = chunk[-16:]


def _parser(start, end=None):
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end

    def no_doctype(*_):  # a spreadsheet part never has one; entities would expand
        raise Refused("unreadable")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse_part(book: zipfile.ZipFile, name: str, start) -> None:
    parser = _parser(start)
    try:
        with book.open(name) as part:
            while chunk := part.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (KeyError, expat.ExpatError, zipfile.BadZipFile, OSError) as error:
        raise Refused("unreadable") from error


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, str]:
    """The part and the name of the workbook's first sheet (calamine reads it by name)."""
    first: list[str] = []

    def on_sheet(name, attrs):
        if _local(name) == "sheet" and not first:
            ids = [v for k, v in attrs.items() if _local(k) == "id"]
            first.extend([ids[0] if len(ids) == 1 else "", attrs.get("name", "")])

    _parse_part(book, "xl/workbook.xml", on_sheet)
    if not first:
        raise Refused("no_sheet")
    targets: dict[str, str] = {}

    def on_relation(name, attrs):
        if _local(name) == "Relationship":
            if attrs.get("Id", "") in targets:  # which one would calamine follow?
                raise Refused("unreadable")
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse_part(book, "xl/_rels/workbook.xml.rels", on_relation)
    target = targets.get(first[0], "")
    parts = [] if target.startswith("/") else ["xl"]
    for piece in target.strip("/").split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    path = "/".join(parts)
    if path not in book.namelist() or not first[1]:
        raise Refused("unreadable")
    return path, first[1]


def _above(number: int) -> str:
    """A regular expression of the decimal numbers greater than `number`."""
    digits = str(number)
    options = [f"[1-9][0-9]{{{len(digits)},}}"]
    for i, digit in enumerate(digits):
        if digit != "9":
            options.append(f"{digits[:i]}[{int(digit) + 1}-9][0-9]{{{len(digits) - i - 1}}}")
    return "0*(?:" + "|".join(options) + ")"


# Reading a sheet's cell references by regular expression is fast (in C), and exact when
# every <c> and <row> has a plain r="B12"/r="12" reference: calamine places a cell there,
# and elsewhere only by counting. Any other shape is scanned exactly with expat. Separate
# patterns, each with a literal start, keep the search fast (about 1 s for 800,000 cells).
_DOUBTS = [
    re.compile(rb"<c(?=[\s/>])(?![^>]*\sr\s*=)"),  # a cell without its reference
    re.compile(rb"<row(?=[\s/>])(?![^>]*\sr\s*=)"),
    re.compile(rb"<[\w.-]+:(?:c|row)(?=[\s/>])"),  # a prefixed tag
    re.compile(rb"""\sr\s*=\s*["'](?!\$?[A-Za-z]{0,3}\$?[0-9]{1,7}["'])"""),  # an odd r
]
_FAR_COLUMN = rb"(?:[A-Z]{3,}|I[W-Z]|[J-Z][A-Z])"  # after IV, the 256th
_FAR = re.compile(  # any r=, even outside a tag: a false alarm only costs the exact scan
    rb"""r\s*=\s*["']\$?(?:"""
    + _FAR_COLUMN
    + rb"\$?[0-9]+|[A-Z]{0,3}\$?"
    + _above(SHEET_ROWS).encode()
    + rb""")["']""",
    re.IGNORECASE,
)
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")


def _scan_sheet(raw: bytes) -> None:
    """Refuse a sheet whose dimension or any cell holding a value lies outside a register."""
    if _DOCTYPE.search(raw):  # a spreadsheet part never has one; entities would expand
        raise Refused("unreadable")
    if b"\0" in raw:  # UTF-16 or -32, which the patterns below would not see: not Excel's
        raise Refused("unreadable")
    if dimension := _DIMENSION.search(raw):
        _dimension(dimension[1].decode("ascii", "replace"))
    if _FAR.search(raw) or any(doubt.search(raw) for doubt in _DOUBTS):
        _scan_exactly(raw)  # what the quick look cannot rule out, exactly


def _dimension(ref: str) -> None:
    # Excel's used range, formatted empty cells included: only its size is refused.
    row, column = _cell(ref.rpartition(":")[2])
    if row * column > SHEET_ROWS * SHEET_COLUMNS:
        raise Refused("far_cell", cell=f"{column_name(column)}{row}")


def _scan_exactly(raw: bytes) -> None:
    at = {"row": 0, "column": 0}

    def start(name, attrs):
        name = _local(name)
        if name == "row":
            at["row"] = int(attrs["r"]) if attrs.get("r", "").isdigit() else at["row"] + 1
            at["column"] = 0
        elif name == "c":
            if "r" in attrs:
                at["row"], at["column"] = _cell(attrs["r"])
            else:
                at["column"] += 1
        elif name in ("v", "is", "f"):  # the cell holds something: calamine places it
            _within(at["row"], at["column"])
        elif name == "dimension":
            _dimension(attrs.get("ref", "A1"))

    parser = _parser(start)
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as error:
        raise Refused("unreadable") from error


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
