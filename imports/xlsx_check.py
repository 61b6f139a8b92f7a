"""Checking an .xlsx before calamine opens it (in the reader's child process).

At most ZIP_ENTRIES zip entries, each part's unpacked size and compression ratio, their
total; every part unpacked once, so a size the header understates fails its CRC; no
DOCTYPE; no twin parts; then each worksheet's `<dimension>` and every cell reference
that holds a value, within SHEET_ROWS and SHEET_COLUMNS (at most MAX_SHEETS worksheets are
read, in the workbook's order). Standard library only.
"""

import io
import re
import zipfile
from xml.parsers import expat

from imports.upload_limits import (
    MAX_SHEETS,
    SHEET_COLUMNS,
    SHEET_ROWS,
    ZIP_ENTRIES,
    ZIP_PART_BYTES,
    ZIP_RATIO,
    ZIP_TOTAL_BYTES,
    Refused,
)

_CHUNK = 64 * 1024

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


def check_zip(data: bytes) -> list[str]:
    """Refuse what is not an .xlsx a register fits in; the names of the sheets to read."""
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
    sheets = _sheets(book)
    parts = {path for path, _ in sheets}
    try:
        for entry in entries:
            with book.open(entry) as part:
                if entry.filename in parts:
                    _scan_sheet(part.read())  # at most ZIP_PART_BYTES, checked above
                else:  # unpacked once: a size the header understates fails its CRC
                    _drain(part)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise Refused("unreadable") from error
    return [name for _, name in sheets]


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


def _sheets(book: zipfile.ZipFile) -> list[tuple[str, str]]:
    """The part and the name of each worksheet, in order, at most MAX_SHEETS (calamine
    reads a sheet by its name); chart sheets are left out."""
    found: list[list[str]] = []

    def on_sheet(name, attrs):
        if _local(name) == "sheet":
            ids = [v for k, v in attrs.items() if _local(k) == "id"]
            found.append([ids[0] if len(ids) == 1 else "", attrs.get("name", "")])

    _parse_part(book, "xl/workbook.xml", on_sheet)
    if not found:
        raise Refused("no_sheet")
    targets: dict[str, str] = {}

    def on_relation(name, attrs):
        if _local(name) == "Relationship":
            if attrs.get("Id", "") in targets:  # which one would calamine follow?
                raise Refused("unreadable")
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse_part(book, "xl/_rels/workbook.xml.rels", on_relation)
    sheets: list[tuple[str, str]] = []
    names = book.namelist()
    for relation, name in found:
        path = _part_path(targets.get(relation, ""))
        if "/worksheets/" not in f"/{path}":
            continue  # a chart sheet holds no rows
        if path not in names or not name or any(name == n for _, n in sheets):
            raise Refused("unreadable")
        sheets.append((path, name))
        if len(sheets) == MAX_SHEETS:
            break
    if not sheets:
        raise Refused("no_sheet")
    return sheets


def _part_path(target: str) -> str:
    parts = [] if target.startswith("/") else ["xl"]
    for piece in target.strip("/").split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


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
