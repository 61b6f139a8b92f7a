"""The dry run of an attendance register: each mark's group, meeting and member."""

from collections import defaultdict

from sqlalchemy import select

from core.db import db
from groups.meeting_models import Attendance, AttendanceStatus, Meeting, MeetingKind
from imports import cells
from imports.services import group_names
from imports.services.checks.context import (
    CheckContext,
    Plan,
    folded,
    long_text,
    members_of,
)
from imports.services.vocabulary import KINDS_WORDS, STATUSES_WORDS


def check_attendance(ctx: CheckContext, rows) -> list[Plan]:
    plans, staged = [], []
    for number, row in rows:
        plan = Plan(number)
        plans.append(plan)
        group = ctx.group_for(plan, row.get("group"))
        if group is group_names.NEW:  # groups are made from a members file only
            group = None
            plan.add("group_not_found", "group")
        held_on = cells.day_of(row.get("held_on"))
        if held_on is None:
            plan.add("bad_date" if row.get("held_on") is not None else "missing", "held_on")
        elif ctx.in_window(plan, held_on, "held_on") and group and held_on < group.founded_on:
            plan.add("before_founded", "held_on")
        kind = MeetingKind.REGULAR
        if row.get("kind") is not None:
            kind = cells.choice(row.get("kind"), KINDS_WORDS)
            if kind is None:
                plan.add("bad_kind", "kind")
        status = (
            cells.choice(row.get("status"), STATUSES_WORDS)
            if row.get("status") is not None
            else AttendanceStatus.ABSENT
        )
        if status is None:
            plan.add("bad_status", "status")
        name, code = cells.text(row.get("full_name")), cells.text(row.get("member_code"))
        long_text(plan, row)
        if not name and not code:
            plan.add("missing", "full_name")
        year = (
            cells.birth_year(row.get("birth_year"), ctx.today)
            if row.get("birth_year") is not None
            else None
        )
        plan.values = {
            "group": group,
            "held_on": held_on,
            "kind": kind,
            "status": status,
            "name": name,
            "code": code,
            "year": year,
        }
        staged.append(plan)
    group_ids = {p.values["group"].id for p in staged if p.values["group"]}
    # (group, code) and (group, folded name) -> [(member_id, year, joined, left)], one per
    # membership: a member who left and came back has two stretches.
    by_code, by_name = defaultdict(list), defaultdict(list)
    for group_id, member_id, code, search_name, year, joined_on, left_on in members_of(
        group_ids, current_only=False
    ):
        stretch = (member_id, year, joined_on, left_on)
        by_code[(group_id, code.upper())].append(stretch)
        by_name[(group_id, search_name)].append(stretch)
    meetings = {}
    if group_ids:
        for meeting_id, group_id, held_on, kind in db.session.execute(
            select(Meeting.id, Meeting.group_id, Meeting.held_on, Meeting.kind).where(
                Meeting.group_id.in_(group_ids)
            )
        ):
            meetings[(group_id, held_on, kind)] = meeting_id
    marks = {}
    if meetings:
        for meeting_id, member_id, status in db.session.execute(
            select(Attendance.meeting_id, Attendance.member_id, Attendance.status)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.group_id.in_(group_ids))
        ):
            marks[(meeting_id, member_id)] = status
    seen = {}
    for plan in staged:
        v = plan.values
        if v["group"] is None or (not v["name"] and not v["code"]):
            continue
        group_id = v["group"].id
        if v["code"]:
            found = by_code.get((group_id, v["code"].upper()), [])
        else:
            named = by_name.get((group_id, folded(v["name"])[:120]), [])
            found = [m for m in named if v["year"] is None or m[1] == v["year"]]
        if len({m[0] for m in found}) > 1:
            plan.add("ambiguous_member", "full_name")
            continue
        if not found:
            plan.add("member_not_found", "full_name")
            continue
        member_id = found[0][0]
        v["member_id"] = member_id
        day = v["held_on"]
        if day is None or v["kind"] is None or v["status"] is None:
            continue
        if not any(j <= day and (left is None or day < left) for _, _, j, left in found):
            plan.add("not_member_on_day", "held_on")
            continue
        key = (v["group"].id, day, v["kind"], member_id)
        if key in seen:
            plan.add("duplicate_in_file", "full_name")
            continue
        seen[key] = plan.number
        meeting_id = meetings.get(key[:3])
        v["meeting_id"] = meeting_id
        if meeting_id is not None and (meeting_id, member_id) in marks:
            plan.outcome = "matched"
            if marks[(meeting_id, member_id)] != v["status"]:
                plan.add("attendance_differs")
    return plans
