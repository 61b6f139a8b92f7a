"""The national data set, reproducible from a seed and scaled.

    .venv/bin/python -m bench.dataset --scale 0.1 --sqlite /tmp/national.sqlite3
    .venv/bin/python -m bench.dataset --scale 1 --database-url postgresql://postgres@127.0.0.1:5432/tuluc_national

Scale 1.0 is a national roll-out: 3,000 groups in the 34 provinces, 15 members each (45,000),
the latest 75 meetings on each group's schedule (about 184,000 meetings, 2.76 M attendance
rows), 21,200 grants in every state and 80,000 follow-ups, about 49,000 screenings and
11,000 referrals (bench.dataset_support). It is built with `bench.sweep.Builder` (the same
bulk inserts the job bench uses), plus the grant states a coordinator decides on, and these
logins, all with the password `demo-tuluc`:

- `admin`;
- `coordinator`: 3 provinces, about 10 % of the groups;
- `coordinator-region`: 9 provinces, about 30 % of the groups;
- `facilitator`: 4 groups;
- a member with a PIN, printed on the last line as `member: CODE PIN`.

The schema of the database given is DROPPED and recreated (PostgreSQL: the `public` schema;
SQLite: the file). Only databases on this machine are accepted. An app started with the same
`DATABASE_URL` (production mode, schema at head) serves the data as it is.
"""

import argparse
import os
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import func, select, text, update

from accounts import services as account_services
from accounts.models import Role, User
from app import create_app
from bench.dataset_support import add_support
from bench.harness import bench_config, check_local, execute_many, reset_postgres, utc
from bench.national import LARGE, Builder
from core.clock import today as today_in_vietnam
from core.db import db
from groups.models import Gender, Group, Member, Membership, group_facilitators
from livelihoods.models import (
    Activity,
    FollowUp,
    FollowUpStatus,
    Grant,
    GrantEvent,
    GrantStatus,
    Outcome,
)
from livelihoods.services.members import set_member_pin
from reports.facts.refresh import rebuild

PASSWORD = "demo-tuluc"
MEMBER_PIN = "739154"
GROUPS, MEMBERS_PER_GROUP, MEETINGS_PER_GROUP, DISBURSED = 3_000, 15, 75, 20_000
# Besides the disbursed grants (of which CLOSED are closed), per 20,000 disbursed:
OTHER_STATES = {
    GrantStatus.SUBMITTED: 400,
    GrantStatus.APPROVED: 200,
    GrantStatus.DRAFT: 300,
    GrantStatus.REJECTED: 200,
    GrantStatus.RETURNED: 100,
}
CLOSED = 1_765


def national(scale: float):
    groups = max(34, round(GROUPS * scale))
    return replace(
        LARGE,
        name=f"scale {scale:g}",
        groups=groups,
        members=MEMBERS_PER_GROUP,
        meetings=MEETINGS_PER_GROUP,
        grants=round(DISBURSED * scale),
    )


class NationalBuilder(Builder):
    """The job bench's builder, with every grant state, a timeline and the logins."""

    def __init__(self, scale: float, day: date, seed: int):
        super().__init__(national(scale), day, seed)
        self.scale = scale

    def build(self) -> None:
        super().build()
        self._other_grants()
        self._close_grants()
        self._timelines()
        self._settle()
        self._logins()
        self._leavers()
        add_support(self)
        self._settle()
        self._facts()
        self._analyze()

    def _facts(self) -> None:
        """Fold every (group, month) the bulk inserts marked into the analytics tables, as
        the scheduler would within a minute of the writes (`flask analytics rebuild`)."""
        db.session.commit()
        started = time.perf_counter()
        self.summary["group-months folded"] = rebuild()
        self.summary["facts rebuilt in (s)"] = round(time.perf_counter() - started, 1)

    def _other_grants(self) -> None:
        """Grants waiting for a decision, approved, drafted, rejected or sent back, for
        members who have none yet (the builder's own submitted ones are counted in)."""
        rng = self.rng
        have = set(db.session.scalars(select(Grant.member_id)))
        free = sorted(m for m in self.where if m not in have)
        rng.shuffle(free)
        rows = []
        for status, per_20k in OTHER_STATES.items():
            n = round(per_20k * self.scale)
            if status == GrantStatus.SUBMITTED:
                n = max(0, n - self.summary.get("submitted", 0))
            for _ in range(n):
                if not free:
                    break
                member_id = free.pop()
                _group_id, _p, facilitator = self.where[member_id]
                amount = rng.randrange(3_000_000, 15_000_001, 500_000)
                rows.append(
                    dict(
                        member_id=member_id,
                        activity=rng.choice(list(Activity)),
                        plan="Mở quán tạp hoá nhỏ ở đầu thôn",
                        amount_requested=amount,
                        amount_approved=amount if status == GrantStatus.APPROVED else None,
                        status=status,
                        outcome=None,
                        drafted_by_id=facilitator,
                        submitted_by_id=None if status == GrantStatus.DRAFT else facilitator,
                        created_at=utc(self.day - timedelta(days=rng.randint(1, 90))),
                    )
                )
        execute_many(Grant, rows)

    def _close_grants(self) -> None:
        """The oldest disbursed grants are closed with an outcome; their open visits are
        cancelled, as close_grant does."""
        n = round(CLOSED * self.scale)
        oldest = list(
            db.session.scalars(
                select(Grant.id)
                .where(Grant.status == GrantStatus.DISBURSED)
                .order_by(Grant.created_at, Grant.id)
                .limit(n)
            )
        )
        outcomes = list(Outcome)
        for start in range(0, len(oldest), 500):
            chunk = oldest[start : start + 500]
            for i, outcome in enumerate(outcomes):
                ids = chunk[i :: len(outcomes)]
                db.session.execute(
                    update(Grant)
                    .where(Grant.id.in_(ids))
                    .values(status=GrantStatus.CLOSED, outcome=outcome)
                )
            db.session.execute(
                update(FollowUp)
                .where(FollowUp.grant_id.in_(chunk), FollowUp.status == FollowUpStatus.SCHEDULED)
                .values(status=FollowUpStatus.CANCELLED)
            )

    def _timelines(self) -> None:
        """One event per step each grant went through, so grant pages show a timeline."""
        steps = {
            GrantStatus.DRAFT: [],
            GrantStatus.SUBMITTED: [("submitted", GrantStatus.SUBMITTED)],
            GrantStatus.RETURNED: [
                ("submitted", GrantStatus.SUBMITTED),
                ("returned", GrantStatus.RETURNED),
            ],
            GrantStatus.REJECTED: [
                ("submitted", GrantStatus.SUBMITTED),
                ("rejected", GrantStatus.REJECTED),
            ],
            GrantStatus.APPROVED: [
                ("submitted", GrantStatus.SUBMITTED),
                ("approved", GrantStatus.APPROVED),
            ],
            GrantStatus.DISBURSED: [
                ("submitted", GrantStatus.SUBMITTED),
                ("approved", GrantStatus.APPROVED),
                ("disbursed", GrantStatus.DISBURSED),
            ],
            GrantStatus.CLOSED: [
                ("submitted", GrantStatus.SUBMITTED),
                ("approved", GrantStatus.APPROVED),
                ("disbursed", GrantStatus.DISBURSED),
                ("closed", GrantStatus.CLOSED),
            ],
        }
        rows = []
        for grant_id, status, created_at, drafter in db.session.execute(
            select(Grant.id, Grant.status, Grant.created_at, Grant.drafted_by_id)
        ):
            at = created_at
            rows.append(
                dict(
                    grant_id=grant_id,
                    at=at,
                    actor_id=drafter,
                    action="drafted",
                    to_status=GrantStatus.DRAFT,
                )
            )
            for action, to_status in steps[status]:
                at = at + timedelta(days=3)
                actor = drafter if action == "submitted" else self.admin_id
                rows.append(
                    dict(
                        grant_id=grant_id, at=at, actor_id=actor, action=action, to_status=to_status
                    )
                )
        execute_many(GrantEvent, rows)
        self.summary["grant events"] = len(rows)

    def _provinces_covering(self, share: float, count: int, skip=()) -> list[int]:
        """`count` provinces whose groups add up to about `share` of all groups."""
        per = dict(
            db.session.execute(
                select(Group.province_code, func.count()).group_by(Group.province_code)
            ).all()
        )
        total = sum(per.values())
        target = share * total
        candidates = sorted((p for p in per if p not in skip), key=lambda p: (per[p], p))
        # Greedy from an even spread: start with `count` of middling size, then swap towards target.
        chosen = candidates[len(candidates) // 2 - count // 2 :][:count]
        for _ in range(50):
            have = sum(per[p] for p in chosen)
            best = None
            for out in chosen:
                for into in candidates:
                    if into in chosen:
                        continue
                    diff = abs(have - per[out] + per[into] - target)
                    if diff < abs(have - target) and (best is None or diff < best[0]):
                        best = (diff, out, into)
            if best is None:
                break
            chosen[chosen.index(best[1])] = best[2]
        return sorted(chosen)

    def _logins(self) -> None:
        hashed = account_services.hash_password(PASSWORD)
        db.session.execute(
            update(User).where(User.id == self.admin_id).values(password_hash=hashed)
        )
        coordinator = self._provinces_covering(0.10, 3)
        regional = self._provinces_covering(0.30, 9, skip=coordinator)
        for username, codes, role in (
            ("coordinator", coordinator, Role.COORDINATOR),
            ("coordinator-region", regional, Role.COORDINATOR),
            ("facilitator", [], Role.FACILITATOR),
        ):
            user = account_services.create_user(
                None,
                username=username,
                full_name=self._name(Gender.FEMALE).full_name,
                role=role,
                password=PASSWORD,
                province_codes=codes,
            )
            db.session.flush()
            setattr(self, username.replace("-", "_") + "_id", user.id)
        # The facilitator helps with four groups of the coordinator's first province.
        groups = list(
            db.session.scalars(
                select(Group.id)
                .where(Group.province_code == coordinator[0])
                .order_by(Group.id)
                .limit(4)
            )
        )
        execute_many(
            group_facilitators, [dict(group_id=g, user_id=self.facilitator_id) for g in groups]
        )
        # A member of the facilitator's first group with a disbursed grant, if any.
        member = db.session.scalar(
            select(Member)
            .join(Grant, Grant.member_id == Member.id)
            .where(
                Member.id.in_(self.members[groups[0]]), Grant.status == GrantStatus.DISBURSED
            )
            .order_by(Member.id)
            .limit(1)
        ) or db.session.get(Member, self.members[groups[0]][0])
        admin = db.session.get(User, self.admin_id)
        set_member_pin(admin, member, MEMBER_PIN)
        self.member_code = member.code
        self.summary["coordinator groups"] = db.session.scalar(
            select(func.count()).where(Group.province_code.in_(coordinator))
        )
        self.summary["regional groups"] = db.session.scalar(
            select(func.count()).where(Group.province_code.in_(regional))
        )

    def _leavers(self) -> None:
        """One member in fifty (without a grant) left their group a month or more ago:
        the lists of members who left are not empty."""
        rng = self.rng
        have = set(db.session.scalars(select(Grant.member_id)))
        login = db.session.scalar(select(Member.id).where(Member.code == self.member_code))
        free = sorted(m for m in self.where if m not in have and m != login)
        leavers = sorted(rng.sample(free, min(len(free), len(self.where) // 50)))
        for day_offset in range(30, 300, 30):
            chunk = leavers[day_offset // 30 - 1 :: 9]
            if chunk:
                db.session.execute(
                    update(Membership)
                    .where(Membership.member_id.in_(chunk), Membership.left_on.is_(None))
                    .values(
                        left_on=self.day - timedelta(days=day_offset),
                        left_reason="Đi làm ăn xa",
                    )
                )
        self.summary["members who left"] = len(leavers)

    def _analyze(self) -> None:
        """Statistics for the planner, as the app keeps them after migrations; on
        PostgreSQL also the visibility map, as autovacuum keeps it on a database in use
        (index-only scans read the table for pages it does not mark all-visible)."""
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def dataset_config(url: str, instance: str) -> dict:
    config = bench_config(url, instance)
    # Real password hashes: the logins are meant to be used from a browser.
    for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        config.pop(key)
    return config


def build(scale: float, url: str, instance: str, seed: int = 2026, day: date | None = None):
    """Build the data set into `url` (whose schema must be empty); returns the builder."""
    app = create_app(dataset_config(url, instance))
    with app.app_context():
        builder = NationalBuilder(scale, day or today_in_vietnam(), seed)
        builder.build()
        db.session.remove()
        db.engine.dispose()
    return builder


def prepare(database_url: str | None, sqlite: str | None) -> str:
    """Empty the target: drop the PostgreSQL schema, or delete the SQLite file."""
    if database_url:
        check_local(database_url)
        reset_postgres(database_url)
        return database_url
    path = os.path.abspath(sqlite)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return "sqlite:///" + path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1 = national, 0.1 = a tenth")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--database-url", help="a local PostgreSQL URL; its schema is dropped")
    target.add_argument("--sqlite", help="an SQLite file path; the file is replaced")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--day", type=date.fromisoformat, help="today (default: in Viet Nam)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 2:
        parser.error("--scale must be above 0 and at most 2")
    started = time.perf_counter()
    url = prepare(args.database_url, args.sqlite)
    instance = os.path.dirname(os.path.abspath(args.sqlite)) if args.sqlite else os.getcwd()
    builder = build(args.scale, url, instance, args.seed, args.day)
    summary = ", ".join(f"{v:,} {k}" for k, v in builder.summary.items())
    print(f"built in {time.perf_counter() - started:.0f} s: {summary}")
    print(f"logins (password {PASSWORD}): admin, coordinator, coordinator-region, facilitator")
    print(f"member: {builder.member_code} {MEMBER_PIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
