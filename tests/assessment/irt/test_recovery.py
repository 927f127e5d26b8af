"""Parameter recovery on simulated data: bias, SE coverage, booklets, groups, weights."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.assessment.irt import FitSettings, ResponseData, fit
from bimo.assessment.irt.simulate import (
    booklet_mask,
    draw_items,
    simulate_responses,
)

FAST = FitSettings(persons=False, item_fit=False, se_method="none")


@pytest.mark.parametrize(("n_persons", "n_items"), [(1500, 10), (3000, 20)])
def test_2pl_unbiased_with_nominal_se_coverage(n_persons: int, n_items: int) -> None:
    rng = np.random.default_rng(n_persons + n_items)
    items = draw_items(rng, n_items)
    hits, errors_a, errors_d = [], [], []
    for _ in range(5):
        scores = simulate_responses(rng, items, rng.normal(size=n_persons))
        result = fit(ResponseData.from_array(scores), "2pl", FitSettings(persons=False))
        assert result.converged
        errors_a.append(result.items.a - items.a)
        errors_d.append(result.items.d[:, 0] - items.d[:, 0])
        hits.append(np.abs(result.items.a - items.a) <= 1.96 * result.items.se_a)
        hits.append(np.abs(result.items.d[:, 0] - items.d[:, 0]) <= 1.96 * result.items.se_d[:, 0])
    coverage = float(np.mean(hits))
    assert 0.88 <= coverage <= 0.995, coverage
    # Mean error over items × replications is small relative to the sampling error.
    assert abs(float(np.mean(errors_a))) < 0.05
    assert abs(float(np.mean(errors_d))) < 0.05


def test_booklet_rasch_recovers_items_and_variance() -> None:
    rng = np.random.default_rng(7)
    items = draw_items(rng, 30, slopes=False)
    theta = rng.normal(0.0, 1.2, 4000)
    scores = simulate_responses(rng, items, theta).astype(np.float64)
    mask = booklet_mask(4000, n_clusters=6, cluster_size=5, clusters_per_booklet=2)
    scores[~mask] = np.nan  # not administered (booklet rotation)
    result = fit(ResponseData.from_array(scores), "rasch", FitSettings(persons=True))
    rmse = float(np.sqrt(np.mean((result.items.d[:, 0] - items.d[:, 0]) ** 2)))
    assert rmse < 0.12
    assert result.latent.var[0] == pytest.approx(1.44, abs=0.12)
    coverage = np.mean(
        np.abs(result.items.d[:, 0] - items.d[:, 0]) <= 1.96 * result.items.se_d[:, 0]
    )
    assert coverage >= 0.8
    assert result.persons is not None
    # Each person answered 10 items: WLE reliability clearly below EAP-based bound of 1.
    assert 0.4 < result.persons.wle_reliability < 0.9
    assert 0.4 < result.persons.eap_reliability < 0.9
    assert np.corrcoef(result.persons.eap, theta)[0, 1] > 0.7


def test_multigroup_means_and_variances() -> None:
    rng = np.random.default_rng(11)
    items = draw_items(rng, 20)
    theta = np.concatenate([rng.normal(0.0, 1.0, 2500), rng.normal(0.5, 1.2, 2500)])
    groups = ["a"] * 2500 + ["b"] * 2500
    scores = simulate_responses(rng, items, theta)
    result = fit(ResponseData.from_array(scores, groups=groups), "2pl", FAST)
    assert result.latent.labels == ["a", "b"]
    assert result.latent.mean[0] == 0.0 and result.latent.var[0] == 1.0
    assert result.latent.mean[1] == pytest.approx(0.5, abs=0.1)
    assert result.latent.var[1] == pytest.approx(1.44, abs=0.2)
    summary = result.summary()
    assert isinstance(summary["latent_mean"], dict) and set(summary["latent_mean"]) == {"a", "b"}


def test_case_weights_equal_duplicated_rows() -> None:
    rng = np.random.default_rng(3)
    items = draw_items(rng, 8)
    scores = simulate_responses(rng, items, rng.normal(size=600))
    weights = np.where(np.arange(600) % 3 == 0, 2.0, 1.0)
    weighted = fit(ResponseData.from_array(scores, weights=weights), "2pl", FAST)
    duplicated = np.concatenate([scores, scores[weights == 2.0]])
    plain = fit(ResponseData.from_array(duplicated), "2pl", FAST)
    np.testing.assert_allclose(weighted.items.a, plain.items.a, atol=1e-4)
    np.testing.assert_allclose(weighted.items.d, plain.items.d, atol=1e-4)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-9)


@pytest.mark.parametrize("model", ["gpcm", "grm"])
def test_polytomous_recovery(model: str) -> None:
    rng = np.random.default_rng(5)
    kind = "grm" if model == "grm" else "gpcm"
    items = draw_items(rng, 10, ncat=4, kind=kind)
    scores = simulate_responses(rng, items, rng.normal(size=3000))
    result = fit(ResponseData.from_array(scores), model, FitSettings(persons=False))  # type: ignore[arg-type]
    assert result.converged
    assert set(result.items.labels) == {model}
    assert float(np.sqrt(np.mean((result.items.a - items.a) ** 2))) < 0.12
    assert float(np.sqrt(np.mean((result.items.d - items.d) ** 2))) < 0.2
    coverage = np.mean(np.abs(result.items.d - items.d) <= 1.96 * result.items.se_d)
    assert coverage >= 0.85


def test_pcm_with_mixed_dichotomous_items() -> None:
    rng = np.random.default_rng(9)
    poly = draw_items(rng, 6, ncat=3, slopes=False)
    dich = draw_items(rng, 6, slopes=False)
    theta = rng.normal(0, 0.9, 3000)
    scores = np.column_stack(
        [simulate_responses(rng, poly, theta), simulate_responses(rng, dich, theta)]
    )
    result = fit(ResponseData.from_array(scores), "pcm", FAST)
    assert result.items.labels == ["pcm"] * 6 + ["rasch"] * 6
    truth = np.vstack([poly.d, np.column_stack([dich.d[:, 0], np.full(6, np.nan)])])
    ok = np.isfinite(truth)
    assert float(np.sqrt(np.mean((result.items.d[ok] - truth[ok]) ** 2))) < 0.15
    assert np.isnan(result.items.b[:6]).all() and np.isfinite(result.items.b[6:]).all()
    assert result.latent.var[0] == pytest.approx(0.81, abs=0.1)


def test_grm_equals_2pl_for_dichotomous_items() -> None:
    rng = np.random.default_rng(2)
    items = draw_items(rng, 6)
    scores = simulate_responses(rng, items, rng.normal(size=800))
    data = ResponseData.from_array(scores)
    grm, two = fit(data, "grm", FAST), fit(data, "2pl", FAST)
    assert grm.loglik == pytest.approx(two.loglik, abs=1e-6)
    # A nested model can never fit better: PCM ⊂ GPCM on the same data.
    assert fit(data, "rasch", FAST).loglik <= two.loglik + 1e-6


def test_gpcm_grm_self_consistency_on_one_polytomous_data_set() -> None:
    # No published GRM/GPCM value is used here: GRM and GPCM are different models; both must
    # reproduce the observed category proportions of every item (a property of ML with
    # free intercepts), which checks the polytomous M-step and E-step end to end.
    rng = np.random.default_rng(12)
    items = draw_items(rng, 8, ncat=4, kind="grm")
    scores = simulate_responses(rng, items, rng.normal(size=2000))
    data = ResponseData.from_array(scores)
    for model in ("grm", "gpcm"):
        result = fit(data, model, FAST)  # type: ignore[arg-type]
        from bimo.assessment.irt.engine import Engine
        from bimo.assessment.irt.models import probabilities

        engine = Engine(data, result.items.kinds, free_slope=True, ref_var_free=False)
        prior = np.exp(engine.log_prior(engine.start()))[0]
        for i in range(8):
            probs = probabilities(
                result.items.kinds[i],
                result.items.a[i : i + 1],
                result.items.d[i : i + 1],
                engine.nodes,
            )[0]
            expected = prior @ probs
            observed = np.bincount(scores[:, i], minlength=4) / 2000
            np.testing.assert_allclose(expected, observed, atol=0.01)


def test_grid_wle_equals_newton_wle() -> None:
    from bimo.assessment.irt.scoring import wle, wle_grid

    rng = np.random.default_rng(8)
    sim = draw_items(rng, 12, ncat=3, kind="grm")
    scores = simulate_responses(rng, sim, rng.normal(size=1500)).astype(np.float64)
    scores[rng.random(scores.shape) < 0.3] = np.nan
    scores[0] = np.where(np.isnan(scores[0]), np.nan, 2)  # extreme pattern
    data = ResponseData.from_array(scores)
    result = fit(data, "grm", FAST)
    grid_est, grid_se = wle_grid(result.items, data)
    newton_est, newton_se = wle(result.items, data)
    inner = np.abs(newton_est) < 7.5
    np.testing.assert_allclose(grid_est[inner], newton_est[inner], atol=2e-3)
    np.testing.assert_allclose(grid_se[inner], newton_se[inner], rtol=5e-3)
