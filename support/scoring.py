"""The scoring rules of a screening, in one place.

Each answer option has a value from 0 (most in need) to 100 (doing well); each question
counts towards one dimension (economic, social, psychosocial) with a whole-number weight.

    score(dimension) = sum(weight × value) / (100 × sum(weight))

over the questions of that dimension that were answered, rounded to 3 decimals, so 0 is
the greatest need and 1 is doing well; a dimension with no answered question has no
score (None), never 0. Worked example (tests/support/test_scoring.py): economic questions
"income" (weight 2) answered with value 50 and "housing" (weight 1) answered with value
100 give (2×50 + 1×100) / (100 × 3) = 200/300 = 0.667.

Suggested support types: every type named by a chosen option (`AnswerOption.suggests`),
plus a livelihood grant when the economic score is below LOW and psychosocial support
when the psychosocial score is below LOW; listed in SupportType order, each once.

Change: a later screening of the same member is compared with the one before it,
dimension by dimension (later minus earlier, 3 decimals): positive means better off.
A dimension without a score on either side has no change (None).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from support.models.screening import AnswerOption, Dimension, Question, Screening, SupportType

LOW = 0.5


@dataclass(frozen=True)
class Result:
    scores: dict[Dimension, float | None]
    suggested: list[SupportType]


def score(answers: Iterable[tuple[Question, AnswerOption]]) -> Result:
    """Score (question, chosen option) pairs as the module docstring says."""
    totals = {d: [0, 0] for d in Dimension}  # weighted values, weights
    suggested: set[SupportType] = set()
    for question, option in answers:
        total = totals[question.dimension]
        total[0] += question.weight * option.value
        total[1] += question.weight
        if option.suggests:
            suggested.add(SupportType(option.suggests))
    scores = {
        d: (round(points / (100 * weights), 3) if weights else None)
        for d, (points, weights) in totals.items()
    }
    economic, psychosocial = scores[Dimension.ECONOMIC], scores[Dimension.PSYCHOSOCIAL]
    if economic is not None and economic < LOW:
        suggested.add(SupportType.LIVELIHOOD)
    if psychosocial is not None and psychosocial < LOW:
        suggested.add(SupportType.PSYCHOSOCIAL)
    return Result(scores, [t for t in SupportType if t in suggested])


def change(earlier: Screening | None, later: Screening) -> dict[Dimension, float | None]:
    """Later minus earlier per dimension; None where either has no score."""
    out: dict[Dimension, float | None] = {}
    for d in Dimension:
        before = earlier.score(d) if earlier is not None else None
        after = later.score(d)
        out[d] = None if before is None or after is None else round(after - before, 3)
    return out
