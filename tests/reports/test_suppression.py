"""Small-cell suppression: nothing under 5 shown, nor can it be worked out."""

from itertools import product

import pytest

from reports.suppression import (
    HIDDEN,
    suppress_amount,
    suppress_count,
    suppress_parts,
    suppress_share,
    suppress_statistic,
)


def test_counts_under_five_are_hidden():
    assert [suppress_count(n) for n in (0, 1, 4, 5, 12)] == [HIDDEN, HIDDEN, HIDDEN, 5, 12]


def test_one_hidden_part_takes_the_smallest_other_with_it():
    total, parts = suppress_parts([3, 20, 9])
    assert total == 32
    assert parts == [HIDDEN, 20, HIDDEN]


def test_two_hidden_parts_are_enough():
    assert suppress_parts([3, 2, 40]) == (45, [HIDDEN, HIDDEN, 40])
    assert suppress_parts([1, 0, 40]) == (41, [HIDDEN, HIDDEN, HIDDEN])


def test_a_small_total_hides_everything():
    assert suppress_parts([2, 2]) == (HIDDEN, [HIDDEN, HIDDEN])


def test_nothing_hidden_when_all_are_large():
    assert suppress_parts([5, 6, 7]) == (18, [5, 6, 7])


def test_a_total_given_that_differs_from_the_sum():
    # Members by category add up to the members counted; pass that total.
    assert suppress_parts([10, 1], total=11) == (11, [HIDDEN, HIDDEN])


@pytest.mark.parametrize("parts", [list(p) for p in product((0, 1, 4, 5, 9), repeat=3)])
def test_no_hidden_part_can_be_worked_out_from_the_rest(parts):
    total, shown = suppress_parts(parts)
    if total is HIDDEN:
        assert all(v is HIDDEN for v in shown)
        return
    hidden = [i for i, v in enumerate(shown) if v is HIDDEN]
    assert len(hidden) != 1  # one hidden cell is the total less the others
    if hidden and len(hidden) < len(parts):
        assert sum(parts[i] for i in hidden) >= 5  # not "both are 0", nor "one is 1"
    for i, v in enumerate(shown):
        assert v is HIDDEN or v >= 5
        if parts[i] < 5:
            assert v is HIDDEN


def test_amounts_and_shares_over_few_cases_are_hidden():
    assert suppress_amount(9_000_000, 3) is HIDDEN
    assert suppress_amount(9_000_000, 5) == 9_000_000
    assert suppress_share(0.5, 2, 4) is HIDDEN and suppress_share(0.5, 4, 8) is HIDDEN
    assert suppress_share(0.5, 5, 10) == 0.5
    assert suppress_share(0.1, 1, 10) is HIDDEN  # the numerator is small
    assert suppress_statistic(14, 4) is HIDDEN and suppress_statistic(14, 5) == 14


def test_one_mark_for_every_hidden_cell_and_it_is_not_a_count():
    assert str(HIDDEN) == "[c]"
    _total, shown = suppress_parts([42, 3])  # 42 is hidden with 3: it is not "<5"
    assert shown == [HIDDEN, HIDDEN] and all(str(v) == "[c]" for v in shown)
