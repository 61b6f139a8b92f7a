"""Two-factor sign-in: TOTP codes from an authenticator app, and one-time recovery codes.

Services: they flush, never commit, and take the time as an argument.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, select, update

from accounts.models import RecoveryCode, Role, User
from core import audit
from core.db import db

ISSUER = "Tự Lực"
# Not a setting: production must not be able to drop it (see core.config).
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PROVIDER})
RECOVERY_CODES = 10
CODE_DIGITS = 6


def is_required(user: User, *, skip: bool) -> bool:
    """Whether this user must sign in with a second factor (and so enrol first)."""
    return not skip and user.role in REQUIRED_ROLES


def needs_code(user: User, *, skip: bool) -> bool:
    """After the password: whether a code step (or enrolment) must follow."""
    return user.has_two_factor or is_required(user, skip=skip)


def pending_secret(user: User) -> str:
    """The secret to enrol with: kept from the first enrolment page until confirmed."""
    if user.has_two_factor:
        raise ValueError("already enrolled")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(user: User) -> Markup:
    """The enrolment QR code as inline SVG, drawn here: no script, no outside service."""
    svg = segno.make(provisioning_uri(user), error="m").svg_inline(
        scale=4, border=2, title=ISSUER, dark="#000", light="#fff"
    )
    # Only paths and a fixed title: no text from a user ends up in the markup.
    return Markup(svg)  # noqa: S704  # nosec B704


def grouped_secret(user: User) -> str:
    """The secret in groups of four, to type into an app that cannot scan."""
    s = user.totp_secret or ""
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


def _matching_step(user: User, code: str, now: datetime) -> int | None:
    """The time step whose code this is (±30 s for clock drift), or None."""
    code = "".join(code.split())
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit() or not user.totp_secret:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(now)
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return step + offset
    return None


def check_code(user: User, code: str, now: datetime) -> bool:
    """Accept a current TOTP code once: a code already used (or an older one) fails."""
    step = _matching_step(user, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def second_factor(user: User, code: str, now: datetime, *, app_codes: bool = True) -> str | None:
    """How this entry at the code step signs the user in ("totp", "recovery_code"), or
    None. With app_codes False (too many wrong ones, accounts.code_lock) only a
    recovery code is checked."""
    if app_codes and check_code(user, code, now):
        return "totp"
    if use_recovery_code(user, code, now):
        return "recovery_code"
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; return them to show once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """Spend one unused recovery code; False if it is wrong or was used.

    One conditional UPDATE: of two requests spending the same code at one instant, the
    database lets one change the row, and the other finds it used.
    """
    if len(normalise_recovery_code(code)) != 16:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return spent == 1


def already_used(user: User, code: str, now: datetime, *, app_codes: bool = True) -> bool:
    """Whether this entry is a right code that was used already (a second tap, or a
    recovery code spent before): a clear answer, not "wrong code"."""
    if app_codes:
        step = _matching_step(user, code, now)
        if step is not None:
            return user.totp_last_step is not None and step <= user.totp_last_step
    if len(normalise_recovery_code(code)) != 16:
        return False
    return (
        db.session.scalar(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash(code),
                RecoveryCode.used_at.is_not(None),
            )
        )
        is not None
    )


def count_unused_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def confirm_enrolment(user: User, code: str, now: datetime) -> list[str] | None:
    """Turn two-factor on if code comes from the pending secret; return recovery codes."""
    if user.has_two_factor or not check_code(user, code, now):
        return None
    user.totp_confirmed_at = now
    codes = new_recovery_codes(user)
    audit.record(user, "two_factor_on", user)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = new_recovery_codes(user)
    audit.record(user, "recovery_codes_new", user)
    return codes


def disable(actor: User, user: User) -> None:
    """Turn two-factor off: the secret and the recovery codes are forgotten.

    An administrator does this for someone who lost their phone; they set it up again
    at their next login if their role requires it.
    """
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    audit.record(actor, "two_factor_off", user)


def may_disable(user: User, *, skip: bool) -> bool:
    """Only those for whom it is optional may turn it off (facilitators; anyone in demo)."""
    return user.role != Role.MEMBER and not is_required(user, skip=skip)
