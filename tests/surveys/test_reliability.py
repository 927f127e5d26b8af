from __future__ import annotations

import numpy as np
import pytest

from bimo.surveys import (
    ReliabilityError,
    alpha_ci_feldt,
    alpha_from_covariance,
    cronbach_alpha,
    fit_one_factor,
    item_statistics,
    mcdonald_omega,
    omega_from_covariance,
)

TINY = np.array([[1, 2, 3], [2, 2, 4], [3, 4, 4], [4, 3, 5]], dtype=float)


def test_alpha_on_tiny_matrix_equals_hand_computation() -> None:
    # Item variances 5/3, 11/12, 2/3 (sum 39/12); sums 6, 8, 11, 12 have variance 91/12;
    # α = 3/2 · (1 − 39/91) = 6/7.
    assert cronbach_alpha(TINY) == pytest.approx(6 / 7, abs=1e-12)


def test_alpha_uses_complete_rows_and_rejects_degenerate_input() -> None:
    with_missing = np.vstack([TINY, [np.nan, 1, 1]])
    assert cronbach_alpha(with_missing) == pytest.approx(6 / 7)
    with pytest.raises(ReliabilityError, match="mindestens drei"):
        cronbach_alpha(TINY[:2])
    with pytest.raises(ReliabilityError, match="mindestens zwei Items"):
        cronbach_alpha(TINY[:, :1])


def test_item_statistics_hand_checked() -> None:
    stats = item_statistics(TINY, ["a", "b", "c"])
    assert [s.mean for s in stats] == pytest.approx([2.5, 2.75, 4.0])
    assert stats[0].sd == pytest.approx(np.sqrt(5 / 3))
    rest = TINY[:, 1] + TINY[:, 2]
    assert stats[0].item_total == pytest.approx(np.corrcoef(TINY[:, 0], rest)[0, 1])
    assert stats[0].alpha_if_deleted == pytest.approx(cronbach_alpha(TINY[:, 1:]))
    assert item_statistics(TINY[:, :2], ["a", "b"])[0].alpha_if_deleted is None


def test_feldt_interval_contains_estimate_and_narrows_with_n() -> None:
    lo, hi = alpha_ci_feldt(0.8, 100, 5)
    assert lo < 0.8 < hi
    lo2, hi2 = alpha_ci_feldt(0.8, 1000, 5)
    assert hi2 - lo2 < (hi - lo) / 2


def test_one_factor_fit_recovers_exact_loadings() -> None:
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4])
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1.0)
    fit = fit_one_factor(corr)
    assert fit.converged
    assert fit.loadings == pytest.approx(lam, abs=1e-4)


def test_omega_equals_alpha_for_parallel_items_and_exceeds_it_for_congeneric() -> None:
    parallel = np.full((4, 4), 0.36) + np.eye(4) * 0.64
    assert omega_from_covariance(parallel) == pytest.approx(alpha_from_covariance(parallel))
    lam = np.array([0.9, 0.8, 0.4, 0.3])
    cong = np.outer(lam, lam) + np.diag(1 - lam**2)
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert omega_from_covariance(cong) == pytest.approx(expected, abs=1e-4)
    assert omega_from_covariance(cong) > alpha_from_covariance(cong)


def test_omega_on_sample_is_close_to_generating_one() -> None:
    rng = np.random.default_rng(5)
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    n = 4000
    x = rng.standard_normal((n, 1)) * lam + rng.standard_normal((n, 4)) * np.sqrt(1 - lam**2)
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    # SE of ω at n = 4000 is about 0.005; 0.02 is four standard errors.
    assert mcdonald_omega(x) == pytest.approx(expected, abs=0.02)
