"""The groups a members register makes and the groups its rows join, for the import's
writes (imports.services.writes): all the new groups in a few statements before the
first chunk (each kept under the batch: made once whatever happens), and each group's
few values the rows need kept as plain values, so that a chunk's commit (which expires
every loaded object) reloads nothing.

The same rules as groups.services.groups.create_group, which did it group by group (seven
round trips each, a second on PostgreSQL for 40 groups): the province is one the check
found the person covers (out_of_scope rows are never written), the commune is in it by
construction, the facilitator an active facilitator, codes handed out per province
prefix under its lock (next_code), the founding day its earliest member's day, the
kept meeting_due_by worked out by groups.services.schedule, one audit event per group.
"""

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from accounts.models import Role, User
from core import audit, submissions
from core.db import db, utcnow
from core.errors import DomainError
from core.places import Province
from core.text import fold
from groups.models import Cadence, Group, GroupStatus, group_facilitators
from groups.services.codes import next_code
from groups.services.schedule import meeting_due_by
from imports.models import ImportBatchGroup
from imports.services.checks.context import province_of


def known_groups(plans) -> dict[int, SimpleNamespace]:
    """id -> (id, province_code, founded_on) of the groups already in the app that these
    rows join: one query."""
    ids = {p.values["group"].id for p in plans if p.values.get("group") is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Group.id, Group.province_code, Group.founded_on).where(Group.id.in_(ids))
    )
    return {
        r.id: SimpleNamespace(id=r.id, province_code=r.province_code, founded_on=r.founded_on)
        for r in rows
    }


def link_key(key: tuple) -> str:
    """A new group's key in the file (commune, name key) as import_batch_groups keeps it."""
    return f"{key[0]}|{key[1]}"[:200]


def made_before(batch_id: int) -> dict[str, SimpleNamespace]:
    """The groups this batch already made (an earlier run of its import), by link key."""
    rows = db.session.execute(
        select(
            ImportBatchGroup.key,
            Group.id,
            Group.code,
            Group.name,
            Group.province_code,
            Group.founded_on,
            Group.cadence,
        )
        .join(Group, Group.id == ImportBatchGroup.group_id)
        .where(ImportBatchGroup.batch_id == batch_id)
    )
    return {
        r.key: SimpleNamespace(
            id=r.id,
            code=r.code,
            name=r.name,
            province_code=r.province_code,
            founded_on=r.founded_on,
            cadence=r.cadence,
        )
        for r in rows
    }


def make_groups(actor: User, batch_id: int, plans, answers: dict, today, setup_prefix: str) -> dict:
    """Make every group these rows are to create that this batch has not made yet (one
    row of import_batch_groups each, in the same transaction: a run again after a crash
    finds them); (commune, name key) -> its values."""
    wanted: dict[tuple, dict] = {}
    for plan in plans:
        key = plan.values.get("new_group") if plan.outcome == "new" else None
        if key is None:
            continue
        day = plan.values["joined_on"] or today
        if key not in wanted:
            wanted[key] = {"name": plan.values["group_name"], "founded_on": day}
        wanted[key]["founded_on"] = min(wanted[key]["founded_on"], day)
    before = made_before(batch_id)
    made = {key: before[link_key(key)] for key in wanted if link_key(key) in before}
    wanted = {key: spec for key, spec in wanted.items() if key not in made}
    if not wanted:
        return made
    setups = {key: answers.get(f"{setup_prefix}{key[1]}") or {} for key in wanted}
    facilitators = {s["facilitator"] for s in setups.values() if s.get("facilitator")}
    if facilitators:
        found = db.session.scalars(
            select(User.id).where(
                User.id.in_(facilitators), User.role == Role.FACILITATOR, User.active
            )
        ).all()
        if len(found) != len(facilitators):
            raise DomainError(_l("Choose facilitators from the list."))
    abbreviations: dict[int, str] = {}
    last: dict[str, int] = {}
    rows = []
    for (commune, name_key), spec in wanted.items():
        province = province_of(commune)
        if province not in abbreviations:
            abbreviations[province] = db.session.get(Province, province).abbreviation
        prefix = f"{abbreviations[province]}-N"
        if prefix not in last:
            last[prefix] = int(next_code(Group.code, prefix, 3)[len(prefix) :]) - 1
        last[prefix] += 1
        setup = setups[(commune, name_key)]
        cadence = Cadence(setup["cadence"]) if setup.get("cadence") else None
        values = SimpleNamespace(
            status=GroupStatus.ACTIVE,
            cadence=cadence,
            founded_on=spec["founded_on"],
            # Given its schedule now: expected to meet from the import on, not from its
            # founding years ago in the register; without one, not set up yet.
            schedule_from=today if cadence is not None else None,
        )
        rows.append(
            {
                "code": f"{prefix}{last[prefix]:03d}",
                "name": spec["name"],
                "search_name": fold(spec["name"])[:120],
                "province_code": province,
                "commune_code": commune,
                "village": None,
                "founded_on": spec["founded_on"],
                "status": GroupStatus.ACTIVE,
                "closed_on": None,
                "cadence": cadence,
                "meeting_weekday": setup.get("weekday") if cadence is not None else None,
                "schedule_from": values.schedule_from,
                "partner": None,
                "meeting_due_by": meeting_due_by(values, None),
                "created_at": utcnow(),
                "version": 1,
            }
        )
    table = Group.__table__
    ids = dict(db.session.execute(insert(table).returning(table.c.code, table.c.id), rows).all())
    links, events, kept = [], [], []
    for key, row in zip(wanted, rows, strict=True):
        group_id = ids[row["code"]]
        kept.append({"batch_id": batch_id, "key": link_key(key), "group_id": group_id})
        made[key] = SimpleNamespace(
            id=group_id,
            code=row["code"],
            name=row["name"],
            province_code=row["province_code"],
            founded_on=row["founded_on"],
            cadence=row["cadence"],
        )
        if setups[key].get("facilitator"):
            links.append({"group_id": group_id, "user_id": setups[key]["facilitator"]})
        # audit.record(actor, "create", group) for each.
        events.append(
            {
                "at": utcnow(),
                "actor_id": actor.id,
                "action": "create",
                "object_type": "groups",
                "object_id": group_id,
                "group_id": group_id,
                "province_code": row["province_code"],
            }
        )
    db.session.execute(insert(ImportBatchGroup.__table__), kept)
    if links:
        db.session.execute(insert(group_facilitators), links)
    db.session.execute(insert(audit.AuditEvent.__table__), events)
    if submissions.pressed_at() is not None:  # confirmed from a form kept on a phone
        for key in wanted:
            group = made[key]
            submissions.note_created(SimpleNamespace(__tablename__="groups", id=group.id))
    return made
