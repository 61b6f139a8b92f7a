"""Hostile registers, built with zipfile: each of the upload findings of issue 27 (S5/S6/R3)
and their relatives. Used by tests/imports/test_hostile_files.py and bench/uploads.py.

Big parts are written a chunk at a time, so building a file never holds what it unpacks to.
"""

import io
import random
import string
import struct
import zipfile
from xml.sax.saxutils import escape

from imports.xlsx_check import column_name

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'  # noqa: E501
_ROOT_RELS = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'  # noqa: E501
_BOOK = f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'  # noqa: E501
_BOOK_RELS = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'  # noqa: E501
HEADER = ["Họ và tên", "Năm sinh", "Nhóm"]
_CHUNK_ROWS = 10_000


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def header_row() -> str:
    cells = "".join(text_cell(f"{c}1", h) for c, h in zip("ABC", HEADER, strict=True))
    return f'<row r="1">{cells}</row>'


def member_row(number: int) -> str:
    return (
        f'<row r="{number}">{text_cell(f"A{number}", f"Lê Thị {number}")}'
        f'<c r="B{number}"><v>1985</v></c>{text_cell(f"C{number}", "Nhóm Phú Hội")}</row>'
    )


def workbook(rows, *, dimension="A1", shared=None, prolog="", extra=()) -> bytes:
    """An .xlsx with one sheet; `rows` is an iterable of <row> XML, written in chunks;
    `shared` an iterable of the shared-strings part's chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _BOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{_MAIN}">'
                f'<dimension ref="{dimension}"/><sheetData>'.encode()
            )
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == _CHUNK_ROWS:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
        if shared is not None:
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for piece in shared:
                    part.write(piece.encode())
        for name, text in extra:
            book.writestr(name, text)
    return out.getvalue()


def strings_workbook(rows: list[list[str]]) -> bytes:
    """An .xlsx of these rows, every cell an inline string."""
    return workbook(
        f'<row r="{r}">'
        + "".join(text_cell(f"{column_name(c)}{r}", v) for c, v in enumerate(row, 1))
        + "</row>"
        for r, row in enumerate(rows, 1)
    )


def register(count: int = 3) -> bytes:
    """A small good register: the header and `count` members."""
    return workbook([header_row(), *(member_row(n) for n in range(2, count + 2))])


def far_cell(ref: str = "XFD1048576") -> bytes:
    """A good register plus one value at `ref`: calamine sized the range from the two
    corners (A1 and XFD1048576: 549 GB asked, the process aborted)."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    far = f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'
    return workbook([header_row(), member_row(2), far])


def far_dimension(ref: str = "XFD1048576") -> bytes:
    """A good register whose sheet claims the whole grid as its used range."""
    return workbook([header_row(), member_row(2)], dimension=f"A1:{ref}")


def many_rows(count: int) -> bytes:
    return workbook([header_row(), *(member_row(n) for n in range(2, count + 2))])


def bomb(rows: int = 2_000_000) -> bytes:
    """Identical rows, deflated: 2 million unpack to about 150 MB from well under 1 MB."""
    same = '<row><c t="inlineStr"><is><t>Lê Thị Hồng</t></is></c></row>'
    return workbook(same for _ in range(rows))


def big_shared_string(megabytes: int, *, varied: bool = False) -> bytes:
    """A register whose first name is one shared string of `megabytes` MB: the same letter
    (a bomb of its own), or `varied` letters that do not compress."""
    letters = random.Random(27).choices(string.ascii_letters, k=1024 * 1024) if varied else "x"
    block = "".join(letters) if varied else "x" * (1024 * 1024)
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}"><si><t>'

    def pieces():
        yield head
        for _ in range(megabytes):
            yield block
        yield "</t></si></sst>"

    rows = [header_row(), '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>1985</v></c></row>']
    return workbook(rows, shared=pieces())


def understated(data: bytes, name: str = "xl/worksheets/sheet1.xml", size: int = 1000) -> bytes:
    """The zip with `name`'s uncompressed size written as `size` in both of its headers."""
    raw = bytearray(data)
    encoded = name.encode()
    book = zipfile.ZipFile(io.BytesIO(data))
    info = book.getinfo(name)
    local = info.header_offset
    assert raw[local : local + 4] == b"PK\x03\x04"
    central = raw.find(b"PK\x01\x02" + bytes(raw[local + 4 : local + 6]))
    while raw[central + 46 : central + 46 + len(encoded)] != encoded:
        central = raw.find(b"PK\x01\x02", central + 4)
    for at in (local + 22, central + 24):
        if struct.unpack_from("<I", raw, at)[0] != 0xFFFFFFFF:
            struct.pack_into("<I", raw, at, size)
    for at, length_at in (
        (local + 30 + len(encoded), local + 28),
        (central + 46 + len(encoded), central + 30),
    ):
        end = at + struct.unpack_from("<H", raw, length_at)[0]
        while at < end:  # the zip64 field holds the real sizes when force_zip64 wrote them
            tag, length = struct.unpack_from("<HH", raw, at)
            if tag == 1:
                struct.pack_into("<Q", raw, at + 4, size)
            at += 4 + length
    return bytes(raw)


def with_doctype() -> bytes:
    """A sheet declaring entities (the billion laughs): never expanded, refused."""
    laughs = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return workbook([header_row(), member_row(2)], prolog=laughs)


def xlsb_inside() -> bytes:
    """An .xlsx whose zip also holds a binary workbook: calamine would read it as .xlsb."""
    return workbook([header_row(), member_row(2)], extra=[("xl/workbook.bin", "\0" * 100)])


def csv_long_cell(megabytes: int = 4) -> bytes:
    return ("Họ và tên,Năm sinh,Nhóm\n" + "x" * (megabytes * 1024 * 1024) + ",1985,A\n").encode()


def csv_wide_row(columns: int = 1_000_000) -> bytes:
    return ("Họ và tên,Năm sinh,Nhóm\nLê Thị Hồng,1985," + "a," * columns + "\n").encode()


def csv_rows(count: int) -> bytes:
    return ("Họ và tên,Năm sinh,Nhóm\n" + "Lê Thị Hồng,1985,A\n" * count).encode()


def rewritten(data: bytes, change) -> bytes:
    """The zip with each part passed through change(name, bytes) -> [(name, bytes), ...]."""
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for entry in source.infolist():
            for name, content in change(entry.filename, source.read(entry)):
                book.writestr(name, content)
    return out.getvalue()


def twin_sheet() -> bytes:
    """A second sheet part named like the first in capitals, holding a far cell."""
    far = b'<row r="9"><c r="XFD9"><v>1</v></c></row></sheetData>'

    def change(name, content):
        if name == "xl/worksheets/sheet1.xml":
            return [(name, content), (name.upper(), content.replace(b"</sheetData>", far))]
        return [(name, content)]

    return rewritten(far_cell("C5"), change)


def utf16_sheet() -> bytes:
    """The far-cell sheet written in UTF-16, which byte patterns do not see."""

    def change(name, content):
        if name == "xl/worksheets/sheet1.xml":
            text = content.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
            return [(name, text.encode("utf-16"))]
        return [(name, content)]

    return rewritten(far_cell(), change)


def repeated_string(megabytes: int = 2, cells: int = 1000) -> bytes:
    """One shared string of `megabytes` MB that does not compress, in `cells` cells: every
    cell a copy once read, more than the reader's memory."""
    letters = "".join(random.Random(9).choices(string.ascii_letters, k=megabytes * 2**20))
    shared = [f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}"><si><t>', letters]
    shared.append("</t></si></sst>")
    rows = [header_row()]
    rows += [f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(2, cells + 2)]
    return workbook(rows, shared=shared)
