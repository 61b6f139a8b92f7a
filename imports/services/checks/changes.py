"""A register uploaded again: what its rows change in the members already in the app.

A row that names a member already here (by code, else by name and year of birth in the
group) is never added again; the values it gives that differ from the member's are listed
as changes, field by field, before the import, and applied by it unless the person
unticked that field for every row (answers "keep:<field>") or that row for every field
("keeprow:<row number>"). Only a value the row really gives counts:
an empty cell, "không rõ" or a value the check could not read changes nothing.
"""

from sqlalchemy import select

from core.db import db
from groups.models import Member
from imports.services.checks.context import Plan

# The member's fields a register may change, in the order the page lists them.
FIELDS = ("phone", "gender", "birth_year", "category", "village")


def compare(matched: list[Plan]) -> None:
    """Add each matched row's changes (field -> (now, new)) and say so on the row."""
    if not matched:
        return
    stored = {}
    ids = {p.values["member_id"] for p in matched}
    for row in db.session.execute(
        select(Member.id, *(getattr(Member, f) for f in FIELDS)).where(Member.id.in_(ids))
    ):
        stored[row[0]] = dict(zip(FIELDS, row[1:], strict=True))
    for plan in matched:
        now = stored.get(plan.values["member_id"])
        found = {}
        if now is not None:
            troubled = {key for _, key in plan.problems}
            for name in FIELDS:
                new = plan.values.get(name)
                if name not in plan.values["given"] or name in troubled or new is None:
                    continue
                if new != now[name]:
                    found[name] = (now[name], new)
        plan.values["changes"] = found
        plan.add("member_changes" if found else "existing_member")


def row_key(number: int) -> str:
    """The answer that leaves one row's changes out (its box unticked)."""
    return f"keeprow:{number}"


def applied(plan: Plan, answers: dict) -> dict:
    """The changes of a matched row the person kept: none if they unticked the row, else
    every field not unticked."""
    if answers.get(row_key(plan.number)):
        return {}
    return {
        name: values
        for name, values in plan.values.get("changes", {}).items()
        if not answers.get(f"keep:{name}")
    }


def summary(plans: list[Plan], answers: dict, limit: int = 200) -> dict:
    """The rows that will change, each field's count of changes and whether it will be
    applied, and the first `limit` changes to show (row, name, field, now, new)."""
    counts: dict[str, int] = {}
    shown = []
    rows = 0
    for plan in plans:
        if plan.outcome != "matched":
            continue
        rows += bool(applied(plan, answers))
        found = plan.values.get("changes", {})
        row_kept = not answers.get(row_key(plan.number))
        for i, (name, (now, new)) in enumerate(found.items()):
            counts[name] = counts.get(name, 0) + 1
            if len(shown) < limit or (i and shown and shown[-1]["row"] == plan.number):
                shown.append(
                    {
                        "row": plan.number,
                        "name": plan.values.get("full_name"),
                        "field": name,
                        "now": None if now is None else str(now),
                        "new": str(new),
                        # The row's box is on its first change, over its `span` lines.
                        "span": len(found) if i == 0 else 0,
                        "row_apply": row_kept,
                        "apply": row_kept and not answers.get(f"keep:{name}"),
                    }
                )
    return {
        "rows": rows,
        "fields": [
            {"field": name, "rows": counts[name], "apply": not answers.get(f"keep:{name}")}
            for name in FIELDS
            if name in counts
        ],
        "shown": shown,
    }
