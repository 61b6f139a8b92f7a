"""The dry run's plans kept for the import (issue 23: confirm ≥ 2,000 rows a second).

The import used to check every row again before writing: a third of its time for a
members register. The check now keeps its plans with the batch (`import_batches.plans`)
under a key of everything it read: the file's rows as chosen (mapping, layout), the
answers given, the day, who checks and their scope, and a mark of what the database held
for it (the groups in the person's scope; the memberships and members of the groups the
rows name: counts, greatest ids, versions). On confirming, the same key means the same
plans, written without checking again; any other key (someone added a member to one of
those groups, renamed a group, another day…) and the import checks again, as before.

The confirmed import keeps them (frozen) until its job has written every row, so that
a run after a crash goes on from the same plans. Members registers only (the others are
small or written row by row, checked again by each run for the rows still pending). The
plans hold names: personal data like the raw rows, cleared when the batch is imported, discarded
or expires.
"""

import hashlib
import json
from datetime import date
from types import SimpleNamespace

from sqlalchemy import case, func, select

from accounts.models import User
from core.db import db
from groups.models import Gender, Group, GroupRole, Member, MemberCategory, Membership
from groups.services.groups import visible_groups
from imports.columns import Kind
from imports.models import BatchStatus, ImportBatch
from imports.services.checks.context import Plan

# The answers the check does not read (the new groups' set-up, kept on confirming).
_NOT_CHECKED = ("setup:",)
_ENUMS = {"gender": Gender, "category": MemberCategory, "role": GroupRole}
_KEPT = (
    "full_name",
    "birth_year",
    "phone",
    "phone_consent",
    "programme_consent",
    "gender",
    "category",
    "role",
    "village",
    "joined_precision",
    "group_name",
    "member_id",
)


def _typed(name: str, pair) -> tuple:
    """A change (now, new) with the enum values of the field made enums again."""
    enum = _ENUMS.get(name)
    return tuple(enum(x) if enum is not None and x is not None else x for x in pair)


def _database_mark(actor: User, group_ids: list[int]) -> list:
    """What the check read from the database, in two aggregates."""
    groups = db.session.execute(
        visible_groups(actor).with_only_columns(
            func.count(Group.id), func.max(Group.id), func.sum(Group.version)
        )
    ).one()
    members = (
        db.session.execute(
            select(
                func.count(Membership.id),
                func.max(Membership.id),
                func.sum(case((Membership.left_on.is_(None), 1), else_=0)),
                func.sum(Member.version),
            )
            .join(Member, Member.id == Membership.member_id)
            .where(Membership.group_id.in_(group_ids))
        ).one()
        if group_ids
        else ()
    )
    return [[int(v or 0) for v in groups], [int(v or 0) for v in members]]


def _key(actor: User, batch: ImportBatch, today: date, group_ids: list[int]) -> str:
    answers = {k: v for k, v in batch.answer_dict.items() if not k.startswith(_NOT_CHECKED)}
    parts = [
        batch.id,
        batch.mapping_dict,
        answers,
        batch.layout_dict,
        batch.row_count,
        today.isoformat(),
        actor.id,
        str(actor.role),
        sorted(getattr(actor, "province_codes", None) or ()),
        _database_mark(actor, group_ids),
    ]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def keep(actor: User, batch: ImportBatch, today: date, plans: list[Plan]) -> None:
    """Keep a members register's plans with the batch, under the key of what they read."""
    if batch.kind != Kind.MEMBERS:
        batch.plans = None
        return
    group_ids = sorted({p.values["group"].id for p in plans if p.values.get("group") is not None})
    out = []
    for plan in plans:
        row = {"n": plan.number, "o": plan.outcome, "p": plan.problems}
        if plan.outcome != "error":
            v = plan.values
            row["v"] = {name: v.get(name) for name in _KEPT}
            row["v"]["joined_on"] = v["joined_on"].isoformat() if v.get("joined_on") else None
            row["v"]["group"] = v["group"].id if v.get("group") is not None else None
            row["v"]["new_group"] = v.get("new_group")
            row["v"]["changes"] = v.get("changes", {})
        out.append(row)
    batch.plans = json.dumps(
        {"key": _key(actor, batch, today, group_ids), "groups": group_ids, "plans": out},
        ensure_ascii=False,
    )


def load(actor: User, batch: ImportBatch, today: date) -> list[Plan] | None:
    """The plans the last check kept, if nothing they were checked against changed."""
    if batch.plans is None or batch.status != BatchStatus.CHECKED:
        return None
    kept = json.loads(batch.plans)
    if kept["key"] != _key(actor, batch, today, kept["groups"]):
        return None
    return _plans(kept)


def frozen(batch: ImportBatch) -> list[Plan] | None:
    """The plans the confirmed import writes, kept when it was confirmed: a run again
    after a crash writes the rows still pending from the same plans, whatever the rows
    written meanwhile changed in the database."""
    if batch.plans is None:
        return None
    return _plans(json.loads(batch.plans))


def _plans(kept: dict) -> list[Plan]:
    plans = []
    for row in kept["plans"]:
        plan = Plan(row["n"], [tuple(p) for p in row["p"]], {}, row["o"])
        if "v" in row:
            v = dict(row["v"])
            for name, enum in _ENUMS.items():
                if v.get(name) is not None:
                    v[name] = enum(v[name])
            v["joined_on"] = date.fromisoformat(v["joined_on"]) if v["joined_on"] else None
            v["group"] = SimpleNamespace(id=v["group"]) if v["group"] is not None else None
            v["new_group"] = tuple(v["new_group"]) if v["new_group"] else None
            v["changes"] = {
                name: tuple(
                    _ENUMS[name](x) if name in _ENUMS and x is not None else x for x in pair
                )
                for name, pair in v["changes"].items()
            }
            plan.values = v
        plans.append(plan)
    return plans
