"""Accounts: creating and changing users, logging in and out, ending sessions."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from accounts import known_devices, throttle
from accounts.models import AuthSession, Role, User
from core import audit
from core.db import db, end_read
from core.errors import DomainError
from core.places import Province
from core.saving import on_duplicate
from core.security import hash_password, verify_password


class AccountError(Exception):
    """A request about accounts that cannot be carried out."""


USERNAME_TAKEN = _l("This username is already taken.")


class UsernameTaken(AccountError, DomainError):
    def __init__(self, username: str):
        DomainError.__init__(self, USERNAME_TAKEN, "username")
        self.username = username


class LoginRefused(AccountError):
    """Wrong credentials (refusal None), or an attempt refused unchecked (throttled)."""

    def __init__(self, refusal: throttle.Throttled | None = None):
        super().__init__(refusal.reason if refusal else "invalid")
        self.refusal = refusal

    @property
    def throttled(self) -> bool:
        return self.refusal is not None


class CannotChangeSelf(AccountError, DomainError):
    def __init__(self, message=None, field: str | None = "role"):
        DomainError.__init__(self, message or _l("You cannot change your own role."), field)


# Two admins creating the same username at one instant: the second one hears it is taken.
on_duplicate("uq_users_username", USERNAME_TAKEN, "username", conflict=False)


class MemberLoginRole(AccountError, DomainError):
    """A member's login cannot become a staff account, nor the reverse."""

    def __init__(self):
        DomainError.__init__(
            self,
            _l("A member's login stays a member's login. Create a separate account for staff."),
            "role",
        )


# The name sec-moves gave it.
CannotChangeKind = MemberLoginRole


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def _provinces(codes) -> list[Province]:
    if not codes:
        return []
    return list(db.session.scalars(select(Province).where(Province.code.in_(set(codes)))))


def create_user(
    actor: User | None,
    *,
    username: str,
    full_name: str,
    role: Role,
    password: str,
    province_codes=(),
    must_change_password: bool = False,
) -> User:
    """Create a user; an admin-made password must be changed at first login."""
    username = normalise_username(username)
    if get_user_by_username(username) is not None:
        raise UsernameTaken(username)
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        provinces=_provinces(province_codes) if role == Role.COORDINATOR else [],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", user, detail=f"role={role.value}")
    return user


def update_user(
    actor: User,
    user: User,
    *,
    full_name: str,
    role: Role,
    province_codes=(),
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Change a user's name, role, provinces and contact; an admin cannot demote themself.

    A member's login stays a member's login, and no one becomes a member here.
    """
    if user.id == actor.id and role != user.role:
        raise CannotChangeSelf()
    is_member = user.role == Role.MEMBER or user.member_id is not None
    if is_member != (role == Role.MEMBER):
        raise MemberLoginRole()
    changed = [
        name
        for name, old, new in (
            ("full_name", user.full_name, full_name),
            ("role", user.role, role),
            (
                "provinces",
                user.province_codes,
                set(province_codes) if role == Role.COORDINATOR else set(),
            ),
            ("email", user.email, email),
            ("phone", user.phone, phone),
        )
        if old != new
    ]
    user.full_name = full_name
    user.email, user.phone = email, phone
    user.role = role
    user.provinces = _provinces(province_codes) if role == Role.COORDINATOR else []
    if "role" in changed:
        revoke_sessions(user)
    db.session.flush()
    if changed:
        audit.record(actor, "update", user, detail="changed=" + ",".join(changed))
    return user


def update_contact(user: User, *, email: str | None, phone: str | None) -> User:
    """Change one's own email and phone; the audit names the fields, not the values."""
    changed = [
        name
        for name, old, new in (("email", user.email, email), ("phone", user.phone, phone))
        if old != new
    ]
    user.email, user.phone = email, phone
    db.session.flush()
    if changed:
        audit.record(user, "update", user, detail="changed=" + ",".join(changed))
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    """Activate or deactivate a user; deactivation ends their sessions at once."""
    if user.id == actor.id:
        raise CannotChangeSelf(_l("You cannot deactivate your own account."), None)
    user.active = active
    if not active:
        revoke_sessions(user)
    db.session.flush()
    audit.record(actor, "activate" if active else "deactivate", user)
    return user


def reset_password(actor: User, user: User, password: str) -> User:
    """Set a temporary password; the user must choose a new one and is logged out."""
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_sessions(user)
    db.session.flush()
    audit.record(actor, "reset_password", user)
    return user


def change_own_password(user: User, current: str, new: str) -> bool:
    """Change one's own password, ending every other session; False if current is wrong."""
    if not verify_password(user.password_hash, current):
        return False
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_sessions(user, keep=user.auth_session)
    db.session.flush()
    audit.record(user, "change_password", user)
    return True


def choose_own_password(user: User, new: str) -> User:
    """At login, after a temporary password (the login step checked it): the person's
    own password. It must differ from the temporary one."""
    if verify_password(user.password_hash, new):
        raise DomainError(
            _l("Choose a password different from the temporary one."), "new_password"
        )
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_sessions(user)
    db.session.flush()
    audit.record(user, "change_password", user)
    return user


def revoke_sessions(user: User, keep: AuthSession | None = None) -> int:
    """Delete the user's server-side sessions (but keep), so their cookies stop working."""
    stmt = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep.id)
    return db.session.execute(stmt).rowcount


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(
    username: str,
    password: str,
    *,
    ip: str | None,
    now: datetime,
    limits: throttle.Limits,
    member: bool = False,
    known: dict[int, str] | None = None,
) -> User:
    """Return the user if the password is right and the attempt is not throttled.

    A throttled attempt is refused before any hashing and writes nothing. An unknown
    user, a wrong password, a deactivated account and the wrong door raise the same
    LoginRefused, cost the same argon2 verification, and are audited. `known`: the
    member logins this phone made before (accounts.known_devices).
    """
    username = normalise_username(username)[:40]
    key = throttle.address_key(ip)
    user = get_user_by_username(username)
    refusal = throttle.check(
        username,
        key,
        now=now,
        limits=limits,
        member=member,
        known_device=member and known_devices.is_known(known or {}, user),
    )
    if refusal is not None:
        raise LoginRefused(refusal)
    stored = user.password_hash if user else None
    end_read()  # argon2 takes a good part of a second: hold no lock meanwhile
    ok = verify_password(stored, password)
    # The user is read again: a password changed in the meantime does not let the old in.
    ok = ok and user is not None and user.password_hash == stored
    # Members log in by code and PIN only on their page, staff only on theirs.
    right_door = user is not None and (user.role == Role.MEMBER) == member
    if not (ok and user.active and right_door):
        throttle.record_failure(username, key, now=now, limits=limits)
        audit.record(
            None,
            "login_failed",
            object_type="users",
            object_id=user.id if user else None,
            detail=door(member),
            ip=ip,
        )
        raise LoginRefused()
    # Failures are forgotten only once every factor passed (start_session): a right
    # password must not reset the count of wrong second-factor codes.
    return user


def door(member: bool) -> str:
    return "door=member" if member else "door=staff"


def start_session(
    user: User,
    *,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
    detail: str | None = None,
) -> AuthSession:
    """Open a server-side session for user and put its token on user for the cookie.

    The login is audited here, once every factor has passed; detail says how.
    """
    token = secrets.token_urlsafe(32)
    auth_session = AuthSession(
        token_hash=_hash_token(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:200],
    )
    db.session.add(auth_session)
    user.last_login_at = now
    throttle.clear(user.username, throttle.address_key(ip))
    db.session.flush()
    audit.record(user, "login", user, detail=detail, ip=ip)
    user.session_token = token
    user.auth_session = auth_session
    return auth_session


def load_session(token: str, *, now: datetime, idle: timedelta, lifetime: timedelta) -> User | None:
    """The user of a live session token, or None if it ended, idled out or expired."""
    auth_session = db.session.scalar(
        select(AuthSession).where(AuthSession.token_hash == _hash_token(token))
    )
    if auth_session is None:
        return None
    user = auth_session.user
    expired = now - auth_session.last_seen_at > idle or now - auth_session.created_at > lifetime
    if expired or not user.active:
        db.session.delete(auth_session)
        return None
    if now - auth_session.last_seen_at > timedelta(minutes=1):
        # Touch at most once a minute: reads should not all become writes.
        auth_session.last_seen_at = now
    user.session_token = token
    user.auth_session = auth_session
    return user


def end_session(user: User) -> None:
    """Delete the current server-side session of user."""
    if user.auth_session is not None:
        db.session.delete(user.auth_session)
        audit.record(user, "logout", user)
        user.auth_session = None
