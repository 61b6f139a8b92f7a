"""The import's writes: the rows a check calls new, written through the groups services,
or for new members a chunk at a time in bulk with the same rules (_write_members). The
job that runs them chunk after chunk is imports.services.import_jobs."""

from datetime import date
from types import SimpleNamespace

from sqlalchemy import insert, update

from accounts.models import User
from core import audit, clock, submissions
from core.dates import check_day
from core.db import db, utcnow
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
from groups.services.members import not_before_founded, update_member
from groups.services.schedule import refresh_meeting_due_by
from imports.columns import Kind
from imports.models import ImportBatch, ImportRow, RowState
from imports.services.checks import changes
from imports.services.checks.context import Plan
from imports.services.group_writes import known_groups, make_groups

# The facilitator and schedule given for a group the import makes, in the batch's
# answers: "setup:<name key>" -> {"facilitator": id, "cadence": "monthly", "weekday": 0}.
SETUP = "setup:"

# Writing ----------------------------------------------------------------------------


def to_write(plan: Plan, answers: dict) -> bool:
    """A row the import writes: a new one, or one already here with changes kept."""
    return plan.outcome == "new" or (
        plan.outcome == "matched" and bool(changes.applied(plan, answers))
    )


def start(actor: User, batch: ImportBatch, good: list[Plan], answers: dict, today: date) -> dict:
    """What the chunks share: the groups a members register makes (made once per batch:
    group_writes keeps them under the batch) and those its rows join, as plain values."""
    state = {"groups": {}, "meetings": {}, "today": today, "answers": answers, "updated": 0}
    if batch.kind == Kind.MEMBERS:
        state["groups"] = make_groups(actor, batch.id, good, answers, today, SETUP)
        state["known_groups"] = known_groups(good)
    return state


def write_chunk(actor: User, batch: ImportBatch, chunk, state: dict) -> None:
    """Write one chunk of rows and mark them imported, in the caller's transaction."""
    if batch.kind == Kind.MEMBERS:  # a chunk in a few statements
        _write_members(actor, chunk, state)
    else:
        write = _write_group if batch.kind == Kind.GROUPS else _write_attendance
        for plan in chunk:
            write(actor, plan, state)
    # The marks this chunk wrote, added to their meetings in the same transaction; the
    # groups whose meetings or founding day it changed, their meeting_due_by.
    add_to_tallies(state.pop("marks", {}))
    refresh_meeting_due_by(state.pop("touched", set()))
    db.session.execute(
        update(ImportRow)
        .where(ImportRow.batch_id == batch.id, ImportRow.number.in_([p.number for p in chunk]))
        .values(state=RowState.IMPORTED)
    )
    db.session.flush()


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
        not_before_founded(group, joined_on, "joined_on")
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
    # The consents the register records: to phone contact (the member form's checkbox)
    # and to keep programme records (its column, or the answer for the whole file).
    consents = [
        {
            "member_id": member_id,
            "purpose": ConsentPurpose.PHONE_CONTACT,
            "given_on": joined_on,
            "recorded_by_id": actor.id,
        }
        for member_id, (plan, _group, joined_on) in zip(member_ids, new, strict=True)
        if plan.values.get("phone") and plan.values.get("phone_consent")
    ] + [
        {
            "member_id": member_id,
            "purpose": ConsentPurpose.PROGRAMME_DATA,
            "given_on": joined_on,
            "recorded_by_id": actor.id,
        }
        for member_id, (plan, _group, joined_on) in zip(member_ids, new, strict=True)
        if plan.values.get("programme_consent")
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
