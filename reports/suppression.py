"""Small-cell suppression for figures that leave the app (the donor report and its files).

A count under the threshold could point at a person in a small commune, so it is hidden.
When counts add up to a total that is shown, hiding one of them is not enough: it is the
total less the others. So when exactly one count of such a set is hidden, the smallest
other one is hidden as well (a complement).

Every hidden cell, small or complement, shows one mark, HIDDEN ("[c]", as the Office for
National Statistics marks confidential cells): it says "hidden to protect people", never
"<5", which would be false for a complement of 42. The legend (LEGEND) says so under
every table and in the notes of every file, in Vietnamese and English.

Amounts, shares, medians and means are never shown as counts:
- an amount of money is hidden (same mark) when the grants or values it adds up are
  fewer than the threshold;
- a share is hidden when its numerator or its denominator would be;
- a median or a mean is published only when computed over at least the threshold of
  actual values (the incomes themselves, the days themselves, not the visits due).

Pure functions, no database: the page and its files use the same cells.
"""

from collections.abc import Sequence

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from reports.exports import Mark

THRESHOLD = 5
HIDDEN = Mark("[c]")  # what a suppressed cell becomes, on the page and in the files
LEGEND = _l(
    "[c] hidden to protect people: a number under %(threshold)s, or a figure from which "
    "one could be worked out. An amount, a share or a median is hidden when it is over "
    "fewer than %(threshold)s grants, visits or values.",
    threshold=THRESHOLD,
)
LANGUAGES = ("vi", "en")


def legend() -> list[tuple[str, str]]:
    """(language, text) of the legend in Vietnamese and in English, whatever the user's
    language: the report goes to readers of either."""
    out = []
    for language in LANGUAGES:
        with force_locale(language):
            out.append((language, str(LEGEND)))
    return out


def suppress_count(value: int, threshold: int = THRESHOLD):
    """The count, or HIDDEN when it is under the threshold (0 included)."""
    return HIDDEN if value < threshold else value


def suppress_parts(parts: Sequence[int], total: int | None = None, threshold: int = THRESHOLD):
    """(total, parts) with every count under the threshold hidden and, since the total is
    shown, more parts hidden (the smallest first) until the hidden ones are at least two
    and add up to at least the threshold: none can then be worked out.

    The total defaults to the sum of the parts; a hidden total hides every part."""
    total = sum(parts) if total is None else total
    if total < threshold:
        return HIDDEN, [HIDDEN] * len(parts)
    shown: list = [suppress_count(p, threshold) for p in parts]
    while True:
        hidden = [i for i, v in enumerate(shown) if v is HIDDEN]
        others = [i for i, v in enumerate(shown) if v is not HIDDEN]
        # Safe when nothing is hidden, or the hidden cells share a sum of at least the
        # threshold between two or more of them (or every cell is hidden).
        if not hidden or not others:
            break
        if len(hidden) > 1 and sum(parts[i] for i in hidden) >= threshold:
            break
        shown[min(others, key=lambda i: (parts[i], i))] = HIDDEN
    return total, shown


def suppress_amount(amount, count: int, threshold: int = THRESHOLD):
    """An amount of money over `count` grants or payments: hidden when they are few,
    since one grant's amount could be read from it."""
    return HIDDEN if count < threshold else amount


def suppress_share(share, numerator: int, denominator: int, threshold: int = THRESHOLD):
    """A share numerator/denominator: hidden when either count would be hidden."""
    return HIDDEN if numerator < threshold or denominator < threshold else share


def suppress_statistic(value, values: int, threshold: int = THRESHOLD):
    """A median or a mean over `values` actual values: hidden when they are too few."""
    return HIDDEN if values < threshold else value
