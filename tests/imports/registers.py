"""Registers the way programmes keep them in Excel, written with openpyxl for the tests:
title rows (merged), the unit, blank rows, a header over two rows, column numbers, a
header repeated, totals and signatures below, several sheets."""

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

TITLE = "DANH SÁCH THÀNH VIÊN NHÓM TỰ LỰC - NĂM 2024"
SIGNATURES = [
    [None, "Tổng cộng: 3 người"],
    [],
    [None, None, None, None, "Hà Tĩnh, ngày 10 tháng 12 năm 2024"],
    [None, "Người lập biểu", None, None, "Xác nhận của UBND xã"],
    [None, "(Ký, ghi rõ họ tên)"],
    [],
    [None, "Nguyễn Thị Mai", None, None, "Trần Văn Hùng"],
]


def sheet_rows(ws, rows, start=1):
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)


def titled(ws, header, people, *, width=None, signatures=True, numbers=False):
    """Title merged across the columns, the unit, a blank row, the header on row 4 (with
    "(1) (2) …" under it when `numbers`), the people, then totals and signatures."""
    width = width or len(header)
    ws.cell(row=1, column=1, value=TITLE)
    ws.merge_cells(f"A1:{get_column_letter(width)}1")
    ws.cell(row=2, column=1, value="Đơn vị: Trung tâm Phát triển cộng đồng Hà Tĩnh")
    ws.merge_cells(f"A2:{get_column_letter(width)}2")
    rows = [header]
    if numbers:
        rows.append([f"({i})" for i in range(1, len(header) + 1)])
    rows += people
    if signatures:
        rows += SIGNATURES
    sheet_rows(ws, rows, start=4)


def two_row_header(ws, top, below, people, *, merges=()):
    """A title, then a header over rows 3 and 4 (merged cells), then the people."""
    ws.cell(row=1, column=1, value=TITLE)
    ws.merge_cells(f"A1:{get_column_letter(len(below))}1")
    sheet_rows(ws, [top, below, *people], start=3)
    for merge in merges:
        ws.merge_cells(merge)


def book(*sheets) -> bytes:
    """An .xlsx of (title, filler) pairs: filler(ws) writes the sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, fill in sheets:
        fill(wb.create_sheet(title))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
