"""The dry run: every row checked against the database, nothing written but the summary."""

import json
from collections import defaultdict
from datetime import date

from accounts.models import User
from core.db import db
from imports.columns import Kind, missing_required
from imports.models import ImportBatch
from imports.services import consent_values, sheets, stored_plans
from imports.services.checks import changes
from imports.services.checks.attendance import check_attendance
from imports.services.checks.context import CheckContext, Plan, row_values
from imports.services.checks.groups import check_groups
from imports.services.checks.members import check_members
from imports.services.vocabulary import (
    ERROR,
    PROBLEMS,
    WARNING,
)


def check_rows(actor: User, batch: ImportBatch, today: date) -> tuple[list[Plan], CheckContext]:
    """The plan of every row not yet imported, checked against the database now."""
    ctx = CheckContext(actor, batch, today)
    mapping = batch.mapping_dict
    parsed = [
        (number, row_values(mapping, row))
        for number, row in sheets.data_rows(batch, pending_only=True)
    ]
    check = {
        Kind.GROUPS: check_groups,
        Kind.MEMBERS: check_members,
        Kind.ATTENDANCE: check_attendance,
    }[batch.kind]
    plans = check(ctx, parsed)
    for plan in plans:
        if plan.has_errors:
            plan.outcome = "error"
    return plans, ctx


def summarise(plans: list[Plan], ctx: CheckContext) -> dict:
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
        "consent_words": list(ctx.consent_words.values()),
        "asks_consent": consent_values.asks(ctx.batch),
        # New members whose consent to keep programme records will not be recorded.
        "consent_unrecorded": sum(
            1 for p in plans if p.outcome == "new" and not p.values.get("programme_consent")
        ),
        "changes": changes.summary(plans, ctx.answers),
        # New members whose phone will be kept hidden: no consent to be called.
        "phones_hidden": sum(
            1
            for p in plans
            if p.outcome == "new" and p.values.get("phone") and not p.values.get("phone_consent")
        ),
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
    stored_plans.keep(actor, batch, today, plans if not missing else [])
    db.session.flush()
    return summary
