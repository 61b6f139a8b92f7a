"""Where the table is in a sheet: its header row, its data rows, and the rows around it.

Registers kept in Excel rarely start at A1: a title ("DANH SÁCH THÀNH VIÊN NHÓM TỰ LỰC…",
often merged across the columns), the unit, a blank row, then the header, sometimes on two
rows (a merged "Địa chỉ" over "Xã", "Huyện", "Tỉnh"), sometimes a row of column numbers
"(1) (2) (3)", and below the list the totals and the signatures ("Người lập biểu",
"Hà Tĩnh, ngày … tháng … năm …"). The header is the row among the first HEADER_SEARCH
whose cells name the most known columns (imports.columns.recognise); the rows it leaves
out are each kept with the reason, so that the dry run accounts for every row of the file.

Rows are numbered as in Excel (row 1 first); `rows` maps a number to its cells, and a
number not in it is a blank row.
"""

import re
from dataclasses import dataclass, field

from imports.columns import Kind, header_key, recognise
from imports.upload_limits import MAX_COLUMNS, MAX_ROWS

HEADER_SEARCH = 15  # the header is looked for among the first rows holding something

# Why a row of the file is not read as a person (or a group, or a mark).
ABOVE_HEADER = "above_header"
HEADER = "header"
BLANK = "blank"
COLUMN_NUMBERS = "column_numbers"
HEADER_AGAIN = "header_again"
BELOW_TABLE = "below_table"

_SIGNATURE = re.compile(
    r"^(nguoi lap|nguoi bao cao|nguoi ky|ky ten|ky ghi ro|ky va ghi ro|ky ho ten|xac nhan"
    r"|tm |t m |thay mat|truong ban|chu tich|giam doc|can bo |tong cong|tong so"
    r"|danh sach co |ghi chu )"
    r"|ngay \d* ?thang \d* ?nam"
)


@dataclass
class Layout:
    header: int  # the number of the header's (first) row
    header_rows: int  # 1, or 2 for a header over two rows
    headers: list[str]
    data: list[int] = field(default_factory=list)  # numbers of the rows to read
    skipped: dict[int, str] = field(default_factory=dict)  # number -> reason
    recognised: int = 0  # how many headers name a known column


class TooWide(Exception):
    """The header has more than MAX_COLUMNS columns."""


class TooLong(Exception):
    """The table has more than MAX_ROWS rows."""


def _texts(row: list) -> list[str | None]:
    return [(" ".join(str(c).split()) or None) if c is not None else None for c in row]


def _filled(row) -> bool:
    return bool(row) and any(c is not None for c in row)


def _score(kind: Kind | None, headers: list) -> int:
    kinds = [kind] if kind else list(Kind)
    return max(
        sum(1 for h in headers if isinstance(h, str) and recognise(k, h) is not None) for k in kinds
    )


def _is_label_row(row: list) -> bool:
    """Only text (a header's second row holds no number, date or code of a person)."""
    return bool(row) and all(c is None or isinstance(c, str) for c in row)


def _merged(kind: Kind | None, top: list, below: list) -> list[str | None]:
    """A header over two rows: the lower wording where there is one ("Xã" under a merged
    "Địa chỉ"), with its parent when only both together name a column; else the upper."""
    width = max(len(top), len(below))
    top = list(top) + [None] * (width - len(top))
    below = list(below) + [None] * (width - len(below))
    out, parent = [], None
    for upper, lower in zip(_texts(top), _texts(below), strict=True):
        parent = upper if upper is not None else parent
        if lower is None:
            out.append(upper)
            continue
        both = f"{parent} {lower}" if parent else lower
        if _score(kind, [lower]) or not _score(kind, [both]):
            out.append(lower)
        else:
            out.append(both)
    return out


def _column_numbers(row: list) -> bool:
    """A row "1 2 3 4…" or "(1) (2) (3)…" under a header (Vietnamese forms number them)."""
    values = [c for c in row if c is not None]
    if len(values) < 3:
        return False
    numbers = []
    for c in values:
        found = re.fullmatch(r"\(?\s*([0-9]{1,2})\s*\)?", str(c).replace(".0", ""))
        if not found:
            return False
        numbers.append(int(found.group(1)))
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] <= 1


def _same_header(row: list, headers: list[str], keys: list[str]) -> bool:
    """The header again (printed on every page): a quick look first, as few rows are."""
    first = next((i for i, h in enumerate(headers) if h), None)
    if first is None or first >= len(row) or not isinstance(row[first], str):
        return False
    if header_key(row[first]) != keys[first]:
        return False
    width = len(keys)
    return [header_key(str(c)) if c is not None else "" for c in row[:width]] + [""] * (
        width - min(len(row), width)
    ) == keys


def _signature(row: list) -> bool:
    return any(isinstance(c, str) and _SIGNATURE.search(header_key(c) + " ") for c in row if c)


def find(kind: Kind | None, rows: dict[int, list], header: int | None = None) -> Layout | None:
    """The table of a sheet; `header` forces the header's row (the person's choice).

    None for a sheet that holds nothing. A header is two rows when the second holds only
    labels and the two together name more known columns.
    """
    numbers = sorted(n for n, row in rows.items() if any(c is not None for c in row))
    if not numbers:
        return None
    if header is not None and header in rows:
        start, height = header, 1
        below = rows.get(header + 1)
        if (
            below
            and _is_label_row(below)
            and not _column_numbers(below)
            and _score(kind, _merged(kind, rows[header], below))
            > max(_score(kind, rows[header]), _score(kind, below))
        ):
            height = 2
    else:
        start, height = _best_header(kind, rows, numbers[:HEADER_SEARCH])
    headers = _merged(kind, rows[start], rows[start + 1]) if height == 2 else _texts(rows[start])
    width = len(headers)
    while width and headers[width - 1] is None:
        width -= 1
    if width > MAX_COLUMNS:
        raise TooWide
    headers = [h or "" for h in headers[:width]]
    layout = Layout(start, height, headers, recognised=_score(kind, headers))
    end = start + height - 1
    keys = [header_key(h) for h in headers]
    for n in numbers:
        if n < start:
            layout.skipped[n] = ABOVE_HEADER
        elif n <= end:
            layout.skipped[n] = HEADER
    body = [n for n in numbers if n > end]
    tail = _tail(body, rows, width)
    for n in body:
        row = rows[n]
        if n in tail:
            layout.skipped[n] = BELOW_TABLE
        elif n == end + 1 and _column_numbers(row):
            layout.skipped[n] = COLUMN_NUMBERS
        elif _same_header(row, headers, keys):
            layout.skipped[n] = HEADER_AGAIN  # a header repeated on every printed page
        elif all(c is None for c in row[:width]):
            layout.skipped[n] = BLANK  # something right of the table only
        else:
            layout.data.append(n)
    data = set(layout.data)
    for n in range(1, numbers[-1]):
        if n not in layout.skipped and n not in data and not _filled(rows.get(n)):
            layout.skipped[n] = BLANK
    layout.skipped = dict(sorted(layout.skipped.items()))
    if len(layout.data) > MAX_ROWS:
        raise TooLong
    return layout


def _best_header(kind: Kind | None, rows: dict[int, list], first: list[int]) -> tuple[int, int]:
    best, best_score = None, 0
    for n in first:
        score = _score(kind, rows[n])
        height = 1
        below = rows.get(n + 1)
        if below and _is_label_row(below) and not _column_numbers(below):
            merged = _score(kind, _merged(kind, rows[n], below))
            if merged > max(score, _score(kind, below)):
                score, height = merged, 2
        if score > best_score:
            best, best_score = (n, height), score
    if best is not None and best_score >= 2:
        return best
    # No known wording: the first row about as wide as the widest (titles are narrow).
    widest = max(sum(c is not None for c in rows[n]) for n in first)
    for n in first:
        if sum(c is not None for c in rows[n]) * 2 >= widest:
            return n, 1
    return first[0], 1


def _tail(body: list[int], rows: dict[int, list], width: int) -> set[int]:
    """The rows below the list: from the first totals or signature line on, when no row
    after it is as full as a person's row (half the columns or more)."""
    full = max(2, (width + 1) // 2)
    tail: set[int] = set()
    for n in reversed(body):
        row = rows[n]
        filled = sum(c is not None for c in row)
        if filled >= full and not _signature(row):
            break
        tail.add(n)
    # Keep only what starts at a totals or signature line: a sparse person stays a person.
    start = next((n for n in sorted(tail) if _signature(rows[n])), None)
    return {n for n in tail if start is not None and n >= start}
