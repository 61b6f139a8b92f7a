"""The analytics tables: one row per group and month of what adds up, the (group, month)
keys a write has touched since they were last folded in, and when that was.

No foreign keys and no place or access columns: a fact names its group only, and whose
it is is joined from the live `groups` table when it is read, so a group that moves takes
its figures with it at once (DESIGN.md, "Data protection").
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class GroupMonth(db.Model):
    """What a group's meetings of one month add up to (reports.facts.build says how)."""

    __tablename__ = "fact_group_months"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    held: Mapped[int] = mapped_column(default=0)  # regular meetings held
    on_time: Mapped[int] = mapped_column(default=0)  # of those, recorded within 3 days
    present: Mapped[int] = mapped_column(default=0)  # attendance marks "present"
    marks: Mapped[int] = mapped_column(default=0)  # every attendance mark

    __table_args__ = (Index("ix_fact_group_months_month", "month", "group_id"),)


class GrantMonth(db.Model):
    """What the steps and payments of the grants of a home group's members add up to in
    a month (reports.facts.grants says how). The grants paid in a quarter or a year are
    counted once each: `paid_quarter` counts, of the grants paid in the month, those not
    paid earlier in its quarter, and `paid_year` in its year, so the months of a quarter
    or year add up to its distinct grants."""

    __tablename__ = "fact_grant_months"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none
    month: Mapped[date] = mapped_column(primary_key=True)
    requested: Mapped[int] = mapped_column(default=0)  # first submitted in the month
    requested_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    approved: Mapped[int] = mapped_column(default=0)
    approved_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    paid_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_month: Mapped[int] = mapped_column(default=0)  # distinct grants paid in the month
    paid_quarter: Mapped[int] = mapped_column(default=0)
    paid_year: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_fact_grant_months_month", "month", "group_id"),)


class GrantDays(db.Model):
    """The values behind a median, as (days, how many), per home group and month:
    `decision` (submission to decision, by the decision's month) and `payment` (approval
    to first payment, by that payment's month)."""

    __tablename__ = "fact_grant_days"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]

    __table_args__ = (Index("ix_fact_grant_days_month", "measure", "month", "group_id"),)


class DirtyKey(db.Model):
    """A (group, month) whose meetings, or whose members' grants, changed after its facts
    were made: set by triggers (migrations 0033, 0037) in the writer's own transaction;
    read live until it is folded in. `touches` counts the writes: on PostgreSQL a write
    updates the row it finds, so a fold that claims the row waits for that write to commit."""

    __tablename__ = "fact_dirty"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)
    touches: Mapped[int] = mapped_column(default=1)


class FactState(db.Model):
    """When a table of facts was last folded in (`as_of`: every write committed before it
    is in the facts) and last rebuilt; `until`: the last day its periods reach, for the
    member facts (reports.facts.members), None for the others."""

    __tablename__ = "fact_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[datetime | None]
    rebuilt_at: Mapped[datetime | None]
    until: Mapped[date | None]
