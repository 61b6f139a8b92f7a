"""Small-cell suppression for figures that leave the app (the donor report and its file).

A count under the threshold could point at a person in a small commune, so it is shown
as "<5". When counts add up to a total that is shown, hiding one of them is not enough:
it is the total less the others. So when exactly one count of such a set is hidden,
the smallest other one is hidden as well. Pure functions, no database: the exports'
file version reuses them.
"""

from collections.abc import Sequence

THRESHOLD = 5
HIDDEN = None  # what a suppressed cell becomes; shown as "<5"


def suppress_count(value: int, threshold: int = THRESHOLD) -> int | None:
    """The count, or HIDDEN when it is under the threshold (0 included)."""
    return HIDDEN if value < threshold else value


def suppress_parts(
    parts: Sequence[int], total: int | None = None, threshold: int = THRESHOLD
) -> tuple[int | None, list[int | None]]:
    """(total, parts) with every count under the threshold hidden and, since the total is
    shown, more parts hidden (the smallest first) until the hidden ones are at least two
    and add up to at least the threshold: none can then be worked out.

    The total defaults to the sum of the parts; a hidden total hides every part."""
    total = sum(parts) if total is None else total
    if total < threshold:
        return HIDDEN, [HIDDEN] * len(parts)
    shown: list[int | None] = [suppress_count(p, threshold) for p in parts]
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


def suppress_amount(amount: int | None, count: int, threshold: int = THRESHOLD) -> int | None:
    """An amount of money over `count` people or grants: hidden with a small count, since
    one grant's amount could be read from it."""
    return HIDDEN if amount is None or count < threshold else amount


def suppress_share(share: float | None, base: int, threshold: int = THRESHOLD) -> float | None:
    """A share computed over `base` cases: hidden when the base is small."""
    return HIDDEN if share is None or base < threshold else share
