"""Plausible values recover the generating latent regression (items fixed at true values)."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.assessment.irt import ItemParams, PVSettings, ResponseData, plausible_values
from bimo.assessment.irt.simulate import booklet_mask, draw_items, simulate_responses


def _items(sim_a: np.ndarray, sim_d: np.ndarray) -> ItemParams:
    n = sim_a.size
    return ItemParams(
        names=[f"item{i + 1}" for i in range(n)],
        labels=["2pl"] * n,
        kinds=["gpcm"] * n,
        ncat=np.full(n, 2, dtype=np.int64),
        a=sim_a,
        d=sim_d,
    )


def test_pv_recover_regression_and_variance() -> None:
    rng = np.random.default_rng(21)
    n = 4000
    sim = draw_items(rng, 24)
    x = rng.normal(size=(n, 2))
    theta = 0.2 + 0.5 * x[:, 0] - 0.4 * x[:, 1] + rng.normal(0, 0.8, n)
    scores = simulate_responses(rng, sim, theta).astype(np.float64)
    scores[~booklet_mask(n, 4, 6, 2)] = np.nan  # 12 of 24 items per person
    data = ResponseData.from_array(scores)
    result = plausible_values(_items(sim.a, sim.d), data, x, ["x1", "x2"], PVSettings(seed=1))
    assert result.converged
    assert result.pvs.shape == (n, 10)
    np.testing.assert_allclose(result.coef, [0.2, 0.5, -0.4], atol=0.06)
    assert result.resid_var == pytest.approx(0.64, abs=0.08)
    # Per PV: population mean and variance recovered (EAPs would shrink the variance).
    design = np.column_stack([np.ones(n), x])
    for m in range(10):
        pv = result.pvs[:, m]
        assert pv.mean() == pytest.approx(theta.mean(), abs=0.06)
        assert pv.var() == pytest.approx(theta.var(), abs=0.1)
        coef = np.linalg.lstsq(design, pv, rcond=None)[0]
        np.testing.assert_allclose(coef[1:], [0.5, -0.4], atol=0.08)
    assert result.eap.var() < theta.var() - 0.05
    # PVs differ between draws, and the seed makes them reproducible.
    assert np.std(result.pvs[:, 0] - result.pvs[:, 1]) > 0.2
    again = plausible_values(_items(sim.a, sim.d), data, x, ["x1", "x2"], PVSettings(seed=1))
    np.testing.assert_array_equal(again.pvs, result.pvs)


def test_pv_groups_enter_as_dummies() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    sim = draw_items(rng, 20)
    groups = np.where(np.arange(n) < n // 2, "a", "b")
    theta = np.where(groups == "b", 0.6, 0.0) + rng.normal(0, 1, n)
    scores = simulate_responses(rng, sim, theta)
    data = ResponseData.from_array(scores, groups=list(groups))
    result = plausible_values(
        _items(sim.a, sim.d), data, np.zeros((n, 0)), [], PVSettings(n_pv=5, seed=2)
    )
    assert result.coef_names == ["(Intercept)", "group=b"]
    assert result.coef[1] == pytest.approx(0.6, abs=0.1)
    diff = result.pvs[groups == "b"].mean() - result.pvs[groups == "a"].mean()
    assert diff == pytest.approx(0.6, abs=0.1)
