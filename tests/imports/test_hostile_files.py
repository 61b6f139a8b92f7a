"""Hostile uploads (issue 27, S5/S6/R3): a file that would abort, blow up or hold the parser
is refused with the form's message, writes nothing, and leaves the web process alive and
its memory where it was; what is accepted is bounded (cells, rows, text)."""

import json
import os
import sys

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from imports import readers, upload_limits
from imports.models import ImportBatch, ImportRow
from tests.conftest import HUE
from tests.imports import crafted
from tests.imports.test_imports import batch_of, checked, count, upload

UNREADABLE = "Không đọc được tệp Excel này"
FAR = "Trang tính có dữ liệu ở ô"
TOO_LARGE = "khi giải nén ra lớn hơn nhiều"
ROWS = "Tệp có hơn 20.000 dòng"


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HUE,))


def post_file(client, data: bytes, filename: str):
    """An upload as bytes in memory (the test client spools a large one to a file)."""
    boundary = "----tuluc"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", client.csrf_token()), ("kind", "members"))
    ]
    head = "".join(parts) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return client.post(
        "/imports",
        data=head.encode() + data + f"\r\n--{boundary}--\r\n".encode(),
        csrf=False,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def posted(client, app, data: bytes, filename: str) -> ImportBatch:
    response = post_file(client, data, filename)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return batch_of(app, int(response.headers["Location"].rsplit("/", 1)[1]))


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _row(number: int, cells: str) -> str:
    return f'<row r="{number}">{cells}</row>'


HOSTILE = {
    # S5: calamine sized A1..XFD1048576 (549 GB asked, the process aborted).
    "far-cell": (crafted.far_cell, FAR + " XFD1048576"),
    # S5: A1..XFD20000, within the rows: 10.5 GB asked, 11.9 GB reached.
    "wide": (lambda: crafted.far_cell("XFD20000"), FAR + " XFD20000"),
    "far-row": (lambda: crafted.far_cell("B900000"), ROWS),
    "far-dimension": (crafted.far_dimension, FAR + " XFD1048576"),
    # References calamine counts rather than reads: found by the exact scan.
    "cells-without-reference": (
        lambda: crafted.workbook([crafted.header_row(), _row(2, "<c><v>1</v></c>" * 300)]),
        FAR + " IW2",
    ),
    "lowercase-single-quoted": (
        lambda: crafted.workbook(
            [crafted.header_row(), "<row r='3'><c r='xfd3'><v>1</v></c></row>"]
        ),
        FAR + " XFD3",
    ),
    "prefixed-tags": (
        lambda: crafted.workbook(
            [crafted.header_row(), '<x:row r="4"><x:c r="XFD4"><x:v>1</x:v></x:c></x:row>']
        ),
        FAR + " XFD4",
    ),
    # R3: a 2.9 MB zip of 20 million rows held a worker past gunicorn's timeout.
    "zip-bomb": (crafted.bomb, TOO_LARGE),
    # S6: one 400 MB shared string left a worker at 926 MB and stored 4.5 MB a row.
    "huge-shared-string": (lambda: crafted.big_shared_string(100), TOO_LARGE),
    "headers-understate-sizes": (lambda: crafted.understated(crafted.many_rows(3000)), UNREADABLE),
    "many-rows": (lambda: crafted.many_rows(25_000), ROWS),
    # One 2 MB string in 1,000 cells: 2 GB once read, past the child's memory; it dies.
    "repeated-shared-string": (crafted.repeated_string, UNREADABLE),
    "twin-sheet-in-capitals": (crafted.twin_sheet, UNREADABLE),
    "utf16-sheet": (crafted.utf16_sheet, UNREADABLE),
    "entities": (crafted.with_doctype, UNREADABLE),
    "xlsb-inside": (crafted.xlsb_inside, UNREADABLE),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_spreadsheet_is_refused_and_the_process_keeps_its_memory(
    app, client, coordinator, name
):
    make, message = HOSTILE[name]
    data = make()
    before = resident_mb()
    response = post_file(client, data, "so-thanh-vien.xlsx")
    grown = resident_mb() - before
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, ImportBatch) == 0 and count(app, ImportRow) == 0
    assert grown < 50, f"the web process grew by {grown:.0f} MB"
    # The process that answered is alive and reads the next good file.
    assert upload(client, crafted.register(), filename="so.xlsx").status_code == 302


def test_a_formatted_empty_cell_far_away_is_no_reason_to_refuse(app, client, coordinator):
    """calamine places only cells that hold something: Excel's styled empty cells pass."""
    data = crafted.workbook(
        [
            crafted.header_row(),
            crafted.member_row(2),
            _row(900000, '<c r="XFD900000" s="1"/>'),
        ],
        dimension="A1:C3",
    )
    batch = checked(client, app, data, filename="so.xlsx")
    assert batch.row_count == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (crafted.big_shared_string(3, varied=True), "so.xlsx"),
        (crafted.csv_long_cell(4), "so.csv"),
    ],
    ids=["xlsx-3-mb-string", "csv-4-mb-cell"],
)
def test_a_long_cell_is_cut_and_still_an_error(app, client, coordinator, data, filename):
    batch = posted(client, app, data, filename)
    assert ["too_long", "full_name"] in batch.summary_dict["rows"]["2"]
    with app.app_context():
        stored = db.session.scalar(
            select(ImportRow.cells).where(ImportRow.batch_id == batch.id, ImportRow.number == 2)
        )
    assert len(stored) < 2 * upload_limits.MAX_CELL_CHARS
    assert len(json.loads(stored)[0]) == upload_limits.MAX_CELL_CHARS


def test_csv_rows_and_columns_are_capped(app, client, coordinator):
    batch = posted(client, app, crafted.csv_wide_row(1_000_000), "so.csv")
    assert batch.row_count == 1 and len(batch.header_list) == 3
    response = post_file(client, crafted.csv_rows(25_000), "so.csv")
    assert ROWS in response.get_data(as_text=True)
    assert count(app, ImportBatch) == 1


@pytest.mark.parametrize(
    ("setting", "value", "data"),
    [
        # The checks bypassed ("xls" goes straight to calamine): the child aborts at once,
        # or runs into its memory limit, and only the child dies.
        (None, None, crafted.far_cell()),
        (None, None, crafted.far_cell("XFD20000")),
        ("MEMORY_BYTES", 16 * 1024 * 1024, crafted.register()),
        ("READ_SECONDS", 0.01, crafted.register()),
    ],
    ids=["abort", "out-of-memory", "memory-limit", "time-limit"],
)
def test_a_reader_that_dies_costs_only_its_process(app, monkeypatch, setting, value, data):
    if setting == "MEMORY_BYTES":
        monkeypatch.setattr(upload_limits, setting, value)
    elif setting:
        monkeypatch.setattr(readers, setting, value)
    before = resident_mb()
    with app.test_request_context(), pytest.raises(readers.UnreadableFile) as refused:
        readers._read_apart("xls", data)
    assert "could not be read" in str(refused.value.message)
    assert resident_mb() - before < 50


def test_the_child_runs_isolated_under_its_limits(app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "canary-secret")
    seen = {}
    real_run = readers.subprocess.run

    def run(*args, **kwargs):
        seen.update(kwargs)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(readers.subprocess, "run", run)
    with app.test_request_context():
        assert readers.read_table("so.csv", crafted.csv_rows(2)).rows[0][0] == "Lê Thị Hồng"
    assert seen["env"] == {} and seen["timeout"] == readers.READ_SECONDS
    command = readers._command("csv")
    assert command[:4] == [sys.executable, "-I", "-c", readers._CHILD]
    assert int(command[5]) == upload_limits.MEMORY_BYTES
    assert upload_limits.MEMORY_BYTES <= 1024**3 and readers.READ_SECONDS <= 20
