"""The differencing attacker of issue 21, run over HTTP against generated data.

A coordinator of four provinces downloads the donor report (CSV) for every non-empty set
of those provinces and for every month, quarter and custom range of a half-year (nested
and overlapping ranges included), and the protected indicator export for each province
and for all of them. The data are random (a seed per run), so the small cells are known
only from the exact figures, which the test computes itself and the attacker never sees.

The attacker then tries, for every figure and breakdown cell, every single release,
every sum and difference of two releases, every release less two others inside it
(sub-period and sub-set splits), and every total less the other parts of its table. A
cell is recovered when the combination of published values equals the combination of
true values and that true value is 1–4 (a small count, e.g. "Cần Thơ's 3 grants").

Pass: nothing recovered; the same true value of a cell is published the same in every
release (same people, same figure); no "<5" anywhere; no amount, share or median over
fewer than the threshold of values.
"""

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from accounts.models import Role, User
from core.db import db
from groups.models import Gender, Group, GroupRole, Member, MemberCategory
from groups.services import members as member_services
from livelihoods.models import Activity, GrantEvent, Method
from livelihoods.services.grants import approve_grant, draft_grant, reject_grant, submit_grant
from livelihoods.services.tranches import record_tranche
from reports.definitions import SECTIONS
from reports.indicators.all_sections import compute
from reports.indicators.scope import Scope
from reports.pages.donor import donor_sections
from reports.periods import Period
from reports.suppression import protection
from tests.conftest import HUE, NGHE_AN, QUANG_TRI, TAY_NINH, login

PROVINCES = (HUE, QUANG_TRI, NGHE_AN, TAY_NINH)
D = date
MONTHS = [D(2025, m, 1) for m in range(1, 7)]


def periods() -> list[Period]:
    """Every month and quarter of the first half of 2025, the half-year, and custom
    ranges nested in and overlapping them (January to each month, each month to June)."""
    out = [Period.containing("month", m) for m in MONTHS]
    out += [
        Period.containing("quarter", D(2025, 1, 1)),
        Period.containing("quarter", D(2025, 4, 1)),
    ]
    ends = [Period.containing("month", m).end for m in MONTHS]
    out += [Period.custom(D(2025, 1, 1), end) for end in ends[1:]]
    out += [Period.custom(m, D(2025, 6, 30)) for m in MONTHS[1:]]
    out.append(Period.custom(D(2025, 2, 1), D(2025, 4, 30)))
    seen, unique = set(), []
    for p in out:
        if (p.start, p.end) not in seen:
            seen.add((p.start, p.end))
            unique.append(p)
    return unique


def generate(app, make_user, make_group, make_meeting, seed: int):
    """Groups, members, meetings and grants at random in four provinces: many cells of
    1–4 (a province in a month), some large."""
    rng = random.Random(seed)
    coordinator = make_user(Role.COORDINATOR, provinces=PROVINCES)
    admin = make_user(Role.ADMIN)
    groups = [
        make_group(code, name=f"Nhóm {i}-{code}")
        for code in PROVINCES
        for i in range(rng.choice((1, 2)))
    ]
    actor = SimpleNamespace(id=None)
    members = []
    with app.app_context():
        for g in groups:
            for _ in range(rng.randint(2, 9)):
                joined = D(2025, 1, 6) + timedelta(days=rng.randint(0, 170))
                m = member_services.create_member(
                    actor,
                    db.session.get(Group, g.id),
                    full_name="Lê Thị Lan",
                    gender=rng.choice(list(Gender)),
                    birth_year=rng.choice([None, *range(1960, 2008)]),
                    phone=None,
                    category=rng.choice(list(MemberCategory)),
                    notes=None,
                    joined_on=joined,
                    role=GroupRole.MEMBER,
                    consents=[],
                )
                members.append((m.id, joined))
        db.session.commit()
        decider = db.session.get(User, admin.id)
        for member_id, joined in members:
            member = db.session.get(Member, member_id)
            if rng.random() < 0.45:
                submitted = joined + timedelta(days=rng.randint(0, 20))
                if submitted >= D(2025, 6, 28):
                    continue
                g = draft_grant(
                    actor,
                    member,
                    activity=Activity.CROPS,
                    plan="Rau",
                    amount_requested=rng.randint(4, 30) * 500_000,
                )
                submit_grant(actor, g, on=submitted)
                decided = min(submitted + timedelta(days=rng.randint(1, 25)), D(2025, 6, 29))
                if rng.random() < 0.8:
                    approved = rng.randint(4, 26) * 500_000
                    approve_grant(decider, g, amount=approved, note=None, on=decided)
                    if rng.random() < 0.7:
                        paid = min(decided + timedelta(days=rng.randint(0, 20)), D(2025, 6, 30))
                        record_tranche(
                            decider,
                            g,
                            paid_on=paid,
                            amount=rng.randint(1, approved // 500_000) * 500_000,
                            method=Method.CASH,
                            purchased=None,
                            today=paid,
                        )
                else:
                    reject_grant(decider, g, reason="Chưa đủ", on=decided)
                db.session.flush()
                for action, day in (("submitted", submitted), ("approved", decided)):
                    db.session.execute(
                        update(GrantEvent)
                        .where(GrantEvent.grant_id == g.id, GrantEvent.action == action)
                        .values(at=datetime.combine(day, datetime.min.time(), UTC))
                    )
            if rng.random() < 0.25:
                left = joined + timedelta(days=rng.randint(1, 60))
                if left <= D(2025, 6, 30):
                    member_services.leave_group(actor, member, on=left, reason=None)
        db.session.commit()
    for g in groups:
        for week in rng.sample(range(25), rng.randint(0, 4)):
            make_meeting(g, D(2025, 1, 6) + timedelta(days=7 * week))
    return coordinator


def flat(sections) -> list[tuple[str, str, object]]:
    return [
        (cell, kind, value)
        for _t, tables in sections
        for table in tables
        for cell, _l, kind, value in table
    ]


def read_csv(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    rows = rows[rows.index([]) + 2 :]  # after the notes and the header
    return rows


def number(text: str):
    if text in ("", "[c]"):
        return text or None
    value = float(text)
    return int(value) if value.is_integer() else value


@pytest.mark.parametrize("seed", [21])
def test_no_small_count_can_be_worked_out_from_any_choice_of_filters(
    app, client, make_user, make_group, make_meeting, seed
):
    coordinator = generate(app, make_user, make_group, make_meeting, seed)
    login(client, coordinator)
    client.post("/language", data={"locale": "en"})
    scopes = [s for k in range(1, 5) for s in combinations(PROVINCES, k)]
    releases: list[tuple[frozenset, Period]] = [
        (frozenset(s), p) for s in scopes for p in periods()
    ]
    published: dict[tuple, dict] = {}  # release -> cell -> value as published
    truth: dict[tuple, dict] = {}
    order: dict[tuple, list] = {}  # the cells of a release in the order of the file
    bases: dict[tuple, dict] = {}
    kinds: dict[str, str] = {}
    with app.test_request_context():
        user = db.session.get(User, coordinator.id)
        how = protection()
        from core.clock import today

        for scope, period in releases:
            figures = compute(Scope(user, provinces=tuple(sorted(scope))), period, today())
            cells = flat(donor_sections(figures))
            truth[scope, period] = {cell: value for cell, _k, value in cells}
            order[scope, period] = [cell for cell, _k, _v in cells]
            kinds.update({cell: kind for cell, kind, _v in cells})
            bases[scope, period] = figures["bases"]
    for scope, period in releases:
        args = [
            ("format", "csv"),
            *(("province", c) for c in sorted(scope)),
            *period.query().items(),
        ]
        response = client.get("/progress/donor/export", query_string=args)
        assert response.status_code == 200
        assert b"<5" not in response.data
        rows = read_csv(response.data)
        cells = order[scope, period]
        assert len(rows) == len(cells)
        published[scope, period] = {}
        for cell, row in zip(cells, rows, strict=True):
            # A cell shown twice (members in a group, above and over the breakdowns) is
            # the same count: the same value both times.
            value = published[scope, period].setdefault(cell, number(row[3]))
            assert value == number(row[3]), cell
    # The protected indicator export: one province or all, the same cells by figure key.
    keys = [f.key for s in SECTIONS for f in s.figures]
    for code in (*PROVINCES, None):
        for period in periods():
            args = {"format": "csv", **period.query(), **({"province": code} if code else {})}
            response = client.get("/progress/export", query_string=args)
            assert response.status_code == 200 and b"<5" not in response.data
            rows = read_csv(response.data)
            scope = frozenset((code,) if code else PROVINCES)
            assert len(rows) == len(keys)
            for key, row in zip(keys, rows, strict=True):
                value = number(row[3])
                if kinds[key] == "count":
                    assert value == published[scope, period][key], (key, scope, period)

    recovered, off_grid, small = [], [], 0
    names = list(releases)
    by_period: dict = {}
    by_scope: dict = {}
    for r in names:
        by_period.setdefault(r[1], []).append(r)
        by_scope.setdefault(r[0], []).append(r)
    splits = []  # (a, b, c): b and c disjoint, both inside a
    for a in names:
        same_period = [b for b in by_period[a[1]] if b[0] < a[0]]
        splits += [(a, b, c) for b, c in combinations(same_period, 2) if not b[0] & c[0]]
        same_scope = [
            b
            for b in by_scope[a[0]]
            if b != a and a[1].start <= b[1].start and b[1].end <= a[1].end
        ]
        splits += [
            (a, b, c)
            for b, c in combinations(same_scope, 2)
            if b[1].end < c[1].start or c[1].end < b[1].start
        ]
    count_cells = [c for c, k in kinds.items() if k == "count"]
    for cell in count_cells:
        shown = {r: published[r][cell] for r in names}
        true = {r: truth[r][cell] for r in names}
        if any(v is None for v in true.values()):
            continue
        # The same true value of a cell is always published the same.
        mapping: dict = {}
        for r in names:
            assert mapping.setdefault(true[r], shown[r]) == shown[r], (cell, true[r])
            if shown[r] % how.base or abs(shown[r] - true[r]) >= how.base:
                off_grid.append((cell, r, true[r], shown[r]))
        small += sum(1 <= true[r] <= 4 for r in names)
        # One release, and every sum and difference of two.
        for r in names:
            if 1 <= true[r] <= 4 and shown[r] == true[r]:
                recovered.append((cell, r))
        for a, b in combinations(names, 2):
            for sign in (1, -1):
                t = true[a] + sign * true[b]
                if 1 <= abs(t) <= 4 and shown[a] + sign * shown[b] == t:
                    recovered.append((cell, a, sign, b))
        # A release less two disjoint releases inside it: sub-periods, sub-sets.
        for a, b, c in splits:
            t = true[a] - true[b] - true[c]
            if 1 <= t <= 4 and shown[a] - shown[b] - shown[c] == t:
                recovered.append((cell, a, b, c))
    # A total less the other parts of its table (members by category, sex, age).
    for r in names:
        for prefix in ("category:", "sex:", "age:"):
            parts = [c for c in truth[r] if c.startswith(prefix)]
            for part in parts:
                others = [p for p in parts if p != part]
                t = truth[r]["active_members"] - sum(truth[r][p] for p in others)
                s = published[r]["active_members"] - sum(published[r][p] for p in others)
                if 1 <= t <= 4 and s == t:
                    recovered.append((part, r))
    assert small > 100, "the generated data must have small cells to attack"
    assert recovered == [], f"{len(recovered)} small cells recovered, e.g. {recovered[:3]}"
    assert off_grid == []
    # No amount, share or median over fewer than the threshold of values.
    for r in names:
        for cell, value in published[r].items():
            base = bases[r].get(cell)
            if kinds[cell] == "count" or base is None:
                continue
            fewest = min(base) if isinstance(base, tuple) else base
            if fewest < how.threshold:
                assert value == "[c]", (cell, r, base)
            elif (
                kinds[cell] == "vnd"
                and value not in (None, "[c]")
                and cell
                not in (
                    "income_6",
                    "planned_income_6",
                )
            ):
                assert value % how.amount_base == 0, (cell, value)
