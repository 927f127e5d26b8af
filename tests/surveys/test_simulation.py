"""Reliability estimated on simulated rounds must match the generating model."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.surveys import (
    analyze_scale,
    implied_covariance,
    load_instruments,
    model_for,
    population_alpha,
    population_omega,
    recode,
    simulate_round,
)


def test_implied_covariance_matches_a_huge_sample() -> None:
    inst = load_instruments()["wohlbefinden"]
    model = model_for(inst, careless_share=0.0)
    big = simulate_round(model, n_schools=100, classes_per_school=10, students_per_class=100)
    rec = recode(inst, big.responses)[:, inst.columns("wohlbefinden")]
    # 100 000 answer sheets: sampling SE of a covariance ≈ 0.003–0.005; clustering adds
    # a little (ICC 0.15 on the latent trait), so 0.02 leaves room without hiding a wrong formula.
    assert np.cov(rec, rowvar=False) == pytest.approx(implied_covariance(model.scales[0]), abs=0.02)


@pytest.mark.parametrize("name", ["unterrichtsqualitaet", "wohlbefinden", "selbstwirksamkeit"])
def test_alpha_and_omega_match_the_generating_model(name: str) -> None:
    inst = load_instruments()[name]
    model = model_for(inst, careless_share=0.0, seed=11)
    sim = simulate_round(model, n_schools=25, classes_per_school=4, students_per_class=25, seed=7)
    for scale, sm in zip(inst.skalen, model.scales, strict=True):
        res = analyze_scale(inst, sim.responses, scale.id)
        # n = 2500: SE(α) ≈ √(2k/(k−1))·(1−α)/√n ≈ 0.006 for α ≈ 0.8, k = 5. A tolerance of
        # 0.03 is ~5 SE (room for the design effect of classes in schools).
        assert res.alpha == pytest.approx(population_alpha(sm), abs=0.03)
        assert res.omega == pytest.approx(population_omega(sm), abs=0.03)
        lo, hi = res.alpha_ci
        assert lo < res.alpha < hi


def test_alpha_drops_with_weaker_loadings() -> None:
    inst = load_instruments()["selbstwirksamkeit"]
    strong = population_alpha(model_for(inst, loading=0.8).scales[0])
    weak = population_alpha(model_for(inst, loading=0.4).scales[0])
    assert strong > weak + 0.2


def test_simulation_is_nested_and_reproducible() -> None:
    inst = load_instruments()["stundenfeedback"]
    model = model_for(inst)
    a = simulate_round(model, n_schools=3, classes_per_school=2, students_per_class=5, seed=2)
    b = simulate_round(model, n_schools=3, classes_per_school=2, students_per_class=5, seed=2)
    assert np.array_equal(a.responses, b.responses)
    assert a.responses.shape == (30, len(inst.item_ids))
    # every class belongs to exactly one school
    assert all(len(set(a.school[a.klass == c])) == 1 for c in set(a.klass.tolist()))
    # codes stay inside each scale's response format
    for scale in inst.skalen:
        block = a.responses[:, inst.columns(scale.id)]
        assert block.min() >= 1 and block.max() <= scale.categories
