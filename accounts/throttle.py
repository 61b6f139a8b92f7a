"""Login throttling that slows guessing without letting anyone lock a user out.

- per (username, address): a hard limit in the window; the same address must wait.
- per address: a hard limit in the window, whatever usernames it tries.
- per username, all addresses: only a growing delay, and only for addresses that have
  already failed for that username; an address with no failure for it goes straight on,
  so a correct password from elsewhere always passes.
- per member code (the member door): a daily cap across all addresses, because a 6-digit
  PIN is small; the facilitator's new PIN clears it.

The check runs before any password hashing, refused attempts write nothing (so they
neither count nor extend anything), and failure rows older than the longest window are
purged whenever a failure is written.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, delete, false, func, or_, select

from accounts.models import LoginFailure
from core.db import db

DAY = timedelta(days=1)


class Refusal(StrEnum):
    TOO_MANY = "too_many"  # per (user, address), per address, or the per-user delay
    MEMBER_CODE_TODAY = "member_code_today"


@dataclass(frozen=True)
class Limits:
    window: timedelta
    per_user_and_address: int
    per_address: int
    slow_after: int
    max_delay: timedelta
    member_code_per_day: int

    @classmethod
    def from_config(cls, c) -> "Limits":
        return cls(
            window=timedelta(minutes=c["LOGIN_WINDOW_MINUTES"]),
            per_user_and_address=c["LOGIN_MAX_FAILURES_PER_USER_AND_IP"],
            per_address=c["LOGIN_MAX_FAILURES_PER_IP"],
            slow_after=c["LOGIN_SLOW_AFTER_FAILURES_PER_USER"],
            max_delay=timedelta(seconds=c["LOGIN_MAX_DELAY_SECONDS"]),
            member_code_per_day=c["LOGIN_MAX_FAILURES_PER_MEMBER_CODE_PER_DAY"],
        )

    @property
    def retention(self) -> timedelta:
        return max(self.window, DAY)


def address_key(ip: str | None) -> str | None:
    """The address throttled: IPv4 as is, IPv6 by its /64 (one subscriber's network)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:45]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def delay_after(failures: int, limits: Limits) -> timedelta:
    """How long a username's already-failing addresses wait after its last failure."""
    if failures < limits.slow_after:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - limits.slow_after, 20)), limits.max_delay)


def check(username: str, key: str | None, *, now: datetime, limits: Limits, member: bool):
    """The reason to refuse this attempt without checking the password, or None.

    One query; nothing is written.
    """
    since = now - limits.window
    day = now - DAY
    f = LoginFailure
    by_user = f.username == username
    by_key = f.ip == key if key else false()
    recent = f.at >= since

    def count(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    row = db.session.execute(
        select(
            count(by_user, by_key, recent),
            count(by_key, recent),
            count(by_user, recent),
            count(by_user, f.at >= day),
            func.max(case((and_(by_user, recent), f.at)), type_=f.at.type),
        ).where(or_(by_user, by_key), f.at >= min(since, day))
    ).one()
    user_and_key, per_key, per_user, per_user_today, last_for_user = row
    if member and per_user_today >= limits.member_code_per_day:
        return Refusal.MEMBER_CODE_TODAY
    if user_and_key >= limits.per_user_and_address or per_key >= limits.per_address:
        return Refusal.TOO_MANY
    if user_and_key and last_for_user and now - last_for_user < delay_after(per_user, limits):
        return Refusal.TOO_MANY
    return None


def record_failure(username: str, key: str | None, *, now: datetime, limits: Limits) -> None:
    """Count a failed attempt, and drop rows too old to matter to any limit."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - limits.retention))
    db.session.add(LoginFailure(username=username, ip=key, at=now))


def clear(username: str, key: str | None = None) -> None:
    """Forget a username's failures: from this address after a login, or all (new PIN)."""
    stmt = delete(LoginFailure).where(LoginFailure.username == username)
    if key is not None:
        stmt = stmt.where(LoginFailure.ip == key)
    db.session.execute(stmt)
