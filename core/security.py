"""Password hashing (argon2id), input cleaning and HTTP security headers."""

import re
import unicodedata
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """NFC-normalise text and drop NUL and control characters (PostgreSQL rejects NUL)."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", _CONTROL.sub("", value))


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def password_hasher() -> PasswordHasher:
    c = current_app.config
    return _hasher(c["ARGON2_TIME_COST"], c["ARGON2_MEMORY_COST"], c["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and fail."""
    hasher = password_hasher()
    if password_hash is None:
        password_hash = _dummy_hash(hasher)
        password = password + "\x00never"
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash_for(params: tuple) -> str:
    return PasswordHasher(*params).hash("unknown user")


def _dummy_hash(hasher: PasswordHasher) -> str:
    return _dummy_hash_for((hasher.time_cost, hasher.memory_cost, hasher.parallelism))


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


# Endpoints that send the same file to everyone (stylesheet, icon): they set their own cache.
CACHEABLE = ("static", "core.favicon")


def set_security_headers(response):
    """Add the headers every response carries; personal pages are never cached."""
    h = response.headers
    h.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint not in CACHEABLE:
        # Shared phones: nothing a page showed may come back from the browser cache.
        h["Cache-Control"] = "no-store"
    return response
