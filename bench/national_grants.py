"""The national data set's grants and follow-ups: disbursed grants, a few waiting for a
decision, and their follow-ups in every state (bench.national's Builder builds them)."""

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from bench.harness import execute_many, utc
from core.db import db
from livelihoods import jobs
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantStatus,
    Method,
    Outcome,
    Tranche,
    Visit,
)
from livelihoods.services.grants import DEFAULT_CHECK_MONTHS, add_months

SUBMITTED_PER_50 = 1  # grants waiting for a decision, besides the disbursed ones


class GrantsAndFollowUps:
    """The part of Builder (bench.national) that adds grants and their follow-ups."""

    def _grants(self) -> None:
        """Disbursed grants for 80 % of members, paid over the last 450 days; a few more
        waiting for a decision (the digest counts those)."""
        rng = self.rng
        where = {}
        for group_id, p, _plan, _skipped, helpers in self.groups:
            for m in self.members[group_id]:
                where[m] = (group_id, p, helpers[0])
        submitted = self.size.grants * SUBMITTED_PER_50 // 50
        chosen = rng.sample(sorted(where), self.size.grants + submitted)
        rows, self.paid_on = [], {}
        for i, member_id in enumerate(chosen):
            group_id, p, facilitator = where[member_id]
            disbursed = i < self.size.grants
            amount = rng.randrange(3_000_000, 15_000_001, 500_000)
            paid_on = self.day - timedelta(days=rng.randint(1, 450))
            if disbursed:
                self.paid_on[member_id] = paid_on
            rows.append(
                dict(
                    member_id=member_id,
                    activity=rng.choice(list(Activity)),
                    plan="Nuôi gà thả vườn, bán trứng ở chợ xã",
                    amount_requested=amount,
                    amount_approved=amount if disbursed else None,
                    status=GrantStatus.DISBURSED if disbursed else GrantStatus.SUBMITTED,
                    outcome=None,
                    drafted_by_id=facilitator,
                    submitted_by_id=facilitator,
                    created_at=utc(paid_on - timedelta(days=30)),
                )
            )
        execute_many(Grant, rows)
        self.where = where
        self.summary["grants"] = self.size.grants
        self.summary["submitted"] = submitted

    def _follow_ups(self) -> None:
        rng, day = self.rng, self.day
        grants = db.session.execute(
            select(Grant.id, Grant.member_id, Grant.amount_approved).where(
                Grant.status == GrantStatus.DISBURSED
            )
        ).all()
        tranches, follow_ups, visits = [], [], {}
        states: Counter = Counter()
        for grant_id, member_id, amount in grants:
            group_id, p, facilitator = self.where[member_id]
            paid_on = self.paid_on[member_id]
            coordinator = self.coordinators_of[p][0]
            tranches.append(
                dict(
                    grant_id=grant_id,
                    paid_on=paid_on,
                    amount=amount,
                    method=rng.choice(list(Method)),
                    purchased="Gà giống, thức ăn, chuồng",
                    recorded_by_id=coordinator,
                    created_at=utc(paid_on),
                )
            )
            for n in DEFAULT_CHECK_MONTHS:
                due_on = add_months(paid_on, n)
                status = self._status(due_on)
                key = f"grant:{grant_id}:{n}"
                states[self._state(due_on, status)] += 1
                follow_ups.append(
                    dict(
                        kind=FollowUpKind.GRANT_CHECK,
                        source_key=key,
                        member_id=member_id,
                        grant_id=grant_id,
                        months_after=n,
                        source_on=paid_on,
                        due_on=due_on,
                        status=status,
                        created_at=utc(paid_on),
                    )
                )
                if status == FollowUpStatus.DONE:
                    visited_on = min(day, max(paid_on, due_on + timedelta(rng.randint(-5, 7))))
                    visits[key] = dict(
                        member_id=member_id,
                        grant_id=grant_id,
                        visited_on=visited_on,
                        visitor_id=facilitator,
                        business_status=rng.choices(list(Outcome), (8, 3, 1))[0],
                        monthly_income=rng.randrange(0, 6_000_001, 100_000),
                        notes=None,
                        created_at=utc(visited_on, 14),
                    )
        execute_many(Tranche, tranches)
        execute_many(FollowUp, follow_ups)
        self._settle()
        rows = []
        for follow_up_id, key in db.session.execute(
            select(FollowUp.id, FollowUp.source_key).where(FollowUp.status == FollowUpStatus.DONE)
        ):
            rows.append(dict(follow_up_id=follow_up_id, **visits[key]))
        execute_many(Visit, rows)
        self.summary["follow_ups"] = len(follow_ups)
        self.summary["visits"] = len(rows)
        self.states = states

    def _status(self, due_on: date) -> FollowUpStatus:
        """Recent visits are often still open; old ones mostly done, some missed."""
        age = (self.day - due_on).days
        r = self.rng.random()
        if age < 0:
            return FollowUpStatus.CANCELLED if r < 0.01 else FollowUpStatus.SCHEDULED
        open_share = 0.95 if age == 0 else 0.55 if age <= 14 else 0.15 if age <= 60 else 0.03
        if r < open_share:
            return FollowUpStatus.SCHEDULED
        r = (r - open_share) / (1 - open_share)
        return (
            FollowUpStatus.DONE
            if r < 0.87
            else FollowUpStatus.MISSED
            if r < 0.95
            else FollowUpStatus.CANCELLED
        )

    def _state(self, due_on: date, status: FollowUpStatus) -> str:
        if status != FollowUpStatus.SCHEDULED:
            return status.value
        age = (self.day - due_on).days
        if age > jobs.ESCALATE_AFTER_DAYS:
            return f"overdue > {jobs.ESCALATE_AFTER_DAYS} d"
        if age > 0:
            return f"overdue ≤ {jobs.ESCALATE_AFTER_DAYS} d"
        if age == 0:
            return "due today"
        if -age <= jobs.DUE_SOON_DAYS:
            return "due soon"
        return "later"
