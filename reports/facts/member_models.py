"""The analytics tables of the members section (reports.facts.members says how they are
made and why this grain): per group and standard period, the members whose only group
in the period is that one, as counts; per member, group and period, the few who were in
several groups; and the groups a write has touched since they were folded in.

No foreign keys and no place or access columns, as in reports.facts.models: whose a
fact is, is joined from the live `groups` table when it is read.
"""

from datetime import date

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import enum_column
from core.db import db
from groups.models import Gender, MemberCategory


class MemberGroupPeriod(db.Model):
    """Members counted in one group in one standard period (a month, quarter or year,
    `start` to `end`), of those in no other group in it: in a group in the period
    (`active`) and its breakdowns, joined the programme, left it. Additive: the groups
    of any scope sum to the distinct members, for these members have one group each."""

    __tablename__ = "fact_member_groups"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    start: Mapped[date] = mapped_column(primary_key=True)
    end: Mapped[date] = mapped_column(primary_key=True)
    active: Mapped[int] = mapped_column(default=0)
    joined: Mapped[int] = mapped_column(default=0)
    left: Mapped[int] = mapped_column(default=0)
    cat_survivor: Mapped[int] = mapped_column(default=0)
    cat_migrant: Mapped[int] = mapped_column(default=0)
    cat_community: Mapped[int] = mapped_column(default=0)
    sex_female: Mapped[int] = mapped_column(default=0)
    sex_male: Mapped[int] = mapped_column(default=0)
    sex_other: Mapped[int] = mapped_column(default=0)
    sex_undisclosed: Mapped[int] = mapped_column(default=0)
    age_0: Mapped[int] = mapped_column(default=0)
    age_1: Mapped[int] = mapped_column(default=0)
    age_2: Mapped[int] = mapped_column(default=0)
    age_3: Mapped[int] = mapped_column(default=0)
    age_4: Mapped[int] = mapped_column(default=0)
    age_unknown: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_fact_member_groups_period", "start", "end", "group_id"),)


class MemberSpread(db.Model):
    """A member in two or more groups in one standard period, once per group: what they
    count in it (0/1 each) and their category, sex and age band (None: not known). A
    scope counts them once, however many of its groups they were in."""

    __tablename__ = "fact_member_spread"

    start: Mapped[date] = mapped_column(primary_key=True)
    end: Mapped[date] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    active: Mapped[int]
    joined: Mapped[int]
    left: Mapped[int]
    category: Mapped[MemberCategory] = mapped_column(enum_column(MemberCategory))
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    band: Mapped[int | None]

    __table_args__ = (Index("ix_fact_member_spread_group", "group_id"),)


class MemberDirty(db.Model):
    """A group whose members' facts a write may have changed since they were made: set by
    triggers (migration 0042) in the writer's transaction, for every group the member
    written was or is in; its members are read live until it is folded in. `touches`
    as in reports.facts.models.DirtyKey."""

    __tablename__ = "fact_member_dirty"

    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    touches: Mapped[int] = mapped_column(default=1)
