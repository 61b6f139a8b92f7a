"""The scoring rules (support/scoring.py), checked against examples worked by hand."""

from support import scoring
from support.models.screening import AnswerOption, Dimension, Question, Screening, SupportType

E, S, P = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL


def answer(dimension, weight, value, suggests=None):
    question = Question(dimension=dimension, weight=weight)
    return question, AnswerOption(value=value, suggests=suggests)


def test_weighted_average_per_dimension_worked_by_hand():
    # economic: (2×50 + 1×100) / (100 × 3) = 200/300 = 0.667
    # social:   (1×0 + 1×100) / 200 = 0.5
    # psychosocial: (2×67 + 1×33) / 300 = 167/300 = 0.557
    result = scoring.score(
        [
            answer(E, 2, 50),
            answer(E, 1, 100),
            answer(S, 1, 0),
            answer(S, 1, 100),
            answer(P, 2, 67),
            answer(P, 1, 33),
        ]
    )
    assert result.scores == {E: 0.667, S: 0.5, P: 0.557}


def test_a_dimension_without_answers_has_no_score_not_zero():
    result = scoring.score([answer(E, 1, 100)])
    assert result.scores == {E: 1.0, S: None, P: None}


def test_suggestions_come_from_answers_and_low_scores_each_once_in_order():
    # economic (1×40)/100 = 0.4 < 0.5: a livelihood grant, also suggested by the answer;
    # psychosocial 0.6: no psychosocial support; the legal answer suggests legal aid.
    result = scoring.score(
        [
            answer(E, 1, 40, SupportType.LIVELIHOOD),
            answer(S, 1, 0, SupportType.LEGAL),
            answer(P, 1, 60),
        ]
    )
    assert result.suggested == [SupportType.LIVELIHOOD, SupportType.LEGAL]


def test_low_wellbeing_suggests_psychosocial_support():
    # psychosocial (1×0 + 1×67)/200 = 0.335 < 0.5
    result = scoring.score([answer(P, 1, 0), answer(P, 1, 67)])
    assert result.scores[P] == 0.335
    assert result.suggested == [SupportType.PSYCHOSOCIAL]


def test_exactly_at_the_threshold_suggests_nothing():
    assert scoring.score([answer(E, 1, 50)]).suggested == []


def test_change_is_later_minus_earlier_per_dimension():
    earlier = Screening(economic=0.4, social=0.5, psychosocial=None)
    later = Screening(economic=0.667, social=0.25, psychosocial=0.8)
    assert scoring.change(earlier, later) == {E: 0.267, S: -0.25, P: None}


def test_no_earlier_screening_means_no_change():
    assert scoring.change(None, Screening(economic=1.0)) == {E: None, S: None, P: None}
