"""The sheets of an uploaded file, where each one's table is, and which are imported.

Every row of every sheet that holds something is stored (ImportRow), numbered
sheet * ROW_BASE + its row number in Excel, so that the person can take another header
row or sheet without uploading again. The batch's layout says, per sheet: its name, its
rows, the header row found (or chosen), the rows left out with their reason, and how its
columns line up with the first chosen sheet's (whose headers the batch shows).
"""

import json
from datetime import date

from sqlalchemy import select

from core.db import db
from imports.columns import FIELDS, Kind, guess_mapping, header_key, recognise
from imports.layout import Layout, find
from imports.models import ImportBatch, ImportRow, RowState

ROW_BASE = 100_000  # above SHEET_ROWS: a sheet's rows never reach the next sheet's numbers


def number_of(sheet: int, row: int) -> int:
    return sheet * ROW_BASE + row


def split(number: int) -> tuple[int, int]:
    return divmod(number, ROW_BASE)


def decode_cell(cell):
    return date.fromisoformat(cell["d"]) if isinstance(cell, dict) else cell


def sheet_entry(name: str, rows: dict[int, list], found: Layout | None) -> dict:
    # A sheet's rows as Excel numbers them: to its last row that holds something.
    entry = {"name": name, "rows": max(rows, default=0), "header": None, "data": 0, "skipped": {}}
    if found is not None:
        entry.update(
            header=found.header,
            header_rows=found.header_rows,
            headers=found.headers,
            data=len(found.data),
            skipped={str(n): reason for n, reason in sorted(found.skipped.items())},
            recognised=found.recognised,
        )
    return entry


def _fields(kind: Kind, headers: list[str]) -> set[str]:
    return {f for h in headers if (f := recognise(kind, h))}


def choose(kind: Kind, sheets: list[dict], chosen: list[int] | None = None) -> dict:
    """The layout to keep: by default the sheet naming the most known columns, with every
    other sheet that names the same required columns (a register kept a sheet per year or
    per group); otherwise the sheets the person ticked, in the file's order."""
    usable = [i for i, s in enumerate(sheets) if s["data"]]
    if chosen is None:
        if not usable:
            chosen = []
        else:
            first = max(usable, key=lambda i: (sheets[i].get("recognised", 0), -i))
            required = {f.key for f in FIELDS[kind] if f.required}
            mine = _fields(kind, sheets[first]["headers"]) & required
            chosen = [
                i
                for i in usable
                if i == first or (mine == required and _fields(kind, sheets[i]["headers"]) >= mine)
            ]
            chosen.sort(key=lambda i: (i != first, i))
    chosen = [i for i in chosen if i in usable]
    return {"sheets": sheets, "chosen": chosen, "columns": _columns(kind, sheets, chosen)}


def _columns(kind: Kind, sheets: list[dict], chosen: list[int]) -> dict[str, list]:
    """For each chosen sheet, the column of its own that holds each of the first's columns."""
    if not chosen:
        return {}
    primary = sheets[chosen[0]]["headers"]
    out = {}
    for i in chosen:
        own = sheets[i]["headers"]
        keys = [header_key(h) for h in own]
        fields = [recognise(kind, h) for h in own]
        line = []
        for header in primary:
            key, field = header_key(header), recognise(kind, header)
            if key and key in keys:
                line.append(keys.index(key))
            elif field and field in fields:
                line.append(fields.index(field))
            else:
                line.append(None)
        out[str(i)] = line
    return out


def headers_of(layout: dict) -> list[str]:
    chosen = layout.get("chosen") or []
    return list(layout["sheets"][chosen[0]]["headers"]) if chosen else []


def row_count(layout: dict) -> int:
    return sum(layout["sheets"][i]["data"] for i in layout.get("chosen", []))


def apply(batch: ImportBatch, layout: dict, remembered: dict[str, str]) -> None:
    """Keep this layout on the batch, with the headers, row count and columns it implies."""
    batch.layout = json.dumps(layout, ensure_ascii=False)
    headers = headers_of(layout)
    batch.headers = json.dumps(headers, ensure_ascii=False)
    batch.row_count = row_count(layout)
    batch.mapping = json.dumps(guess_mapping(batch.kind, headers, remembered))


def data_rows(batch: ImportBatch, *, pending_only: bool = False) -> list[tuple[int, list]]:
    """(number, cells in the first chosen sheet's column order) of every row to read."""
    layout = batch.layout_dict
    if not layout:  # a batch stored before layouts: every row is data
        stmt = select(ImportRow.number, ImportRow.cells).where(ImportRow.batch_id == batch.id)
        if pending_only:
            stmt = stmt.where(ImportRow.state == RowState.PENDING)
        return [
            (n, [decode_cell(c) for c in json.loads(raw)])
            for n, raw in db.session.execute(stmt.order_by(ImportRow.number))
        ]
    columns = layout.get("columns", {})
    out = []
    for i in layout.get("chosen", []):
        sheet = layout["sheets"][i]
        end = sheet["header"] + sheet.get("header_rows", 1) - 1
        stmt = select(ImportRow.number, ImportRow.cells).where(
            ImportRow.batch_id == batch.id,
            ImportRow.number > number_of(i, end),
            ImportRow.number < number_of(i + 1, 0),
        )
        if pending_only:
            stmt = stmt.where(ImportRow.state == RowState.PENDING)
        line = columns[str(i)]
        skipped = sheet["skipped"]
        for number, raw in db.session.execute(stmt.order_by(ImportRow.number)):
            if str(split(number)[1]) in skipped:
                continue
            cells = json.loads(raw)
            out.append(
                (
                    number,
                    [
                        decode_cell(cells[c]) if c is not None and c < len(cells) else None
                        for c in line
                    ],
                )
            )
    return out


def sheet_rows(batch: ImportBatch, sheet: int) -> dict[int, list]:
    """The stored rows of one sheet, by their row number, to find its table again."""
    found = db.session.execute(
        select(ImportRow.number, ImportRow.cells).where(
            ImportRow.batch_id == batch.id,
            ImportRow.number >= number_of(sheet, 0),
            ImportRow.number < number_of(sheet + 1, 0),
        )
    ).all()
    return {split(n)[1]: [decode_cell(c) for c in json.loads(raw)] for n, raw in found}


def relayout(
    batch: ImportBatch, chosen: list[int], headers: dict[int, int], remembered: dict[str, str]
) -> None:
    """Take the sheets ticked, each with the header row the person gave (else the one
    found), and keep the layout."""
    layout = batch.layout_dict
    sheets = layout["sheets"]
    for i, row in headers.items():
        if 0 <= i < len(sheets) and row != sheets[i]["header"]:
            rows = sheet_rows(batch, i)
            sheets[i] = sheet_entry(sheets[i]["name"], rows, find(batch.kind, rows, header=row))
    apply(batch, choose(batch.kind, sheets, sorted(set(chosen))), remembered)


def row_label(layout: dict, number: int) -> str:
    """A row as the person finds it in Excel: "15", or "Nhóm 2: 15" when several sheets
    are read."""
    sheet, row = split(number)
    if len(layout.get("chosen", [])) > 1 or sheet:
        sheets = layout.get("sheets", [])
        name = sheets[sheet]["name"] if sheet < len(sheets) else ""
        return f"{name}: {row}" if name else str(row)
    return str(row)
