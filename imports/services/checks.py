"""The dry run: every row checked against the database, nothing written but the summary."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from core.places import Commune
from core.text import fold
from groups.models import (
    GroupStatus,
    Member,
    Membership,
)
from imports import cells
from imports.columns import Kind, header_key, missing_required
from imports.models import ImportBatch
from imports.places_legacy import Outcome, Reason, new_provinces_of, resolve_old_address
from imports.services import group_names, member_values, sheets
from imports.services.vocabulary import (
    ERROR,
    PROBLEMS,
    WARNING,
)

_folded = lru_cache(maxsize=8192)(fold)  # group names repeat on every row
MAX_DAYS_AHEAD = 7

# Checking ---------------------------------------------------------------------------


@dataclass
class Plan:
    """What a row would do: its outcome, problems and the values to write."""

    number: int
    problems: list[tuple[str, str | None]] = field(default_factory=list)  # (code, field)
    values: dict = field(default_factory=dict)
    outcome: str = "new"  # new, matched or error

    def add(self, code: str, key: str | None = None) -> None:
        self.problems.append((code, key))

    @property
    def has_errors(self) -> bool:
        return any(PROBLEMS[code][0] == ERROR for code, _ in self.problems)


@dataclass
class _GroupInfo:
    id: int
    code: str
    search_name: str
    province_code: int
    commune_code: int
    founded_on: date
    status: GroupStatus
    name: str


class _Context:
    """What a check needs from the database, loaded in a few queries per batch."""

    def __init__(self, actor: User, batch: ImportBatch, today: date):
        self.actor, self.batch, self.today = actor, batch, today
        self.answers = batch.answer_dict
        self.places: dict[str, dict] = {}  # asked places by key
        self.words: dict[str, dict] = {}  # category words asked, by key
        self.resolved: dict[tuple, tuple] = {}
        self.groups = [_GroupInfo(*row) for row in group_names.scope(actor)]
        self.by_code = {g.code.upper(): g for g in self.groups}
        self.by_name: dict[str, list[_GroupInfo]] = defaultdict(list)
        for g in self.groups:
            self.by_name[g.search_name].append(g)
        self.names = group_names.GroupNames(self.groups, self.answers)

    def covers(self, province_code: int) -> bool:
        return self.actor.role in (Role.ADMIN, Role.COORDINATOR) and self.actor.covers_province(
            province_code
        )

    def place(self, plan: Plan, commune, district, province, *, required: bool) -> int | None:
        """Today's commune code of an old (or new) address; asks once per distinct address."""
        commune, district, province = (
            cells.text(commune),
            cells.text(district),
            cells.text(province),
        )
        if not commune and not province:
            if required:
                plan.add("missing", "commune")
            return None
        if not commune:
            plan.add("missing", "commune")
            return None
        if not province:
            plan.add("missing", "province")
            return None
        key = self._place_key(province, district, commune)
        if key in self.answers:
            return self.answers[key]
        found = self.resolved.get(key)
        if found is None:
            resolution = resolve_old_address(commune, district, province)
            found = (resolution, (commune, district, province))
            self.resolved[key] = found
        resolution, written = found
        if resolution.outcome == Outcome.RESOLVED:
            return resolution.communes[0]
        if resolution.outcome == Outcome.UNKNOWN and resolution.reason == Reason.PROVINCE:
            plan.add("unknown_province", "province")
            return None
        code = {Outcome.SPLIT: "split_commune", Outcome.BOTH: "both_commune"}.get(
            resolution.outcome, "unknown_commune"
        )
        plan.add(code, "commune")
        if key not in self.places:
            self.places[key] = {
                "key": key,
                "written": list(written),
                "outcome": code,
                "choices": list(resolution.communes)
                if resolution.outcome in (Outcome.SPLIT, Outcome.BOTH)
                else self._communes_of(province),
                "rows": 0,
            }
        self.places[key]["rows"] += 1
        return None

    @staticmethod
    @lru_cache(maxsize=1024)
    def _place_key(province: str, district: str | None, commune: str) -> str:
        return "|".join(header_key(x or "") for x in (province, district, commune))

    def _communes_of(self, province: str) -> list[int]:
        provinces = new_provinces_of(province)
        return list(
            db.session.scalars(
                select(Commune.code).where(Commune.province_code.in_(provinces or {-1}))
            )
        )

    def group_for(self, plan: Plan, written):
        """The actor's group a row names (imports.services.group_names), NEW for a group
        the person confirmed to create, or None with the problem added."""
        value = cells.text(written)
        if not value:
            plan.add("missing", "group")
            return None
        return self.names.find(plan, value)


# The longest text each field keeps (the columns of groups and members).
LIMITS = {"group_name": 120, "group": 120, "full_name": 120, "village": 120, "partner": 160}


def _long_text(plan: "Plan", row: dict) -> None:
    """A cell longer than its column holds is an error (never cut, never a database error)."""
    for key, limit in LIMITS.items():
        value = cells.text(row.get(key))
        if value is not None and len(value) > limit:
            plan.add("too_long", key)


def _row_values(mapping: dict[str, int], cells_list) -> dict:
    return {key: cells_list[i] if i < len(cells_list) else None for key, i in mapping.items()}


def check_rows(actor: User, batch: ImportBatch, today: date) -> tuple[list[Plan], _Context]:
    """The plan of every row not yet imported, checked against the database now."""
    ctx = _Context(actor, batch, today)
    mapping = batch.mapping_dict
    parsed = [
        (number, _row_values(mapping, row))
        for number, row in sheets.data_rows(batch, pending_only=True)
    ]
    from imports.services.check_attendance import check_attendance

    check = {
        Kind.GROUPS: _check_groups,
        Kind.MEMBERS: _check_members,
        Kind.ATTENDANCE: check_attendance,
    }[batch.kind]
    plans = check(ctx, parsed)
    for plan in plans:
        if plan.has_errors:
            plan.outcome = "error"
    return plans, ctx


def _check_groups(ctx: _Context, rows) -> list[Plan]:
    plans, seen = [], {}
    for number, row in rows:
        plan = Plan(number)
        plans.append(plan)
        name = cells.text(row.get("group_name"))
        _long_text(plan, row)
        if not name:
            plan.add("missing", "group_name")
        commune = ctx.place(
            plan, row.get("commune"), row.get("district"), row.get("province"), required=True
        )
        founded_on = cells.day_of(row.get("founded_on"))
        if founded_on is None:
            plan.add("bad_date" if row.get("founded_on") is not None else "missing", "founded_on")
        elif founded_on > ctx.today:
            plan.add("future_date", "founded_on")
        code = cells.text(row.get("group_code"))
        existing = ctx.by_code.get(code.upper()) if code else None
        if existing is None and name and commune is not None:
            existing = next(
                (g for g in ctx.by_name.get(fold(name)[:120], []) if g.commune_code == commune),
                None,
            )
        if existing is not None:
            plan.outcome = "matched"
            plan.add("existing_group")
            continue
        if commune is not None:
            province = _province_of(commune)
            if not ctx.covers(province):
                plan.add("out_of_scope", "province")
            key = (commune, fold(name or ""))
            if key in seen:
                plan.add("duplicate_in_file", "group_name")
            seen[key] = number
            plan.values = {
                "name": name,
                "province_code": province,
                "commune_code": commune,
                "village": cells.text(row.get("village")),
                "founded_on": founded_on,
                "partner": cells.text(row.get("partner")),
            }
    return plans


_PROVINCE_OF: dict[int, int] = {}


def _province_of(commune_code: int) -> int:
    if not _PROVINCE_OF:
        _PROVINCE_OF.update(db.session.execute(select(Commune.code, Commune.province_code)).all())
    return _PROVINCE_OF.get(commune_code, -1)


def _members_of(group_ids, *, current_only: bool):
    """(group_id, member_id, code, search_name, birth_year, joined_on, left_on) rows."""
    if not group_ids:
        return []
    stmt = (
        select(
            Membership.group_id,
            Member.id,
            Member.code,
            Member.search_name,
            Member.birth_year,
            Membership.joined_on,
            Membership.left_on,
        )
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.group_id.in_(group_ids), Member.anonymised_on.is_(None))
    )
    if current_only:
        stmt = stmt.where(Membership.left_on.is_(None))
    return db.session.execute(stmt).all()


def _check_members(ctx: _Context, rows) -> list[Plan]:
    plans: list[Plan] = []
    staged = []
    homes: dict[str, list] = {}  # a group to create -> its members' communes
    for number, row in rows:
        plan = Plan(number)
        plans.append(plan)
        name = cells.text(row.get("full_name"))
        _long_text(plan, row)
        if not name:
            plan.add("missing", "full_name")
        read = member_values.read(plan, row, ctx.today, ctx.answers, ctx.words)
        joined_on, precision = member_values.joined(plan, row.get("joined_on"), ctx.today)
        has_place = any(row.get(k) is not None for k in ("commune", "province"))
        commune = (
            ctx.place(
                plan, row.get("commune"), row.get("district"), row.get("province"), required=False
            )
            if has_place
            else None
        )
        group = ctx.group_for(plan, row.get("group"))
        new_group = None
        group_name = cells.text(row.get("group"))
        if group is group_names.NEW:
            group, new_group = None, group_names.name_key(group_name)
            homes.setdefault(new_group, []).append(commune)
        if group is not None:
            joined_on = member_values.within_group(plan, joined_on, precision, group.founded_on)
        plan.values = {
            "full_name": name,
            **read,
            "joined_on": joined_on,
            "group": group,
            "new_group": new_group,
            "group_name": group_name,
            "code": cells.text(row.get("member_code")),
        }
        staged.append(plan)
    _plan_new_groups(ctx, staged, homes)
    group_ids = {p.values["group"].id for p in staged if p.values.get("group")}
    existing = defaultdict(list)
    by_code = {}
    for group_id, member_id, code, search_name, birth_year, _joined, _left in _members_of(
        group_ids, current_only=True
    ):
        existing[(group_id, search_name)].append((member_id, birth_year))
        by_code[code.upper()] = (group_id, member_id)
    seen: dict[tuple, int] = {}
    seen_years: dict[tuple, list] = {}
    for plan in staged:
        v = plan.values
        if not v["full_name"] or (v["group"] is None and v["new_group"] is None):
            continue
        group_key = v["group"].id if v["group"] else v["new_group"]
        if v["code"]:
            if v["code"].upper() in by_code and by_code[v["code"].upper()][0] == group_key:
                plan.outcome = "matched"
                plan.problems.append(("existing_member", None))
                continue
            plan.add("unknown_code", "member_code")
        key = (group_key, fold(v["full_name"])[:120], v["birth_year"])
        if isinstance(group_key, int) and _already_here(
            existing.get((group_key, key[1]), []), v["birth_year"]
        ):
            plan.outcome = "matched"
            plan.add("existing_member")
            continue
        years = seen_years.setdefault(key[:2], [])
        if key in seen or (years and (v["birth_year"] is None or None in years)):
            plan.add("duplicate_in_file", "full_name")  # the same row, with or without its year
            continue
        seen[key] = plan.number
        years.append(v["birth_year"])
    return plans


def _already_here(named: list[tuple[int, int | None]], year: int | None) -> bool:
    """The same person is in the group: same name (folded) and year of birth, or the one
    member of that name when either year is not known (a row without its year)."""
    if any(known == year for _, known in named):
        return True
    return len(named) == 1 and (year is None or named[0][1] is None)


def _plan_new_groups(ctx: _Context, staged: list[Plan], homes: dict[str, list]) -> None:
    """Each group the person confirmed to create: in its members' most common commune,
    named as the register writes it most often; its rows say it will be created."""
    where = {}
    for key, communes in homes.items():
        commune = group_names.home_commune(communes)
        entry = ctx.names.new[key]
        entry["commune"] = commune
        where[key] = commune
    for plan in staged:
        key = plan.values.get("new_group")
        if key is None:
            continue
        commune = where[key]
        plan.values["group_name"] = ctx.names.new[key]["names"].most_common(1)[0][0]
        if commune is None:
            plan.add("group_needs_place", "group")
        elif not ctx.covers(_province_of(commune)):
            plan.add("out_of_scope", "group")
        elif not plan.has_errors:
            plan.add("new_group", "group")
        plan.values["new_group"] = (commune, key) if commune is not None else None


def summarise(plans: list[Plan], ctx: _Context) -> dict:
    counts = {"new": 0, "matched": 0, "warnings": 0, "errors": 0}
    grouped: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for plan in plans:
        if plan.outcome == "error":
            counts["errors"] += 1
        else:
            counts[plan.outcome] += 1
        if any(PROBLEMS[c][0] == WARNING for c, _ in plan.problems):
            counts["warnings"] += 1
        for code, key in dict.fromkeys(plan.problems):
            grouped[(code, key)].append(plan.number)
    problems = [
        {"code": code, "field": key, "level": PROBLEMS[code][0], "rows": numbers}
        for (code, key), numbers in sorted(
            grouped.items(), key=lambda item: (PROBLEMS[item[0][0]][0] != ERROR, item[1][0])
        )
    ]
    return {
        "counts": counts,
        "problems": problems,
        "places": list(ctx.places.values()),
        "groups": ctx.names.summary(),
        "words": list(ctx.words.values()),
    }


def check_batch(actor: User, batch: ImportBatch, today: date) -> dict:
    """Check every row (the dry run) and keep the summary, with each row's problems."""
    plans, ctx = check_rows(actor, batch, today)
    missing = missing_required(batch.kind, batch.mapping_dict)
    summary = summarise(plans, ctx)
    summary["missing_columns"] = [f.key for f in missing]
    if missing:
        summary["counts"] = {"new": 0, "matched": 0, "warnings": 0, "errors": len(plans)}
    summary["rows"] = {str(p.number): p.problems for p in plans if p.problems}
    batch.summary = json.dumps(summary)
    db.session.flush()
    return summary
