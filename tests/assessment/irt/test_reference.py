"""Accuracy against published ltm/mirt estimates for LSAT6 and LSAT7 (to 0.01)."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.assessment.irt import FitSettings, ResponseData, fit
from bimo.assessment.irt.engine import Engine
from bimo.assessment.irt.inference import marginal_score

from .reference_data import (
    LTM_LSAT6_2PL_A,
    LTM_LSAT6_2PL_B,
    LTM_LSAT6_RASCH_A,
    LTM_LSAT6_RASCH_B,
    MIRT_LSAT7_2PL_A,
    MIRT_LSAT7_2PL_D,
    lsat6,
    lsat7,
)


def test_data_sizes() -> None:
    assert lsat6().shape == (1000, 5)
    assert lsat7().shape == (1000, 5)


def test_lsat6_2pl_matches_ltm() -> None:
    result = fit(ResponseData.from_array(lsat6()), "2pl")
    assert result.converged
    np.testing.assert_allclose(result.items.b, LTM_LSAT6_2PL_B, atol=0.01)
    np.testing.assert_allclose(result.items.a, LTM_LSAT6_2PL_A, atol=0.01)
    # ltm reports log.Lik = -2466.653 for this model.
    assert result.loglik == pytest.approx(-2466.653, abs=0.01)


def test_lsat6_rasch_and_1pl_match_ltm() -> None:
    data = ResponseData.from_array(lsat6())
    one = fit(data, "1pl")
    np.testing.assert_allclose(one.items.b, LTM_LSAT6_RASCH_B, atol=0.01)
    np.testing.assert_allclose(one.items.a, LTM_LSAT6_RASCH_A, atol=0.01)
    rasch = fit(data, "rasch")
    # Same likelihood; the Rasch latent SD is the 1PL common slope.
    assert rasch.loglik == pytest.approx(one.loglik, abs=1e-6)
    assert np.sqrt(rasch.latent.var[0]) == pytest.approx(LTM_LSAT6_RASCH_A, abs=0.01)
    np.testing.assert_allclose(rasch.items.a, 1.0)
    np.testing.assert_allclose(rasch.items.d[:, 0], one.items.d[:, 0], atol=1e-6)


def test_lsat7_2pl_matches_mirt() -> None:
    result = fit(ResponseData.from_array(lsat7()), "2pl")
    np.testing.assert_allclose(result.items.a, MIRT_LSAT7_2PL_A, atol=0.01)
    np.testing.assert_allclose(result.items.d[:, 0], MIRT_LSAT7_2PL_D, atol=0.01)
    assert result.aic == pytest.approx(-2 * result.loglik + 20)


def test_score_is_zero_at_the_estimate_and_se_methods_agree() -> None:
    data = ResponseData.from_array(lsat7())
    oakes = fit(data, "2pl", FitSettings(se_method="oakes", tol=1e-7))
    engine = Engine(data, ["gpcm"] * 5, free_slope=True, ref_var_free=False)
    x = np.concatenate([oakes.items.a, oakes.items.d[:, 0]])
    assert np.max(np.abs(marginal_score(engine, x))) < 0.05
    cross = fit(data, "2pl", FitSettings(se_method="crossprod"))
    assert oakes.se_method == "oakes" and cross.se_method == "crossprod"
    # Observed and empirical information are asymptotically equal: within 15 % at N = 1000.
    np.testing.assert_allclose(cross.items.se_a, oakes.items.se_a, rtol=0.15)
    np.testing.assert_allclose(cross.items.se_d, oakes.items.se_d, rtol=0.15)


def test_em_without_acceleration_reaches_the_same_optimum() -> None:
    data = ResponseData.from_array(lsat7())
    fast = fit(data, "2pl", FitSettings(se_method="none", persons=False, item_fit=False))
    slow = fit(
        data,
        "2pl",
        FitSettings(accelerate=False, se_method="none", persons=False, item_fit=False),
    )
    assert fast.iterations < slow.iterations
    np.testing.assert_allclose(fast.items.a, slow.items.a, atol=2e-3)
    assert fast.loglik == pytest.approx(slow.loglik, abs=1e-3)
