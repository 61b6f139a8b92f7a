"""Seeded random rounding (reports.suppression): what each published figure can say."""

from collections import Counter

import pytest

from reports.suppression import HIDDEN, Protection

HOW = Protection(key=b"test key")


@pytest.mark.parametrize("value", range(0, 60))
def test_a_count_is_a_multiple_of_five_at_most_four_away(value):
    shown = HOW.count(value, "joined")
    assert shown % 5 == 0 and abs(shown - value) <= 4
    if 1 <= value <= 4:
        assert shown != value  # a small count never appears as itself
    assert HOW.count(value, "joined") == shown  # the same people, the same figure


def test_the_rounding_is_unbiased_over_cells():
    """3 is rounded up in about 3 cells of 5, down in the others."""
    ups = Counter(HOW.count(3, f"cell {i}") for i in range(4000))
    assert set(ups) == {0, 5}
    assert 0.55 < ups[5] / 4000 < 0.65


def test_another_key_rounds_differently_and_none_stays_none():
    other = Protection(key=b"another key")
    cells = [f"c{i}" for i in range(200)]
    assert [HOW.count(7, c) for c in cells] != [other.count(7, c) for c in cells]
    assert HOW.count(None, "joined") is None


def test_amounts_are_rounded_to_the_amount_base_and_hidden_over_few_grants():
    assert HOW.amount(13_000_000, 3, "approved_vnd") is HIDDEN
    shown = HOW.amount(13_000_000, 5, "approved_vnd")
    assert shown in (10_000_000, 15_000_000)
    assert HOW.amount(13_000_000, 5, "approved_vnd") == shown


def test_shares_are_of_rounded_counts_and_hidden_when_either_is_small():
    assert HOW.share(2, 40, "attendance") is HIDDEN  # the numerator is small
    assert HOW.share(4, 4, "attendance") is HIDDEN
    share = HOW.share(17, 23, "attendance")
    num, den = HOW.count(17, "attendance:numerator"), HOW.count(23, "attendance:denominator")
    assert share == num / den
    assert HOW.share(9, 9, "x") <= 1


def test_medians_need_enough_values():
    assert HOW.statistic(14, 4) is HIDDEN and HOW.statistic(14, 5) == 14
    assert HOW.statistic(5_340_000, 5, "vnd") == 5_300_000


def test_one_mark_for_every_hidden_cell_and_it_is_not_a_count():
    assert str(HIDDEN) == "[c]"


def test_the_parameters_recorded_never_hold_the_key():
    assert "key" not in HOW.parameters() and b"test key" not in repr(HOW.parameters()).encode()


@pytest.mark.parametrize("threshold", [0, 2, "x"])
def test_a_threshold_under_three_stops_the_app_with_a_message(threshold, tmp_path):
    from app import create_app

    with pytest.raises(SystemExit, match="DISCLOSURE_THRESHOLD"):
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "x",
                "DISCLOSURE_THRESHOLD": threshold,
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3",
            }
        )
