"""Rotation designs: Youden squares from difference sets, balanced cyclic fallbacks."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bimo.assessment.delivery.design import design_balance, difference_set, rotation_design
from bimo.assessment.delivery.errors import DeliveryError

# (v, k, λ) of cyclic difference sets: classic Youden squares (PISA 2000–2012 used 13 × 4).
KNOWN = [(3, 2, 1), (7, 3, 1), (7, 4, 2), (11, 5, 2), (13, 4, 1), (15, 7, 3), (21, 5, 1),
         (23, 11, 5), (31, 6, 1), (37, 9, 2), (40, 13, 4), (40, 27, 18), (57, 8, 1),
         (59, 29, 14)]  # fmt: skip


@pytest.mark.parametrize(("v", "k", "lam"), KNOWN)
def test_youden_square_is_balanced(v: int, k: int, lam: int) -> None:
    design = rotation_design(v, k)
    balance = design_balance(design)
    assert balance.n_booklets == v
    assert balance.position_balanced and balance.pairs_balanced and balance.balanced
    assert balance.pair_range == (lam, lam)
    # Independently of design_balance: each cluster once per position, each pair λ times.
    for p in range(k):
        assert sorted(b[p] for b in design) == list(range(v))
    for a, b in itertools.combinations(range(v), 2):
        assert sum(a in bk and b in bk for bk in design) == lam


def test_difference_set_property() -> None:
    ds = difference_set(13, 4)
    assert ds is not None
    diffs = sorted((x - y) % 13 for x in ds for y in ds if x != y)
    assert diffs == list(range(1, 13))
    assert difference_set(16, 6) is None  # (16,6,2) designs exist, but none is cyclic
    assert difference_set(8, 3) is None  # 3·2 is not a multiple of 7


@pytest.mark.parametrize(("v", "k"), [(8, 3), (10, 4), (12, 3), (16, 6), (9, 4), (40, 8)])
def test_without_difference_set_positions_stay_balanced(v: int, k: int) -> None:
    balance = design_balance(rotation_design(v, k))
    assert balance.position_balanced and not balance.pairs_balanced
    low, high = balance.pair_range
    # The pair counts of a cyclic design are as even as the offsets allow: never more
    # than a spread of 2 for these sizes, and every cluster meets most others.
    assert high - low <= 2
    assert high <= (k * (k - 1)) // (v - 1) + 2


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 24).flatmap(lambda v: st.tuples(st.just(v), st.integers(1, v))))
def test_every_design_is_position_balanced(vk: tuple[int, int]) -> None:
    v, k = vk
    design = rotation_design(v, k)
    assert len(design) == v and all(len(set(b)) == k for b in design)
    balance = design_balance(design)
    assert balance.position_balanced
    assert all(row == (1,) * k for row in balance.position_counts)


def test_latin_square_when_every_cluster_is_in_every_booklet() -> None:
    design = rotation_design(4, 4)
    assert design == [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]]
    assert design_balance(design).balanced


def test_design_balance_detects_imbalance() -> None:
    unbalanced = [[0, 1], [0, 2], [0, 1]]
    balance = design_balance(unbalanced)
    assert not balance.position_balanced and not balance.pairs_balanced
    assert balance.position_counts[0] == (3, 0)
    assert balance.pair_counts == {(0, 1): 2, (0, 2): 1, (1, 2): 0}


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ([], "leer"),
        ([[0, 1], [1]], "gleich viele"),
        ([[0, 0]], "mehrfach"),
        ([[0, 2]], "lückenlos"),
    ],
)
def test_design_balance_rejects_malformed(design: list[list[int]], message: str) -> None:
    with pytest.raises(DeliveryError, match=message):
        design_balance(design)


@pytest.mark.parametrize(("v", "k"), [(0, 1), (61, 3), (5, 0), (5, 6)])
def test_rotation_design_rejects_bad_sizes(v: int, k: int) -> None:
    with pytest.raises(DeliveryError):
        rotation_design(v, k)
