"""The differencing attacker of issue 21, over HTTP, shared by the CI test
(tests/reports/test_disclosure_attack.py, a small variant) and the full run in bench/
(bench/disclosure_attack.py).

The attacker is a coordinator. It reads every aggregate output it reaches by plain links:
the donor report's page, CSV and XLSX for every non-empty set of its provinces and every
period of the variant; the protected indicator export (CSV and XLSX) for each province,
each group and all of them, both its columns (this period and the period before, itself a
release of another period); and the approved frozen releases. The true figures are
computed by the test itself (indicators.compute), never seen by the attacker.

Every column read becomes a release: (source, scope, start, end) -> cell -> value. The
attack then tries, for every count cell, each release alone, every sum and difference of
two, every release less two disjoint ones inside it (sub-periods, sub-sets), and every
total less the other parts of its breakdown. A cell is recovered when the combination of
published values equals the combination of true ones and that true value is 1–4.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations

import openpyxl
from flask_babel import force_locale
from sqlalchemy import select

from accounts.models import User
from core.clock import today
from core.db import db
from reports.definitions import SECTIONS, UNITS
from reports.indicators import all_sections
from reports.indicators.scope import Scope
from reports.models import Release
from reports.pages.donor import donor_sections
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN, QUANG_TRI, TAY_NINH, login

D = date


@dataclass(frozen=True)
class Variant:
    """How much the attacker asks for: provinces, the months from `first`, whether it
    also reads the XLSX of every file (else the first few) and every donor page, and
    whether it reads each group's indicator file."""

    provinces: tuple
    months: int
    every_xlsx: bool = False
    first: date = D(2025, 1, 1)
    groups: bool = True

    def periods(self) -> list[Period]:
        """Every month and quarter of the months, and custom ranges nested in and
        overlapping them (the first month to each, each to the last, the second to the
        fourth)."""
        months, month = [], self.first
        for _ in range(self.months):
            months.append(month)
            month = Period.containing("month", month).end + timedelta(days=1)
        ends = [Period.containing("month", m).end for m in months]
        out = [Period.containing("month", m) for m in months]
        out += [
            Period.containing("quarter", m)
            for m in months
            if m.month % 3 == 1 and Period.containing("quarter", m).end <= ends[-1]
        ]
        out += [Period.custom(months[0], end) for end in ends[1:]]
        out += [Period.custom(m, ends[-1]) for m in months[1:]]
        if self.months >= 4:  # the second month to the fourth: overlapping the quarters
            out.append(Period.custom(months[1], ends[3]))
        seen, unique = set(), []
        for p in out:
            if (p.start, p.end) not in seen:
                seen.add((p.start, p.end))
                unique.append(p)
        return unique


CI = Variant(provinces=(HUE, QUANG_TRI, NGHE_AN), months=3)
FULL = Variant(provinces=(HUE, QUANG_TRI, NGHE_AN, TAY_NINH), months=6, every_xlsx=True)


def flat(sections) -> list[tuple[str, str, object]]:
    return [
        (cell, kind, value)
        for _t, tables in sections
        for table in tables
        for cell, _l, kind, value in table
    ]


def number(text):
    if text in ("", "[c]", None):
        return text or None
    value = float(text)
    return int(value) if value.is_integer() else value


def csv_table(body: bytes) -> list[list[str]]:
    """The rows of a protected file after its notes block and header."""
    assert body.startswith(b"\xef\xbb\xbf"), "a CSV for Excel starts with a BOM"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return rows[rows.index([]) + 2 :]


def xlsx_table(body: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [
        [("" if v is None else v) for v in r] for r in sheet.iter_rows(min_row=2, values_only=True)
    ]


@dataclass
class Reading:
    """What the attacker read, and the truth beside it (the attacker never sees it)."""

    published: dict = field(default_factory=dict)  # release -> cell -> value
    truth: dict = field(default_factory=dict)
    bases: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)  # release -> frozenset of group ids
    kinds: dict = field(default_factory=dict)  # cell -> kind
    files: int = 0
    bodies: list = field(default_factory=list)  # every body read, for "<5"

    def add(self, release, groups, figures, values: dict, exact: dict):
        self.groups[release] = groups
        self.truth[release] = exact
        self.bases[release] = figures["bases"]
        self.published[release] = values


def read_everything(app, client, coordinator, checker, group_provinces, variant: Variant):
    """Download every output of the variant as the coordinator; returns a Reading."""
    login(client, coordinator)
    client.post("/language", data={"locale": "en"})
    reading = Reading()
    provinces = variant.provinces
    by_province = {p: frozenset(g for g, c in group_provinces.items() if c == p) for p in provinces}
    periods = variant.periods()
    with app.test_request_context():
        user = db.session.get(User, coordinator.id)
        with force_locale("en"):  # an amount is never labelled a number of people
            units = {kind: str(label) for kind, label in UNITS.items()}

        known: dict = {}

        def compute(scope, period, of_today=True):
            """The figures of a scope (by its groups: a province's file and the donor
            report of that province are one release) for a period, counted once."""
            key = (scope.province_code or scope.group_id or scope.provinces, period, of_today)
            if key not in known:
                known[key] = all_sections.compute(scope, period, today(), of_today=of_today)
            return known[key]

        donor_truth = {}
        for k in range(1, len(provinces) + 1):
            for chosen in combinations(provinces, k):
                for period in periods:
                    figures = compute(Scope(user, provinces=tuple(sorted(chosen))), period)
                    donor_truth[chosen, period] = figures
        indicator_truth = {}
        scopes = [({"province": p}, Scope(user, provinces=(p,))) for p in provinces]
        if variant.groups:
            scopes += [({"group": g}, Scope(user, group_id=g)) for g in sorted(group_provinces)]
        scopes.append(({}, Scope(user, provinces=tuple(sorted(provinces)))))
        for args, scope in scopes:
            for period in periods:
                indicator_truth[tuple(args.items()), period] = (
                    compute(scope, period),
                    compute(scope, period.previous(), of_today=False),
                )
    keys = [f.key for s in SECTIONS for f in s.figures]
    kinds = {f.key: f.kind for s in SECTIONS for f in s.figures}
    xlsx_left = len(periods)  # the first files of each kind are read as XLSX too

    def fetch(url, args, fmt="csv"):
        response = client.get(url, query_string=[("format", fmt), *args])
        assert response.status_code == 200, (url, args, response.status_code)
        reading.files += 1
        reading.bodies.append(response.data)
        return response.data

    for (chosen, period), figures in donor_truth.items():
        cells = flat(donor_sections(figures))
        reading.kinds.update({cell: kind for cell, kind, _v in cells})
        args = [*(("province", c) for c in chosen), *period.query().items()]
        rows = csv_table(fetch("/progress/donor/export", args))
        assert len(rows) == len(cells)
        if variant.every_xlsx or xlsx_left > 0:
            xlsx_left -= 1
            assert_same(rows, xlsx_table(fetch("/progress/donor/export", args, "xlsx")), 3)
        values = {}
        for (cell, kind, _v), row in zip(cells, rows, strict=True):
            assert row[2] == units.get(kind, ""), (cell, row)
            # Members in a group, above and over the breakdowns: the same cell, one value.
            assert values.setdefault(cell, number(row[3])) == number(row[3]), cell
        if variant.every_xlsx or len(chosen) == len(provinces):
            page = client.get("/progress/donor", query_string=args).data
            reading.bodies.append(page)
            assert page.count(b"[c]") >= sum(v == "[c]" for v in values.values())
        groups = frozenset().union(*(by_province[c] for c in chosen))
        exact = {cell: v for cell, _k, v in cells}
        reading.add(("donor", chosen, period.start, period.end), groups, figures, values, exact)

    xlsx_left = len(periods)
    for (args, period), (now, before) in indicator_truth.items():
        query = [*args, *period.query().items()]
        rows = csv_table(fetch("/progress/export", query))
        if variant.every_xlsx or xlsx_left > 0:
            xlsx_left -= 1
            assert_same(rows, xlsx_table(fetch("/progress/export", query, "xlsx")), 3, 4)
        assert len(rows) == len(keys)
        assert [row[2] for row in rows] == [units.get(kinds[key], "") for key in keys]
        if args and args[0][0] == "group":
            groups = frozenset([args[0][1]])
        elif args:
            groups = by_province[args[0][1]]
        else:
            groups = frozenset(group_provinces)
        for column, figures, when in ((3, now, period), (4, before, period.previous())):
            values = {key: number(row[column]) for key, row in zip(keys, rows, strict=True)}
            exact = {key: figures.get(key) for key in keys}
            if column == 4:  # a figure of today has no period before: left empty
                exact = {k: v for k, v in exact.items() if values[k] is not None}
                values = {k: v for k, v in values.items() if k in exact}
            source = "indicators" if column == 3 else "before"
            reading.add((source, args, when.start, when.end), groups, figures, values, exact)
    reading.kinds.update(kinds)
    return reading


def assert_same(csv_rows, xlsx_rows, *columns):
    """The XLSX holds the same cells as the CSV."""
    assert len(csv_rows) == len(xlsx_rows)
    for a, b in zip(csv_rows, xlsx_rows, strict=True):
        for c in columns:
            x, y = number(a[c]), number(b[c])
            # A share has four decimals in the CSV, all of them in the XLSX.
            assert x == y or (isinstance(x, float) and abs(x - float(y)) < 1e-4), (a, b)


def read_releases(app, client, checker, reading: Reading, variant: Variant):
    """Prepare and approve a release of each quarter over all the provinces, then read it:
    a frozen release publishes what the live report published for the same figures."""
    second = app.test_client()
    login(second, checker)
    quarters = [p for p in variant.periods() if p.kind == "quarter"]
    chosen = tuple(variant.provinces)
    for period in quarters:
        args = [*(("province", c) for c in chosen), *period.query().items()]
        assert client.post("/progress/releases", query_string=args).status_code == 302
        with app.app_context():
            release_id = db.session.scalars(select(Release.id).order_by(Release.id.desc())).first()
        assert second.post(f"/progress/releases/{release_id}/approve").status_code == 302
        body = client.get(f"/progress/releases/{release_id}/export?format=csv").data
        reading.bodies.append(body)
        reading.files += 1
        live = csv_table(
            client.get("/progress/donor/export", query_string=[("format", "csv"), *args]).data
        )
        assert [r[3] for r in csv_table(body)] == [r[3] for r in live]


@dataclass
class Outcome:
    releases: int
    cells: int
    small: int  # (cell, release) pairs whose true value is 1–4
    recovered: list
    inconsistent: list  # the same true value of a cell published two ways
    off_grid: list


def attack(reading: Reading, base: int) -> Outcome:
    """Every combination of one, two or three releases, and every total less its parts."""
    names = list(reading.published)
    by_period: dict = {}
    by_groups: dict = {}
    for r in names:
        by_period.setdefault((r[2], r[3]), []).append(r)
        by_groups.setdefault(reading.groups[r], []).append(r)
    splits = []  # (a, b, c): b and c disjoint, both inside a
    for a in names:
        inside = [b for b in by_period[a[2], a[3]] if reading.groups[b] < reading.groups[a]]
        splits += [
            (a, b, c)
            for b, c in combinations(inside, 2)
            if not reading.groups[b] & reading.groups[c]
        ]
        within = [
            b
            for b in by_groups[reading.groups[a]]
            if b[2:] != a[2:] and a[2] <= b[2] and b[3] <= a[3]
        ]
        splits += [(a, b, c) for b, c in combinations(within, 2) if b[3] < c[2] or c[3] < b[2]]
    recovered, inconsistent, off_grid, small, cells = [], [], [], 0, 0
    count_cells = [c for c, k in reading.kinds.items() if k == "count"]
    for cell in count_cells:
        have = [
            r
            for r in names
            if cell in reading.published[r] and reading.truth[r].get(cell) is not None
        ]
        shown = {r: reading.published[r][cell] for r in have}
        true = {r: reading.truth[r][cell] for r in have}
        cells += len(have)
        mapping: dict = {}
        for r in have:
            if mapping.setdefault(true[r], shown[r]) != shown[r]:
                inconsistent.append((cell, r, true[r]))
            if shown[r] % base or abs(shown[r] - true[r]) >= base:
                off_grid.append((cell, r, true[r], shown[r]))
            small += 1 <= true[r] <= 4
            if 1 <= true[r] <= 4 and shown[r] == true[r]:
                recovered.append((cell, r))
        for a, b in combinations(have, 2):
            for sign in (1, -1):
                t = true[a] + sign * true[b]
                if 1 <= abs(t) <= 4 and shown[a] + sign * shown[b] == t:
                    recovered.append((cell, a, sign, b))
        for a, b, c in splits:
            if a in true and b in true and c in true:
                t = true[a] - true[b] - true[c]
                if 1 <= t <= 4 and shown[a] - shown[b] - shown[c] == t:
                    recovered.append((cell, a, b, c))
    for r in names:
        truth, shown = reading.truth[r], reading.published[r]
        if r[0] != "donor":  # the breakdowns are the donor report's
            continue
        for prefix in ("category:", "sex:", "age:"):
            parts = [c for c in truth if c.startswith(prefix)]
            for part in parts:
                others = [p for p in parts if p != part]
                t = truth["active_members"] - sum(truth[p] for p in others)
                s = shown["active_members"] - sum(shown[p] for p in others)
                if 1 <= t <= 4 and s == t:
                    recovered.append((part, r))
    return Outcome(len(names), cells, small, recovered, inconsistent, off_grid)


def exact_reading(reading: Reading) -> Reading:
    """The same releases published exactly: what the attacker would read without the
    rounding (the control that shows the attack finds what is there)."""
    out = Reading(groups=reading.groups, kinds=reading.kinds, truth=reading.truth)
    out.published = {r: dict(t) for r, t in reading.truth.items()}
    return out


def statistics_over_too_few(reading: Reading, threshold: int, amount_base: int) -> list:
    """Amounts, shares and medians published over fewer than the threshold of values, or
    amounts not rounded to the amount base."""
    wrong = []
    for r, values in reading.published.items():
        for cell, value in values.items():
            kind = reading.kinds.get(cell)
            base = reading.bases[r].get(cell)
            if kind == "count" or value is None:
                continue
            if base is None:
                if value != "[c]":
                    wrong.append((cell, r, "no base", value))
                continue
            fewest = min(base) if isinstance(base, tuple) else base
            if fewest < threshold and value != "[c]":
                wrong.append((cell, r, base, value))
            elif (
                kind == "vnd"
                and value != "[c]"
                and cell not in ("income_6", "planned_income_6")
                and value % amount_base
            ):
                wrong.append((cell, r, "not rounded", value))
    return wrong
