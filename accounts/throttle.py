"""Login throttling that slows guessing without letting anyone lock a user out.

- per (username, address): a hard limit in the window; the same address must wait.
- per address: a hard limit in the window, whatever usernames it tries.
- per username, all addresses: only a growing delay, and only for addresses that have
  already failed for that username; an address with no failure for it goes straight on,
  so a correct password from elsewhere always passes.
- per member code (the member door), all addresses: after a few wrong PINs in a day,
  a delay that doubles with each failure (1 minute, 2, 4… up to a few hours). Who
  does not wait for it: a phone the member logged in from with the current PIN (a
  signed cookie, accounts.known_devices), and, as for staff, an address with no failed
  login at all today, for the first `member_clean_addresses` addresses that fail for
  the code in a day. A 6-digit PIN is small, so fresh addresses cannot pass for ever
  as they do for staff: past that many, a guesser with many addresses waits like
  everyone else, and gets about `member_clean_addresses` + 20 guesses a day (with 20,
  about 1.5% of the PINs in a year; tests/accounts/test_member_throttle.py), where the
  old cap was 10 a day but let anyone lock the member out for 24 hours. The wait is
  never a lockout of the member: their own phone does not wait, and the facilitator's
  new PIN clears the count.

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
    MEMBER_CODE_WAIT = "member_code_wait"  # the member code's delay, for unknown phones


@dataclass(frozen=True)
class Throttled:
    """Why an attempt is refused unchecked, and for the member code's delay how long
    is left to wait."""

    reason: Refusal
    wait: timedelta | None = None


@dataclass(frozen=True)
class Limits:
    window: timedelta
    per_user_and_address: int
    per_address: int
    slow_after: int
    max_delay: timedelta
    member_slow_after: int
    member_max_delay: timedelta
    member_clean_addresses: int

    @classmethod
    def from_config(cls, c) -> "Limits":
        return cls(
            window=timedelta(minutes=c["LOGIN_WINDOW_MINUTES"]),
            per_user_and_address=c["LOGIN_MAX_FAILURES_PER_USER_AND_IP"],
            per_address=c["LOGIN_MAX_FAILURES_PER_IP"],
            slow_after=c["LOGIN_SLOW_AFTER_FAILURES_PER_USER"],
            max_delay=timedelta(seconds=c["LOGIN_MAX_DELAY_SECONDS"]),
            member_slow_after=c["LOGIN_MEMBER_SLOW_AFTER_FAILURES_PER_DAY"],
            member_max_delay=timedelta(seconds=c["LOGIN_MEMBER_MAX_DELAY_SECONDS"]),
            member_clean_addresses=c["LOGIN_MEMBER_CLEAN_ADDRESSES_PER_DAY"],
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


def member_delay(failures_today: int, limits: Limits) -> timedelta:
    """How long any attempt for a member code waits after its last failure, unless it
    comes from a phone known for that code: 1 minute, doubling, up to the maximum."""
    if failures_today < limits.member_slow_after:
        return timedelta(0)
    doubling = min(failures_today - limits.member_slow_after, 20)
    return min(timedelta(minutes=2**doubling), limits.member_max_delay)


def check(
    username: str,
    key: str | None,
    *,
    now: datetime,
    limits: Limits,
    member: bool,
    known_device: bool = False,
) -> Throttled | None:
    """Why to refuse this attempt without checking the password, or None.

    One query; nothing is written. known_device: the attempt comes from a phone that
    logged in to this member code with its current PIN (accounts.known_devices).
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
            func.max(case((by_user, f.at)), type_=f.at.type),
            count(by_key),
            func.count(func.distinct(case((by_user, f.ip)))),
        ).where(or_(by_user, by_key), f.at >= min(since, day))
    ).one()
    user_and_key, per_key, per_user, per_user_today, last_for_user, last_today = row[:6]
    key_today, addresses_for_user_today = row[6:]
    if user_and_key >= limits.per_user_and_address or per_key >= limits.per_address:
        return Throttled(Refusal.TOO_MANY)
    if user_and_key and last_for_user and now - last_for_user < delay_after(per_user, limits):
        return Throttled(Refusal.TOO_MANY)
    if member and not known_device and last_today is not None:
        # An address with no failure at all today goes straight on, as for staff, for
        # the first few such addresses of the code's day: past them, a guesser with
        # many addresses waits like everyone else.
        clean = key_today == 0 and addresses_for_user_today < limits.member_clean_addresses
        wait = last_today + member_delay(per_user_today, limits) - now
        if not clean and wait > timedelta(0):
            return Throttled(Refusal.MEMBER_CODE_WAIT, wait)
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
