"""Disclosure control for every figure that leaves the case team: the donor report, its
files, and the indicator downloads meant for sharing.

Why not cell suppression. Hiding small cells protects one table at a time; a reader who
may choose provinces and periods freely subtracts two tables (Cần Thơ January–June minus
January–May) and reads the hidden cell anyway. Issue 21's attacker recovered 1,791 hidden
cells of the demo that way. Whatever a user may still filter is therefore perturbed, not
suppressed.

The method: seeded random rounding to base 5 (the simpler variant the issue accepts beside
the cell key method; ONS used random rounding for the 2001 census and for its tables of
small areas, Statistics New Zealand and Statistics Canada publish census counts randomly
rounded to base 3 or 5; the ABS TableBuilder's cell key method is the same idea with a
record key per person). A count n = 5q + r is published as 5q + 5 with probability r/5
and as 5q otherwise, so it is unbiased and never more than 4 away. The coin is not
random at each request: it is HMAC-SHA256 of the disclosure key, the cell (which figure,
which breakdown) and n. So:

- the same people (the same true value) in the same cell always give the same published
  number, in every release, however the filters were chosen: asking again, or asking a
  wider period that adds nobody, teaches nothing new (the averaging attack needs fresh
  noise, and there is none);
- every published count is a multiple of 5, so any sum or difference of published counts
  (+/-1 coefficients, any number of releases) is a multiple of 5 and never equals a true
  count of 1–4: differencing gives noise, not people. Bounds do not pin one either: a
  published count P says the true one is within P ± 4 (0–4 for P = 0); combining k other
  releases gives a window C ± 4k with C a multiple of 5, and two such windows can close
  on a single value only when 4k + 4 is a multiple of 5 (k = 4): a cell cannot be pinned
  from itself and up to three other releases (tests/reports/test_disclosure_attack.py
  tries every pair and triple on generated data);
- totals are rounded on their own: tables do not add up exactly, and the legend says so.

The disclosure key is the setting DISCLOSURE_KEY, or derived from SECRET_KEY when unset:
a reader who does not have it cannot tell which way a value was rounded. Changing it
changes every published figure: set it once for a deployment.

Amounts of money are randomly rounded the same way to DISCLOSURE_AMOUNT_BASE đồng
(5,000,000 by default): the difference of two sums then no longer gives one grant's
amount. Shares are computed from the rounded numerator and denominator. Amounts, shares,
medians and means are also hidden (HIDDEN, "[c]", as the ONS marks a confidential cell)
when they are over fewer than DISCLOSURE_THRESHOLD values (5 by default, never under 3):
a median of one income is that income. "[c]" is the only mark; it never says "<5".

Frozen releases (reports/pages/releases.py) store what this module published, so an approved
report does not move when data entered later would round differently.

Exact figures leave only through the audited internal export with a reason
(/progress/export/internal). tests/reports/test_disclosure_routes.py finds every download
route in app.url_map and holds each to being protected here, that export, or a file of
records; tests/reports/attacker.py attacks every column of every aggregate output (the
donor page, CSV and XLSX, both columns of the indicator export, the frozen releases).

Pure functions, no database: the page, its files and a stored release use the same cells.
"""

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import lazy_gettext as _l

from reports.exports import Mark

THRESHOLD = 5  # the default; the setting is DISCLOSURE_THRESHOLD
HIDDEN = Mark("[c]")  # what a hidden cell becomes, on the page and in the files
LANGUAGES = ("vi", "en")
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language
LEGEND = _l(
    "Every number of people, groups, meetings, grants or visits is rounded at random to a "
    "multiple of %(base)s (0 can be 1 to 4), the same way each time for the same people, so "
    "that no one can be worked out by comparing reports; totals are rounded on their own "
    "and may differ from the sum of their parts. Amounts are rounded to a multiple of "
    "%(amount_base)s đồng; shares are computed from rounded numbers. [c]: hidden to "
    "protect people, because the amount, share or median is over fewer than "
    "%(threshold)s grants, visits or values."
)
METHOD = _l(
    "Seeded random rounding: counts to base %(base)s, amounts to base %(amount_base)s đồng; "
    "shares from rounded counts; amounts, shares and medians over fewer than "
    "%(threshold)s values hidden."
)


@dataclass(frozen=True)
class Protection:
    """The parameters of the method: the threshold for amounts, shares and medians, the
    rounding bases, and the key that makes the rounding the same for the same people."""

    threshold: int = THRESHOLD
    base: int = 5
    amount_base: int = 5_000_000
    key: bytes = b""

    @classmethod
    def from_config(cls, config=None) -> "Protection":
        config = current_app.config if config is None else config
        key = (
            config.get("DISCLOSURE_KEY")
            or hmac.new(
                str(config.get("SECRET_KEY", "")).encode(), b"disclosure", hashlib.sha256
            ).hexdigest()
        )
        return cls(
            threshold=int(config.get("DISCLOSURE_THRESHOLD", THRESHOLD)),
            base=int(config.get("DISCLOSURE_ROUNDING_BASE", 5)),
            amount_base=int(config.get("DISCLOSURE_AMOUNT_BASE", 5_000_000)),
            key=str(key).encode(),
        )

    def parameters(self) -> dict:
        """What a release records of the method (never the key)."""
        return {
            "method": "seeded random rounding",
            "threshold": self.threshold,
            "base": self.base,
            "amount_base": self.amount_base,
        }

    def texts(self) -> dict:
        return {
            "threshold": self.threshold,
            "base": self.base,
            "amount_base": format_decimal(self.amount_base),
        }

    def _round(self, value: int, base: int, cell: str) -> int:
        low, rest = divmod(int(value), base)
        if not rest:
            return int(value)
        digest = hmac.new(self.key, f"{cell}\x1f{int(value)}".encode(), hashlib.sha256)
        coin = int.from_bytes(digest.digest()[:8], "big") / 2**64
        return (low + (coin < rest / base)) * base

    def count(self, value, cell: str):
        """A count as published: a multiple of the base, the same for the same value in
        the same cell. None (no data) stays None."""
        return None if value is None else self._round(round(value), self.base, cell)

    def amount(self, value, count: int, cell: str):
        """An amount of money over `count` grants or payments: hidden when they are
        fewer than the threshold, else rounded to the amount base."""
        if count < self.threshold:
            return HIDDEN
        return None if value is None else self._round(round(value), self.amount_base, cell)

    def share(self, numerator: int, denominator: int, cell: str, parts=(None, None)):
        """numerator/denominator from the rounded counts; hidden when either is under
        the threshold (a share of 1 of 3 is a person). `parts` names the cells of the
        numerator and denominator when they are published counts too, so that they are
        rounded as there: a second rounding of one count would be a second look at it."""
        if numerator < self.threshold or denominator < self.threshold:
            return HIDDEN
        num = self.count(numerator, parts[0] or f"{cell}:numerator")
        den = self.count(denominator, parts[1] or f"{cell}:denominator")
        return min(1.0, num / den)

    def statistic(self, value, values: int, unit: str = ""):
        """A median or a mean over `values` actual values: hidden when they are fewer than
        the threshold; an amount to the nearest 100,000 đồng."""
        if values < self.threshold:
            return HIDDEN
        if value is None or unit != "vnd":
            return value
        return round(value / 100_000) * 100_000


STATISTICS = ("income_6", "planned_income_6")  # medians in đồng, not sums
# Shares whose numerator or denominator is a count published as a figure of its own.
SHARE_PARTS = {
    "timeliness": (None, "meetings_held"),
    "completeness": (None, "meetings_expected"),
    "visits_on_time": (None, "visits_due"),
    "plan_reviews_on_time": (None, "plan_reviews_due"),
}


def protect_figure(figure, figures: dict, how: Protection):
    """A figure of reports.definitions as published: rounded, HIDDEN, or None (no data).
    `figures` carries the bases (what each share, amount and median is over); one whose
    base is not known is hidden: never shown exact."""
    value = figures.get(figure.key)
    base = figures.get("bases", {}).get(figure.key)
    if figure.kind == "count":
        return how.count(value, figure.key)
    if base is None:
        return HIDDEN
    if figure.kind == "percent":
        return how.share(*base, figure.key, SHARE_PARTS.get(figure.key, (None, None)))
    if figure.kind == "vnd" and figure.key not in STATISTICS:
        return how.amount(value, base, figure.key)
    return how.statistic(value, base, figure.kind)


def protection() -> Protection:
    """The deployment's parameters (app.config)."""
    return Protection.from_config()


def legend(protect: Protection | None = None) -> list[tuple[str, str]]:
    """(language, text) of the legend in Vietnamese and in English, whatever the user's
    language: the report goes to readers of either."""
    protect = protect or protection()
    out = []
    for language in LANGUAGES:
        with force_locale(language):
            out.append((language, str(LEGEND % protect.texts())))
    return out


def method(protect: Protection | None = None) -> str:
    protect = protect or protection()
    return str(METHOD % protect.texts())
