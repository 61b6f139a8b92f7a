"""File names of downloads in the user's language, and the header that carries them.

A name is made of words (the kind of table: "members", "register") and neutral parts (a
group code, an ISO date). The words are translated: a Vietnamese user saves
"thành-viên_HUE-N001_2026-12-07.csv", an English one "members_HUE-N001_2026-12-07.csv".
The header gives browsers both (RFC 6266 / RFC 5987): `filename="thanh-vien_…"`, plain
ASCII for old clients, and `filename*=UTF-8''th%C3%A0nh-vi%C3%AAn_…` with the letters.
Every download goes through `attachment`; tests/test_downloads.py checks that none sets its
own Content-Disposition.
"""

import re
import unicodedata
from urllib.parse import quote

from flask_babel import lazy_pgettext

WORDS = {
    "groups": lazy_pgettext("file name", "groups"),
    "members": lazy_pgettext("file name", "members"),
    "attendance": lazy_pgettext("file name", "attendance"),
    "grants": lazy_pgettext("file name", "grants"),
    "payments": lazy_pgettext("file name", "payments"),
    "visits": lazy_pgettext("file name", "follow-up visits"),
    "register": lazy_pgettext("file name", "attendance register"),
    "indicators": lazy_pgettext("file name", "indicators"),
    "group": lazy_pgettext("file name", "group"),
    "commune": lazy_pgettext("file name", "commune"),
    "province": lazy_pgettext("file name", "province"),
    "nation": lazy_pgettext("file name", "whole country"),
    "mine": lazy_pgettext("file name", "my groups"),
    "template": lazy_pgettext("file name", "template"),
    "check": lazy_pgettext("file name", "check"),
    "report": lazy_pgettext("file name", "report"),  # the donor report (protected figures)
}
_NOT_IN_NAME = re.compile(r"[^\w-]+")  # \w: letters of any language, digits, "_"
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def file_name(*parts, ext: str) -> str:
    """parts joined by "_", each word of WORDS in the user's language, spaces as "-"."""
    pieces = []
    for part in parts:
        text = unicodedata.normalize("NFC", str(WORDS.get(part, part) if part else ""))
        if piece := _NOT_IN_NAME.sub("-", text.replace("_", "-")).strip("-"):
            pieces.append(piece)
    return f"{'_'.join(pieces)[:100] or 'export'}.{ext}"


def ascii_name(name: str) -> str:
    """The name without diacritics, for clients that only read filename=: thanh-vien.csv."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _NOT_ASCII_NAME.sub("-", plain.encode("ascii", "ignore").decode()).strip("-")


def attachment(name: str) -> str:
    """The Content-Disposition of a download named `name` (from file_name)."""
    return (
        f'attachment; filename="{ascii_name(name) or "export"}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
