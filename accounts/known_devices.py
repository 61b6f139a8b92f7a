"""Phones a member logged in from with their current PIN: they skip the member code's
delay (accounts.throttle), so no one can keep a member out of their own phone.

A signed cookie lists (user id, fingerprint of the PIN's hash) for the last few member
logins on this browser. A new PIN changes the hash, so the phones known for the old PIN
are known no more. The cookie says nothing readable about anyone: ids and hashes of
hashes, signed so that it cannot be made up.
"""

import hashlib
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from accounts.models import User

COOKIE = "tuluc_known_phone"
KEEP = 10  # a phone shared in a family or a group: its last few members
MAX_AGE = timedelta(days=400)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-member-phone")


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def read() -> dict[int, str]:
    """user id -> fingerprint, from this request's cookie ({} if none or forged)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        pairs = _serializer().loads(raw)
    except BadSignature:
        return {}
    if not isinstance(pairs, list):
        return {}
    return {
        int(p[0]): str(p[1])
        for p in pairs
        if isinstance(p, list) and len(p) == 2 and isinstance(p[0], int)
    }


def is_known(known: dict[int, str], user: User | None) -> bool:
    return user is not None and known.get(user.id) == fingerprint(user)


def remember(response, user: User):
    """Add this member login to the browser's list (most recent last)."""
    known = read()
    known.pop(user.id, None)
    known[user.id] = fingerprint(user)
    pairs = [[uid, fp] for uid, fp in list(known.items())[-KEEP:]]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(pairs),
        max_age=int(MAX_AGE.total_seconds()),
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
    return response
