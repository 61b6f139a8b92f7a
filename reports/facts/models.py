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


class ReferralMonth(db.Model):
    """The referrals of a home group's members made in a month (by referral day), counted
    by service (the need), kind of provider and status now, and for those served with a
    day closed, by days from referral to service (`timed`; `days` is 0 when not): what
    the referral figures add up, and the values behind their median
    (reports.facts.support says how)."""

    __tablename__ = "fact_referral_months"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    provider_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    timed: Mapped[bool] = mapped_column(primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]

    __table_args__ = (Index("ix_fact_referral_months_month", "month", "group_id"),)


class ScreeningMonth(db.Model):
    """A member's complete screenings of one month (by screening day): how many, and the
    scores of the first and the latest (by day, then id). A member's first and latest of
    any run of months are those of the first and last of its months, so the distinct
    members and the change per dimension stay exact (reports.facts.support says how).
    `group_id` is the member's home group."""

    __tablename__ = "fact_screening_months"

    # The group first: a member who moves has a row under the group before until that
    # key is folded (it is read live while marked), and one under the group after.
    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int]
    first_economic: Mapped[float | None]
    first_social: Mapped[float | None]
    first_psychosocial: Mapped[float | None]
    last_economic: Mapped[float | None]
    last_social: Mapped[float | None]
    last_psychosocial: Mapped[float | None]

    __table_args__ = (Index("ix_fact_screening_months_month", "month", "group_id"),)


class OutcomeMonth(db.Model):
    """What the follow-up visits and livelihood checks of a home group's members add up
    to in a month (reports.facts.outcomes says how): visits due in the month and of those
    made on time, and the checks made in the month by months after the grant (3, 6, 12)
    and business status found (`m6_operating`…)."""

    __tablename__ = "fact_outcome_months"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none
    month: Mapped[date] = mapped_column(primary_key=True)
    due: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    m3_operating: Mapped[int] = mapped_column(default=0)
    m3_struggling: Mapped[int] = mapped_column(default=0)
    m3_stopped: Mapped[int] = mapped_column(default=0)
    m6_operating: Mapped[int] = mapped_column(default=0)
    m6_struggling: Mapped[int] = mapped_column(default=0)
    m6_stopped: Mapped[int] = mapped_column(default=0)
    m12_operating: Mapped[int] = mapped_column(default=0)
    m12_struggling: Mapped[int] = mapped_column(default=0)
    m12_stopped: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_fact_outcome_months_month", "month", "group_id"),)


class OutcomeValues(db.Model):
    """The values behind a median, as (value, how many), per home group and month of the
    6-month checks made: `income` reported, `planned` (what the business plan expected)."""

    __tablename__ = "fact_outcome_values"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int]

    __table_args__ = (Index("ix_fact_outcome_values_month", "measure", "month", "group_id"),)


class DirtyKey(db.Model):
    """A (group, month) whose meetings, or whose members' grants, follow-ups, visits,
    referrals or screenings, changed after its facts were made: set by triggers
    (migrations 0033, 0037, 0043, 0044) in
    the writer's own transaction; read live until it is folded in. `touches` counts the
    writes: on PostgreSQL a write updates the row it finds, so a fold that claims the row
    waits for that write to commit."""

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
