"""The donor report tells the truth (issue 21, usability F4): one mark for every hidden
cell, never "<5" for a figure that is not under 5; shares, amounts and medians shown only
over enough values; and its downloads carry the same cells as the page, with notes."""

import csv
import html as html_module
import io
import random
import re

import openpyxl
import pytest

from groups.models import Gender, MemberCategory
from reports.definitions import SECTIONS
from reports.indicators import all_sections
from reports.indicators.members import AGE_BANDS
from reports.indicators.scope import Scope
from reports.pages.donor import donor_sections
from reports.suppression import HIDDEN, STATISTICS, THRESHOLD, protection
from tests.conftest import HUE, login
from tests.reports import world as world_module

MARCH = "period=month&on=2025-03-01"


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def small_or_large(rng) -> int:
    return rng.choice([0, 1, 2, 3, 4, 5, 6, rng.randint(7, 80)])


def generated_figures(rng) -> dict:
    """Every figure the report reads, with known small cells and known bases."""
    figures, bases = {}, {}
    for section in SECTIONS:
        for f in section.figures:
            if f.kind == "count":
                figures[f.key] = small_or_large(rng)
            elif f.kind == "percent":
                den = small_or_large(rng)
                num = rng.randint(0, den)
                bases[f.key] = (num, den)
                figures[f.key] = num / den if den else None
            elif f.kind == "vnd":
                bases[f.key] = small_or_large(rng)
                figures[f.key] = rng.randint(0, 90) * 1_000_000 if bases[f.key] else None
            else:  # days: a median
                bases[f.key] = small_or_large(rng)
                figures[f.key] = rng.choice([1, 2.5, 14]) if bases[f.key] else None
    by_category = {c: small_or_large(rng) for c in MemberCategory}
    total = sum(by_category.values())
    genders = list(Gender)
    by_gender = dict.fromkeys(genders, 0)
    by_age = dict.fromkeys([*range(len(AGE_BANDS)), None], 0)
    for _ in range(total):
        by_gender[rng.choice(genders)] += 1
        by_age[rng.choice(list(by_age))] += 1
    figures.update(
        active_members=total,
        by_category=by_category,
        by_gender=by_gender,
        by_age=by_age,
        bases=bases,
    )
    return figures


def expected_hidden(figure, figures) -> bool:
    base = figures["bases"].get(figure.key)
    if figure.kind == "count":
        return False  # rounded, never hidden
    if figure.kind == "percent":
        return min(base) < THRESHOLD  # numerator or denominator
    return base < THRESHOLD  # amounts and medians: the grants or values they are over


@pytest.mark.parametrize("seed", range(300))
def test_hidden_cells_are_marked_and_statistics_need_enough_values(app, seed):
    figures = generated_figures(random.Random(seed))
    with app.test_request_context():
        sections = donor_sections(figures, protection())
    for (_title, tables), section in zip(sections, SECTIONS, strict=False):
        for (_cell, _label, _kind, shown), figure in zip(tables[0], section.figures, strict=True):
            assert shown != "<5"
            assert (shown is HIDDEN) == expected_hidden(figure, figures), figure.key
            value = figures[figure.key]
            if figure.kind == "count":
                assert shown % 5 == 0 and abs(shown - value) <= 4
                assert not 1 <= shown <= 4
            elif shown is not HIDDEN and figure.kind == "vnd" and figure.key not in STATISTICS:
                assert shown % 5_000_000 == 0 and abs(shown - value) < 5_000_000
    *_sections, (_title, breakdown) = sections
    for table in breakdown:
        for _cell, _label, _kind, shown in table:
            assert isinstance(shown, int) and shown % 5 == 0
    assert str(HIDDEN) == "[c]"


def test_medians_count_the_values_themselves(app, world):
    """In March in Huế three decisions were made (m2, m3, m5) and one grant was first
    paid (m2): the medians are over 3 and 1 values, whatever the visits due or grants
    approved, and so hidden."""
    from datetime import date

    from accounts.models import User
    from core.db import db
    from reports.periods import Period

    with app.test_request_context():
        user = db.session.get(User, world.coordinator.id)
        scope = Scope(user, provinces=(HUE,))
        figures = all_sections.compute(
            scope, Period.containing("month", date(2025, 3, 1)), date(2025, 4, 1)
        )
        how = protection()
        assert figures["bases"]["days_to_decision"] == 3
        assert figures["bases"]["days_to_payment"] == 1
        assert figures["days_to_decision"] is not None
        shown = {
            f.key: v
            for (_t, tables), s in zip(donor_sections(figures, how), SECTIONS, strict=False)
            for f, (_c, _l, _k, v) in zip(s.figures, tables[0], strict=True)
        }
    assert shown["days_to_decision"] is HIDDEN and shown["days_to_payment"] is HIDDEN
    assert all(shown[key] is HIDDEN for key in STATISTICS)


def page_cells(body: str) -> list[tuple[str, str]]:
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", re.sub(r"\s+", " ", body))
    return [(html_module.unescape(a).strip(), re.sub(r"<[^>]+>", "", b).strip()) for a, b in rows]


def digits(text) -> str:
    return re.sub(r"\D", "", str(text))


def agrees(page: str, unit: str, value) -> bool:
    if value in ("", None):
        return page == "–"
    if str(value) == "[c]":
        return page == "[c]"
    number = float(value)
    if unit.startswith("share") or unit.startswith("tỷ lệ") or "0" in unit and "1" in unit:
        return digits(page) == str(round(number * 100))
    return digits(page) == digits(int(number) if number.is_integer() else number)


@pytest.mark.parametrize("seed", range(6))
def test_page_and_downloads_agree_cell_by_cell(app, client, world, monkeypatch, seed):
    figures = generated_figures(random.Random(seed))
    monkeypatch.setattr(all_sections, "compute", lambda *args, **kwargs: figures)
    login(client, world.coordinator)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/progress/donor?{MARCH}")
    body = page.get_data(as_text=True)
    cells = page_cells(body)
    assert "/progress/donor/export?" in body and "/progress/export" not in body
    assert "&lt;5" not in body

    raw = client.get(f"/progress/donor/export?format=csv&{MARCH}")
    assert raw.status_code == 200
    data = raw.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    blank = lines.index([])
    notes = {row[0]: row[1] for row in lines[:blank]}
    header, *table = lines[blank + 1 :]
    assert header == ["Section", "Figure", "Unit", "Value"]
    assert notes["Threshold"] == str(THRESHOLD)
    assert "March 2025" in notes["Period"] or "2025-03-01" in notes["Period"]
    assert "Huế" in notes["Provinces"]
    assert notes["Made on"]
    assert "[c]: hidden to protect people" in notes["Legend (English)"]
    assert "multiple of 5" in notes["Legend (English)"]
    assert "[c]" in notes["Legend (Tiếng Việt)"] and "bội số của 5" in notes["Legend (Tiếng Việt)"]
    assert "fewer than 5" in notes["How figures are protected"]

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/progress/donor/export?{MARCH}").data))
    data_sheet, notes_sheet = book.worksheets
    assert notes_sheet.title == "Notes"
    xlsx = [list(r) for r in data_sheet.iter_rows(min_row=2, values_only=True)]
    xlsx_notes = {r[0]: r[1] for r in notes_sheet.iter_rows(values_only=True)}
    assert xlsx_notes["Threshold"] == str(THRESHOLD)

    assert len(cells) == len(table) == len(xlsx)
    for (label, shown), row, cells_x in zip(cells, table, xlsx, strict=True):
        assert row[1] == label == cells_x[1]
        assert agrees(shown, row[2], row[3]), (label, shown, row)
        assert agrees(shown, row[2], cells_x[3]), (label, shown, cells_x)
        if shown != "[c]":
            assert "[c]" not in (row[3], cells_x[3])


def test_the_notes_sheet_is_ghi_chu_in_vietnamese(client, world):
    login(client, world.coordinator)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/progress/donor/export?{MARCH}").data))
    assert [s.title for s in book.worksheets][1] == "Ghi chú"


def test_a_download_for_a_period_that_cannot_be_read_is_refused(client, world):
    login(client, world.coordinator)
    assert client.get("/progress/donor/export?period=custom&start=x").status_code == 400
    assert client.get("/progress/donor/export?format=pdf").status_code == 404
    assert client.get("/progress/donor/export?province=40").status_code == 403


def test_the_donor_report_prints_its_figures_and_legend_without_its_controls(client, world):
    """On paper (static/app.css, @media print): the period picker, the release form and
    the file links are left out; the tables, the legend and the day printed remain."""
    import pathlib

    login(client, world.coordinator)
    body = client.get(f"/progress/donor?{MARCH}").get_data(as_text=True)
    assert '<div class="donor-report">' in body
    assert '<form method="get" class="card no-print">' in body
    assert '<p class="print-only">In ngày' in body
    css = pathlib.Path("static/app.css").read_text()
    rules = css[css.index(".donor-report .no-print") - 200 :]
    assert "@media print" in rules and ".donor-report .no-print, .donor-report form" in rules
    assert "display: none" in rules and "break-inside: avoid" in rules
