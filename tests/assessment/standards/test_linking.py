"""Linking: recovery of known constants, drift detection, agreement of the methods."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.assessment.standards import ItemParams, LinkingError, link, linking_constants
from bimo.assessment.standards.irf import ItemBank, category_probabilities, expected_score
from bimo.assessment.standards.linking import METHODS

A_TRUE, B_TRUE = 1.25, -0.4


def _to_new_scale(item: ItemParams) -> ItemParams:
    """Express a reference-scale item on a new scale with θ_ref = A·θ_new + B."""
    # Cumulative: a·θ_ref + d = a·A·θ_new + (d + a·B); divide-by-total: the k-th kernel
    # a·k·θ_ref + d_k = a·A·k·θ_new + (d_k + k·a·B).
    return ItemParams(
        item.item,
        item.model,
        item.a * A_TRUE,
        tuple(
            d + item.a * B_TRUE * (1 if item.model == "grm" else k)
            for k, d in enumerate(item.d, start=1)
        ),
    )


def _reference_2pl(k: int, seed: int = 1) -> list[ItemParams]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.7, 2.0, k)
    b = rng.normal(0.0, 1.0, k)
    return [ItemParams(f"i{j:02d}", "2pl", float(a[j]), (float(-a[j] * b[j]),)) for j in range(k)]


def _reference_poly(model: str, seed: int = 2) -> list[ItemParams]:
    rng = np.random.default_rng(seed)
    items = []
    for j in range(8):
        a = 1.0 if model == "pcm" else float(rng.uniform(0.8, 1.8))
        b = np.sort(rng.normal(0, 1, 3))
        # GRM: d_k = −a·b_k (ascending b ⇒ decreasing intercepts); divide-by-total (mirt):
        # d_k = −a·(b_1 + … + b_k).
        d = tuple(float(x) for x in (-a * b if model == "grm" else -a * np.cumsum(b)))
        items.append(ItemParams(f"p{j}", model, a, d))
    return items


@pytest.mark.parametrize("method", METHODS)
def test_recovers_constants_exactly_without_noise(method: str) -> None:
    ref = _reference_2pl(15)
    new = [_to_new_scale(it) for it in ref]
    result = link(ref, new, method)  # type: ignore[arg-type]
    assert result.big_a == pytest.approx(A_TRUE, abs=1e-6)
    assert result.big_b == pytest.approx(B_TRUE, abs=1e-6)
    assert result.removed == ()
    for linked, original in zip(result.linked_items, ref, strict=True):
        assert linked.a == pytest.approx(original.a, abs=1e-5)
        assert linked.d[0] == pytest.approx(original.d[0], abs=1e-5)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
@pytest.mark.parametrize("method", ["haebara", "stocking-lord", "mean-sigma"])
def test_recovers_constants_for_polytomous_items(model: str, method: str) -> None:
    ref = _reference_poly(model)
    new = [_to_new_scale(it) for it in ref]
    big_a, big_b = linking_constants(ref, new, method)  # type: ignore[arg-type]
    assert (big_a, big_b) == pytest.approx((A_TRUE, B_TRUE), abs=1e-5)


def test_rasch_family_keeps_slope_fixed() -> None:
    ref = [
        ItemParams(f"r{j}", "rasch", 1.0, (float(-b),)) for j, b in enumerate(np.linspace(-2, 2, 9))
    ]
    ref += _reference_poly("pcm")
    # b_new = b_ref + 0.7 for every step, i.e. θ_ref = θ_new − 0.7 (divide-by-total: d_k − 0.7·k).
    new = [
        ItemParams(it.item, it.model, 1.0, tuple(d - 0.7 * k for k, d in enumerate(it.d, 1)))
        for it in ref
    ]
    for method in METHODS:
        big_a, big_b = linking_constants(ref, new, method)
        assert big_a == 1.0
        assert big_b == pytest.approx(-0.7, abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_recovers_constants_approximately_with_noise(method: str) -> None:
    rng = np.random.default_rng(7)
    ref = _reference_2pl(30, seed=3)
    new = []
    for it in ref:
        shifted = _to_new_scale(it)
        new.append(
            ItemParams(
                it.item,
                "2pl",
                shifted.a * float(np.exp(rng.normal(0, 0.05))),
                (shifted.d[0] + float(rng.normal(0, 0.08)),),
            )
        )
    result = link(ref, new, method, drift_threshold=None)  # type: ignore[arg-type]
    assert result.big_a == pytest.approx(A_TRUE, abs=0.1)
    assert result.big_b == pytest.approx(B_TRUE, abs=0.1)
    assert 0 < result.se_b_jackknife < 0.1
    assert 0 < result.linking_error_displacement < 0.1


def test_rasch_mean_mean_jackknife_equals_sd_of_displacements() -> None:
    rng = np.random.default_rng(4)
    b_ref = rng.normal(0, 1, 15)
    ref = [ItemParams(f"r{j}", "rasch", 1.0, (float(-b),)) for j, b in enumerate(b_ref)]
    new = [
        ItemParams(it.item, "rasch", 1.0, (it.d[0] + 0.4 + float(rng.normal(0, 0.1)),))
        for it in ref
    ]
    result = link(ref, new, "mean-mean", drift_threshold=None)
    assert result.big_a == 1.0
    assert result.se_a_jackknife == 0.0
    assert result.se_b_jackknife == pytest.approx(result.linking_error_displacement, rel=1e-10)


def test_haebara_and_stocking_lord_agree_on_clean_data() -> None:
    rng = np.random.default_rng(11)
    ref = _reference_2pl(25, seed=5)
    new = [
        ItemParams(s.item, "2pl", s.a, (s.d[0] + float(rng.normal(0, 0.03)),))
        for s in (_to_new_scale(it) for it in ref)
    ]
    ha = linking_constants(ref, new, "haebara")
    sl = linking_constants(ref, new, "stocking-lord")
    assert ha == pytest.approx(sl, abs=0.02)


@pytest.mark.parametrize("method", ["mean-mean", "haebara", "stocking-lord"])
def test_drift_detection_removes_planted_item(method: str) -> None:
    rng = np.random.default_rng(21)
    ref = _reference_2pl(20, seed=9)
    new = []
    for it in ref:
        shifted = _to_new_scale(it)
        d = shifted.d[0] + float(rng.normal(0, 0.03))
        if it.item == "i05":
            d -= shifted.a * 1.0  # item became 1 logit harder on the new scale: drift
        new.append(ItemParams(it.item, "2pl", shifted.a, (d,)))
    result = link(ref, new, method, drift_threshold=0.5)  # type: ignore[arg-type]
    assert [r.item for r in result.removed] == ["i05"]
    assert result.removed[0].displacement > 0.5
    assert "i05" not in result.anchors
    assert result.big_b == pytest.approx(B_TRUE, abs=0.05)
    assert max(abs(v) for v in result.displacement.values()) < 0.5
    # The drifting item is still transformed and returned with all other new items.
    assert {it.item for it in result.linked_items} == {it.item for it in new}


def test_robust_z_rule_finds_planted_item_and_respects_the_floor() -> None:
    rng = np.random.default_rng(22)
    ref = _reference_2pl(20, seed=9)
    new = []
    for it in ref:
        shifted = _to_new_scale(it)
        d = shifted.d[0] - shifted.a * float(rng.normal(0, 0.05))  # b-scale noise
        if it.item == "i07":
            d += shifted.a * 0.4  # 0.4 logits easier: far out relative to the spread of 0.05
        new.append(ItemParams(it.item, "2pl", shifted.a, (d,)))
    by_z = link(ref, new, "haebara", drift_rule="robust-z", drift_threshold=None)
    assert [r.item for r in by_z.removed] == ["i07"]
    assert by_z.removed[0].displacement < -0.3
    # With an absolute floor of 0.5 logits the 0.4-logit shift is tolerated.
    floored = link(ref, new, "haebara", drift_rule="robust-z", drift_threshold=0.5)
    assert floored.removed == ()
    assert link(ref, new, "haebara", drift_threshold=0.5).removed == ()


def test_new_only_items_are_transformed_too() -> None:
    ref = _reference_2pl(10)
    new = [_to_new_scale(it) for it in ref] + [ItemParams("neu", "2pl", 1.0, (0.5,))]
    result = link(ref, new, "mean-sigma")
    linked = {it.item: it for it in result.linked_items}["neu"]
    theta_new = np.linspace(-3, 3, 7)
    # Same response probabilities at corresponding θ on both scales.
    p_new = category_probabilities(new[-1], theta_new)
    p_ref = category_probabilities(linked, A_TRUE * theta_new + B_TRUE)
    np.testing.assert_allclose(p_new, p_ref, atol=1e-9)


@pytest.mark.parametrize("model", ["grm", "gpcm", "pcm", "2pl"])
def test_transformation_keeps_response_probabilities(model: str) -> None:
    theta_new = np.linspace(-3, 3, 13)
    for item in _reference_poly(model) if model != "2pl" else _reference_2pl(5):
        linked = item.transformed(A_TRUE, B_TRUE)
        np.testing.assert_allclose(
            category_probabilities(item, theta_new),
            category_probabilities(linked, A_TRUE * theta_new + B_TRUE),
            atol=1e-12,
        )
        np.testing.assert_allclose(linked.thresholds, A_TRUE * item.thresholds + B_TRUE)


def test_item_bank_matches_single_item_functions() -> None:
    items = [*_reference_poly("grm"), *_reference_2pl(3), *_reference_poly("gpcm")[:2]]
    items.append(ItemParams("kurz", "gpcm", 1.1, (0.4,)))  # fewer categories: padding
    bank = ItemBank.from_items(items)
    theta = np.linspace(-4, 4, 9)
    probs = bank.probabilities(theta, A_TRUE, B_TRUE)
    for i, item in enumerate(items):
        single = category_probabilities(item.transformed(A_TRUE, B_TRUE), theta)
        np.testing.assert_allclose(probs[:, i, : item.n_categories], single, atol=1e-12)
        np.testing.assert_allclose(probs[:, i, item.n_categories :], 0.0)
    tcc = sum(expected_score(it.transformed(A_TRUE, B_TRUE), theta) for it in items)
    np.testing.assert_allclose(bank.test_characteristic(theta, A_TRUE, B_TRUE), tcc)


def test_too_few_anchors_is_a_german_error() -> None:
    ref = _reference_2pl(3)
    with pytest.raises(LinkingError, match="zu wenige gemeinsame Ankeritems"):
        link(ref, [ItemParams("x", "2pl", 1.0, (0.0,)), ref[0]], "haebara")


def test_response_functions_are_consistent() -> None:
    theta = np.linspace(-4, 4, 17)
    for item in (*_reference_poly("grm"), *_reference_poly("gpcm")):
        probs = category_probabilities(item, theta)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
        assert (probs >= 0).all()
        score = expected_score(item, theta)
        assert (np.diff(score) > 0).all()  # expected score increases with θ
