"""Folding marked (group, month) keys into the facts, and rebuilding them all.

A write to `meetings` marks its (group, month) in `fact_dirty` in its own transaction
(triggers, migration 0033); a write to a grant, its steps or payments, or a member's home
group marks every (home group, month) of the grants it touches (migration 0037), and a
write to a follow-up, a visit, a grant's planned income or a member's home group every
(home group, month) its visits were due or made in (migration 0043), and a write to a
referral or a screening its (home group, month) (migration 0044). The figures read a
marked key from the live tables and an unmarked one from the facts (reports.indicators.
groups, grant_facts, outcome_facts and support), so they are exact whether or not the
keys have been folded in: folding only makes them cheaper to read. A fold makes every
table of facts of the keys it claims again, meetings, grants, visits and referrals alike,
and then folds the groups marked for the member facts (reports.facts.members, migration
0042), in the same transaction under the same lock.

A fold is one transaction: it claims the marked keys (deletes them), replaces their facts
by what the meetings say now, and commits; killed anywhere before the commit it leaves
nothing behind, and the keys are still marked. Folds never run side by side (an advisory
lock on PostgreSQL; BEGIN IMMEDIATE on SQLite), and a fact is computed whole, never
added to, so two folds, or a fold and a rebuild, cannot count anything twice. On
PostgreSQL a write that marks a key already marked updates that row, so a fold deleting
it waits for the write to commit and then reads its meeting; a write that comes after the
claim marks the key again, for the next fold.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, text, union

from core.db import db, dialect_insert, utcnow
from groups.meeting_models import Meeting
from groups.models import Member
from livelihoods.models import FollowUp, Grant, GrantEvent, Tranche, Visit
from reports.facts import members
from reports.facts.build import group_month_rows
from reports.facts.grants import (
    MONTH_COLUMNS,
    grant_days_select,
    grant_month_select,
    keys_where,
)
from reports.facts.models import (
    DirtyKey,
    FactState,
    GrantDays,
    GrantMonth,
    GroupMonth,
    OutcomeMonth,
    OutcomeValues,
    ReferralMonth,
    ScreeningMonth,
)
from reports.facts.outcomes import MONTH_COLUMNS as OUTCOME_COLUMNS
from reports.facts.outcomes import outcome_month_select, outcome_values_select
from reports.facts.support import (
    REFERRAL_COLUMNS,
    SCREENING_COLUMNS,
    referral_month_select,
    screening_month_select,
)
from reports.sql import in_keys, month_start
from support.models.referrals import Referral
from support.models.screening import Screening

NAME = "group_months"
BATCH = 2000
FOLD_LOCK = 2404  # advisory lock keys (PostgreSQL), arbitrary but fixed
REBUILD_LOCK = 2405


class RebuildRunning(RuntimeError):
    """Another process is rebuilding the facts."""


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def fold(limit: int | None = None) -> int:
    """Fold marked keys (at most `limit`) into the facts, in the current transaction;
    the caller commits. Returns how many keys it folded."""
    if _postgresql():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK})
    started = utcnow()
    waiting = db.session.scalar(select(func.count()).select_from(DirtyKey))
    # SKIP LOCKED: a key a write holds (marked, not yet committed) is left for the next
    # fold, so a fold never waits for a writer and a writer never deadlocks with a fold.
    stmt = (
        select(DirtyKey.group_id, DirtyKey.month)
        .order_by(DirtyKey.group_id, DirtyKey.month)
        .with_for_update(skip_locked=True)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    keys = [tuple(k) for k in db.session.execute(stmt)]
    if keys:
        # Claimed before the meetings are read: a write committing after this waits (it
        # updates or inserts a row this transaction deleted) and marks its key again.
        claimed = in_keys(DirtyKey.group_id, DirtyKey.month, keys)
        db.session.execute(delete(DirtyKey).where(claimed))
        facts = in_keys(GroupMonth.group_id, GroupMonth.month, keys)
        db.session.execute(delete(GroupMonth).where(facts))
        rows = group_month_rows(keys)
        if rows:
            db.session.execute(
                insert(GroupMonth),
                [
                    dict(
                        zip(
                            ("group_id", "month", "held", "on_time", "present", "marks"),
                            r,
                            strict=True,
                        )
                    )
                    for r in rows
                ],
            )
        _fold_grants(keys)
        _fold_support(keys)
    _groups, left_waiting = members.fold(limit)
    # None skipped or left: every write committed before it is in.
    if len(keys) >= waiting and not left_waiting:
        _set_state(as_of=started)
    return len(keys)


def _fold_grants(keys: list[tuple]) -> None:
    """Replace the grant and visit facts of the claimed keys by what the grants, the
    follow-ups and their visits say now."""
    where = keys_where(keys)
    for model, columns, rows in (
        (GrantMonth, MONTH_COLUMNS, grant_month_select(where)),
        (GrantDays, ("measure", "days", "n"), grant_days_select(where)),
        (OutcomeMonth, OUTCOME_COLUMNS, outcome_month_select(where)),
        (OutcomeValues, ("measure", "value", "n"), outcome_values_select(where)),
    ):
        db.session.execute(delete(model).where(in_keys(model.group_id, model.month, keys)))
        db.session.execute(insert(model).from_select(["group_id", "month", *columns], rows))


def _fold_support(keys: list[tuple]) -> None:
    """Replace the referral and screening facts of the claimed keys by what the records
    say now."""
    where = keys_where(keys)
    for model, build, columns in (
        (ReferralMonth, referral_month_select, REFERRAL_COLUMNS),
        (ScreeningMonth, screening_month_select, SCREENING_COLUMNS),
    ):
        db.session.execute(delete(model).where(in_keys(model.group_id, model.month, keys)))
        db.session.execute(insert(model).from_select(["group_id", "month", *columns], build(where)))


def _set_state(**values) -> None:
    stmt = dialect_insert(FactState).values(name=NAME, **values)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


def mark_all() -> int:
    """Mark every (group, month) with meetings, grant steps or payments, follow-ups due,
    visits made, referrals, screenings, or facts, in the current transaction."""
    month = month_start(Meeting.held_on)
    home = func.coalesce(Member.home_group_id, 0)
    keys = union(
        select(Meeting.group_id, month).distinct(),
        select(GroupMonth.group_id, GroupMonth.month),
        select(home, month_start(GrantEvent.on))
        .join(Grant, Grant.id == GrantEvent.grant_id)
        .join(Member, Member.id == Grant.member_id),
        select(home, month_start(Tranche.paid_on))
        .join(Grant, Grant.id == Tranche.grant_id)
        .join(Member, Member.id == Grant.member_id),
        select(GrantMonth.group_id, GrantMonth.month),
        select(GrantDays.group_id, GrantDays.month),
        select(Member.home_group_id, month_start(Referral.referred_on)).join(
            Member, Member.id == Referral.member_id
        ),
        select(Member.home_group_id, month_start(Screening.screened_on)).join(
            Member, Member.id == Screening.member_id
        ),
        select(ReferralMonth.group_id, ReferralMonth.month),
        select(ScreeningMonth.group_id, ScreeningMonth.month),
        select(home, month_start(FollowUp.due_on))
        .select_from(FollowUp)
        .join(Member, Member.id == FollowUp.member_id),
        select(home, month_start(Visit.visited_on))
        .select_from(Visit)
        .join(FollowUp, FollowUp.id == Visit.follow_up_id)
        .join(Member, Member.id == FollowUp.member_id),
        select(OutcomeMonth.group_id, OutcomeMonth.month),
        select(OutcomeValues.group_id, OutcomeValues.month),
    ).subquery()
    stmt = (
        dialect_insert(DirtyKey)
        .from_select(
            ["group_id", "month", "touches"],
            # WHERE: SQLite reads "SELECT … FROM x ON CONFLICT" as a join without it.
            select(keys.c[0], keys.c[1], literal(1)).where(keys.c[0].is_not(None)),
        )
        .on_conflict_do_nothing()
    )
    db.session.execute(stmt)
    members.mark_all()
    return db.session.scalar(select(func.count()).select_from(DirtyKey))


def rebuild(progress: Callable[[int, int], None] | None = None, batch: int = BATCH) -> int:
    """Make every fact again from the meetings: mark every key, then fold them in batches,
    one transaction each (commits). The figures stay exact all along (a marked key is read
    live). Raises RebuildRunning when another process is rebuilding (PostgreSQL)."""
    connection = None
    if _postgresql():
        connection = db.engine.connect()  # holds the rebuild's lock, dies with the process
        if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": REBUILD_LOCK}):
            connection.close()
            raise RebuildRunning
    try:
        started = utcnow()
        total = mark_all()
        db.session.commit()
        done = 0
        while True:
            n = fold(limit=batch)
            db.session.commit()
            done += n
            if progress is not None:
                progress(min(done, total), total)
            if n < batch and not members.waiting():
                break
        _set_state(rebuilt_at=started)
        db.session.commit()
        return done
    finally:
        if connection is not None:
            connection.close()  # the session's lock goes with it


def state() -> tuple[datetime | None, datetime | None, int]:
    """(as_of, rebuilt_at, keys waiting to be folded)."""
    row = db.session.get(FactState, NAME)
    waiting = db.session.scalar(select(func.count()).select_from(DirtyKey)) + members.waiting()
    return (row.as_of if row else None), (row.rebuilt_at if row else None), waiting


__all__ = ["RebuildRunning", "fold", "mark_all", "rebuild", "state"]
