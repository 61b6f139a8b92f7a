"""The dry run of a groups register."""

from core.text import fold
from imports import cells
from imports.services.checks.context import CheckContext, Plan, long_text, province_of


def check_groups(ctx: CheckContext, rows) -> list[Plan]:
    plans, seen = [], {}
    for number, row in rows:
        plan = Plan(number)
        plans.append(plan)
        name = cells.text(row.get("group_name"))
        long_text(plan, row)
        if not name:
            plan.add("missing", "group_name")
        commune = ctx.place(
            plan, row.get("commune"), row.get("district"), row.get("province"), required=True
        )
        founded_on = cells.day_of(row.get("founded_on"))
        if founded_on is None:
            plan.add("bad_date" if row.get("founded_on") is not None else "missing", "founded_on")
        else:
            ctx.in_window(plan, founded_on, "founded_on")
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
            province = province_of(commune)
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
