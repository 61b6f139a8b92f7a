"""The import: the rows a fresh check calls new, written through the groups services, or
for new members a chunk at a time in bulk with the same rules (_write_members)."""

import json
from collections.abc import Iterator
from datetime import date
from itertools import batched
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, update

from accounts.models import User
from core import audit, clock, submissions
from core.dates import check_day
from core.db import db, utcnow
from core.errors import DomainError
from core.places import Province
from core.text import fold, sort_key
from groups.meeting_models import Attendance, Meeting
from groups.models import (
    Consent,
    ConsentPurpose,
    DatePrecision,
    GroupStatus,
    Member,
    Membership,
)
from groups.services.codes import next_code
from groups.services.groups import create_group
from groups.services.meetings import add_to_tallies
from groups.services.members import _not_before_founded, update_member
from groups.services.schedule import refresh_meeting_due_by
from imports.columns import Kind, missing_required
from imports.models import BatchStatus, ImportBatch, ImportRow
from imports.services import stored_plans
from imports.services.batches import find_imported
from imports.services.checks import changes
from imports.services.checks.context import Plan
from imports.services.checks.dry_run import check_rows
from imports.services.group_writes import known_groups, make_groups

CHUNK = 500
# The facilitator and schedule given for a group the import makes, in the batch's
# answers: "setup:<name key>" -> {"facilitator": id, "cadence": "monthly", "weekday": 0}.
SETUP = "setup:"

# Importing --------------------------------------------------------------------------


def import_batch(actor: User, batch: ImportBatch, today: date) -> Iterator[int]:
    """Import the rows the check found good, CHUNK rows per step; the caller commits after
    each step (one transaction per chunk). Yields the rows done so far.

    The first step claims the file (the batch becomes IMPORTED: the same file cannot be
    imported twice); the last deletes the raw rows but those to fix, and says it is done
    (summary "imported"). A failure between steps leaves the rest of the rows to import
    by running it again.
    """
    if batch.status not in (BatchStatus.CHECKED, BatchStatus.IMPORTED):
        raise DomainError(_l("This file can no longer be imported."))
    if batch.status == BatchStatus.IMPORTED and "imported" in batch.summary_dict:
        # Sent twice (a second tap, the Back button): the first import did it all.
        raise DomainError(_l("This file was already imported. Nothing was added again."))
    if missing_required(batch.kind, batch.mapping_dict):
        raise DomainError(_l("Choose a column for every required field first."))
    # The dry run's plans when nothing they were checked against changed; else a new check.
    plans = stored_plans.load(actor, batch, today)
    if plans is None:
        plans, _ctx = check_rows(actor, batch, today)
    batch.plans = None  # names: not kept past the import
    answers = batch.answer_dict
    good = [
        p
        for p in plans
        if p.outcome == "new" or (p.outcome == "matched" and changes.applied(p, answers))
    ]
    if batch.status == BatchStatus.CHECKED:
        if find_imported(batch.kind, batch.file_hash) is not None:
            raise DomainError(_l("This file was already imported. Nothing was added again."))
        batch.status, batch.imported_at = BatchStatus.IMPORTED, utcnow()
        submissions.note_created(batch)  # confirmed from a form the phone kept and sent later
    done = 0
    state = {"groups": {}, "meetings": {}, "today": today, "answers": answers, "updated": 0}
    write = {
        Kind.GROUPS: _write_group,
        Kind.ATTENDANCE: _write_attendance,
    }.get(batch.kind)
    if batch.kind == Kind.MEMBERS:
        # The groups it makes, in a few statements, and those its rows join, as values.
        state["groups"] = make_groups(actor, good, answers, today, SETUP)
        state["known_groups"] = known_groups(good)
    for chunk in batched(good, CHUNK):
        if write is None:  # members: a chunk in a few statements
            _write_members(actor, chunk, state)
        else:
            for plan in chunk:
                write(actor, plan, state)
        # The marks this chunk wrote, added to their meetings in the same transaction; the
        # groups whose meetings or founding day it changed, their meeting_due_by.
        add_to_tallies(state.pop("marks", {}))
        refresh_meeting_due_by(state.pop("touched", set()))
        db.session.execute(
            update(ImportRow)
            .where(ImportRow.batch_id == batch.id, ImportRow.number.in_([p.number for p in chunk]))
            .values(imported=True)
        )
        db.session.flush()
        done += len(chunk)
        yield done
    counts = batch.summary_dict.get("counts", {})
    audit.record(
        actor,
        "import",
        batch,
        detail=f"kind={batch.kind.value};new={done - state['updated']};"
        f"updated={state['updated']};matched={counts.get('matched', 0)};"
        f"errors={sum(1 for p in plans if p.outcome == 'error')}",
    )
    # The rows to fix stay (the purge deletes them RAW_ROWS_DAYS after the import), with
    # what this last check found, so that the file of rows to fix can be downloaded later.
    to_fix = {p.number: p.problems for p in plans if p.outcome == "error"}
    db.session.execute(
        delete(ImportRow).where(
            ImportRow.batch_id == batch.id, ImportRow.number.not_in(list(to_fix) or [-1])
        )
    )
    summary = batch.summary_dict
    summary["rows"] = {str(number): problems for number, problems in to_fix.items()}
    summary["to_fix"] = len(to_fix)
    summary["imported"] = done - state["updated"]
    summary["updated"] = state["updated"]
    summary["created_groups"] = [
        f"{g.code} {g.name}" for g in state["groups"].values() if batch.kind == Kind.MEMBERS
    ]
    summary["not_set_up"] = [
        {"id": g.id, "name": f"{g.code} {g.name}"}
        for g in state["groups"].values()
        if g.cadence is None
    ]
    summary["places"] = []
    batch.summary = json.dumps(summary)
    db.session.flush()
    yield done


def _write_group(actor, plan: Plan, state) -> None:
    v = plan.values
    group = create_group(
        actor,
        name=v["name"],
        province_code=v["province_code"],
        commune_code=v["commune_code"],
        village=v["village"],
        founded_on=v["founded_on"],
        status=GroupStatus.ACTIVE,
        # A groups register gives no schedule: not set up until someone gives it one
        # (never expected to meet, never behind, counted apart).
        cadence=None,
        meeting_weekday=None,
        partner=v["partner"],
    )
    state["groups"][(v["commune_code"], fold(v["name"]))] = group


def _update_member(actor, plan: Plan, state) -> None:
    """Apply a matched row's kept changes through the members service (audited there)."""
    member = db.session.get(Member, plan.values["member_id"])
    new = {name: value for name, (_now, value) in changes.applied(plan, state["answers"]).items()}
    if new:
        update_member(
            actor,
            member,
            version=member.version,
            full_name=member.full_name,
            gender=new.get("gender", member.gender),
            birth_year=new.get("birth_year", member.birth_year),
            phone=new.get("phone", member.phone),
            category=new.get("category", member.category),
            notes=member.notes,
            village=new.get("village", member.village),
        )
    state["updated"] += 1


def _write_members(actor, chunk, state) -> None:
    """A chunk of a members register in a few statements: the members, their memberships
    and one audit event per member, each one INSERT of many rows (issue 23: the service
    create_member, row by row, did about 190 rows/s). The same checks, codes and audit as
    create_member; matched rows still go through update_member."""
    new = []
    for plan in chunk:
        if plan.outcome == "matched":
            _update_member(actor, plan, state)
            continue
        group = _group_for(plan, state)
        v = plan.values
        joined_on = v["joined_on"] or group.founded_on
        check_day(joined_on, clock.today(), "joined_on")
        _not_before_founded(group, joined_on, "joined_on")
        new.append((plan, group, joined_on))
    if not new:
        return
    db.session.flush()  # the members changed above
    abbreviations = state.setdefault("abbreviations", {})
    codes: dict[str, int] = {}  # prefix -> the last number handed out in this chunk
    members = []
    for plan, group, joined_on in new:
        v = plan.values
        if group.province_code not in abbreviations:
            abbreviations[group.province_code] = db.session.get(
                Province, group.province_code
            ).abbreviation
        prefix = f"{abbreviations[group.province_code]}-{joined_on.year}-"
        if prefix not in codes:
            # Takes the prefix's lock on PostgreSQL (next_code) for the transaction.
            codes[prefix] = int(next_code(Member.code, prefix, 4)[len(prefix) :]) - 1
        codes[prefix] += 1
        members.append(
            {
                "code": f"{prefix}{codes[prefix]:04d}",
                "full_name": v["full_name"],
                "search_name": fold(v["full_name"])[:120],
                "sort_key": sort_key(v["full_name"]),
                "gender": v["gender"],
                "birth_year": v["birth_year"],
                "phone": v["phone"],
                "village": v["village"],
                "category": v["category"],
                "notes": None,
                "created_by_id": actor.id,
            }
        )
    table = Member.__table__
    ids = dict(db.session.execute(insert(table).returning(table.c.code, table.c.id), members).all())
    member_ids = [ids[m["code"]] for m in members]
    db.session.execute(
        insert(Membership.__table__),
        [
            {
                "member_id": member_id,
                "group_id": group.id,
                "role": plan.values["role"],
                "joined_on": joined_on,
                "joined_precision": DatePrecision(plan.values["joined_precision"])
                if plan.values["joined_on"] is not None
                and plan.values["joined_precision"] is not None
                else None,
                "recorded_by_id": actor.id,
            }
            for member_id, (plan, group, joined_on) in zip(member_ids, new, strict=True)
        ],
    )
    # The consent to phone contact the register records (the member form's checkbox).
    consents = [
        {
            "member_id": member_id,
            "purpose": ConsentPurpose.PHONE_CONTACT,
            "given_on": joined_on,
            "recorded_by_id": actor.id,
        }
        for member_id, (plan, _group, joined_on) in zip(member_ids, new, strict=True)
        if plan.values.get("phone") and plan.values.get("phone_consent")
    ]
    if consents:
        db.session.execute(insert(Consent.__table__), consents)
    # audit.record(actor, "create", member) for each: the member's home group is the one
    # it joined, the province that group's.
    db.session.execute(
        insert(audit.AuditEvent.__table__),
        [
            {
                "at": utcnow(),
                "actor_id": actor.id,
                "action": "create",
                "object_type": "members",
                "object_id": member_id,
                "member_id": member_id,
                "group_id": group.id,
                "province_code": group.province_code,
            }
            for member_id, (_plan, group, _joined_on) in zip(member_ids, new, strict=True)
        ],
    )
    if submissions.pressed_at() is not None:  # confirmed from a form kept on a phone
        for member_id in member_ids:
            submissions.note_created(SimpleNamespace(__tablename__="members", id=member_id))


def _group_for(plan: Plan, state):
    """The row's group: one already in the app, or the one this file made (group_writes),
    as plain values."""
    v = plan.values
    if v["group"] is not None:
        return state["known_groups"][v["group"].id]
    return state["groups"][v["new_group"]]


def _write_attendance(actor, plan: Plan, state) -> None:
    v, meetings = plan.values, state["meetings"]
    key = (v["group"].id, v["held_on"], v["kind"])
    meeting_id = v.get("meeting_id")
    if meeting_id is None:
        meeting = meetings.get(key)
        if meeting is None:  # the first row of a meeting not yet in the app
            meeting = Meeting(
                group_id=v["group"].id,
                held_on=v["held_on"],
                kind=v["kind"],
                recorded_by_id=actor.id,
            )
            db.session.add(meeting)
            db.session.flush()
            audit.record(actor, "create", meeting, detail="import")
            meetings[key] = meeting
            state.setdefault("touched", set()).add(meeting.group_id)
        meeting_id = meeting.id
    elif key not in meetings:
        meetings[key] = meeting_id
        audit.record(
            actor,
            "update",
            object_type="meetings",
            object_id=meeting_id,
            group_id=v["group"].id,
            detail="import",
        )
    db.session.execute(
        insert(Attendance),
        [{"meeting_id": meeting_id, "member_id": v["member_id"], "status": v["status"]}],
    )
    state.setdefault("marks", {}).setdefault(meeting_id, []).append(v["status"])
