"""The dry run of a members register."""

from collections import defaultdict

from core.text import fold
from imports import cells
from imports.services import consent_values, group_names, member_values
from imports.services.checks import changes
from imports.services.checks.context import (
    CheckContext,
    Plan,
    long_text,
    members_of,
    province_of,
)


def check_members(ctx: CheckContext, rows) -> list[Plan]:
    plans: list[Plan] = []
    staged = []
    homes: dict[str, list] = {}  # a group to create -> its members' communes
    for number, row in rows:
        plan = Plan(number)
        plans.append(plan)
        name = cells.text(row.get("full_name"))
        long_text(plan, row)
        if not name:
            plan.add("missing", "full_name")
        read = member_values.read(plan, row, ctx.today, ctx.answers, ctx.words)
        read["programme_consent"] = consent_values.programme(
            plan, row, ctx.answers, ctx.consent_words
        )
        joined_on, precision = member_values.joined(plan, row.get("joined_on"), ctx.in_window)
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
            "joined_precision": precision if joined_on is not None else None,
            "village": member_values.village(plan, row),
            "group": group,
            "new_group": new_group,
            "group_name": group_name,
            "code": cells.text(row.get("member_code")),
            "given": {key for key, value in row.items() if value is not None},
        }
        staged.append(plan)
    _plan_new_groups(ctx, staged, homes)
    group_ids = {p.values["group"].id for p in staged if p.values.get("group")}
    existing = defaultdict(list)
    by_code = {}
    for group_id, member_id, code, search_name, birth_year, _joined, _left in members_of(
        group_ids, current_only=True
    ):
        existing[(group_id, search_name)].append((member_id, birth_year))
        by_code[code.upper()] = (group_id, member_id)
    seen: dict[tuple, int] = {}
    seen_years: dict[tuple, list] = {}
    matched: list[Plan] = []
    for plan in staged:
        v = plan.values
        if not v["full_name"] or (v["group"] is None and v["new_group"] is None):
            continue
        group_key = v["group"].id if v["group"] else v["new_group"]
        if v["code"]:
            if v["code"].upper() in by_code and by_code[v["code"].upper()][0] == group_key:
                plan.outcome, v["member_id"] = "matched", by_code[v["code"].upper()][1]
                matched.append(plan)
                continue
            plan.add("unknown_code", "member_code")
        key = (group_key, fold(v["full_name"])[:120], v["birth_year"])
        found = (
            _already_here(existing.get((group_key, key[1]), []), v["birth_year"])
            if isinstance(group_key, int)
            else None
        )
        if found is not None:
            plan.outcome, v["member_id"] = "matched", found
            matched.append(plan)
            continue
        years = seen_years.setdefault(key[:2], [])
        if key in seen or (years and (v["birth_year"] is None or None in years)):
            plan.add("duplicate_in_file", "full_name")  # the same row, with or without its year
            continue
        seen[key] = plan.number
        years.append(v["birth_year"])
    changes.compare(matched)
    return plans


def _already_here(named: list[tuple[int, int | None]], year: int | None) -> int | None:
    """The member already in the group this row names: same name (folded) and year of
    birth, or the one member of that name when either year is not known."""
    for member_id, known in named:
        if known == year:
            return member_id
    if len(named) == 1 and (year is None or named[0][1] is None):
        return named[0][0]
    return None


def _plan_new_groups(ctx: CheckContext, staged: list[Plan], homes: dict[str, list]) -> None:
    """Each group the person confirmed to create: in its members' most common commune,
    named as the register writes it most often; its rows say it will be created."""
    where = {}
    for key, communes in homes.items():
        commune = group_names.home_commune(communes, ctx.answers.get(f"home:{key}"))
        entry = ctx.names.new[key]
        entry["commune"] = commune
        entry["communes"] = group_names.member_communes(communes)
        where[key] = commune
    for plan in staged:
        key = plan.values.get("new_group")
        if key is None:
            continue
        commune = where[key]
        plan.values["group_name"] = ctx.names.new[key]["names"].most_common(1)[0][0]
        if commune is None:
            plan.add("group_needs_place", "group")
        elif not ctx.covers(province_of(commune)):
            plan.add("out_of_scope", "group")
        elif not plan.has_errors:
            plan.add("new_group", "group")
        plan.values["new_group"] = (commune, key) if commune is not None else None
