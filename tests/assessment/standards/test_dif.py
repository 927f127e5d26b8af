"""Mantel–Haenszel DIF: hand-computed 2×2×K example, ETS rule, simulation with planted DIF."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bimo.assessment.dif import (
    DifError,
    ets_class,
    mantel_haenszel,
    mantel_haenszel_tables,
    stratified_tables,
)


def test_hand_computed_two_strata() -> None:
    # Stratum 1: reference 10 right / 10 wrong, focal 5 / 15 (T = 40);
    # stratum 2: reference 20 / 5, focal 10 / 10 (T = 45).
    tables = np.array([[10, 10, 5, 15], [20, 5, 10, 10]], dtype=float)
    res = mantel_haenszel_tables(tables, "x")
    # α = (10·15/40 + 20·10/45) / (10·5/40 + 5·10/45) = (295/36)/(85/36) = 59/17
    assert res.alpha_mh == pytest.approx(59 / 17)
    # E(A1) = 20·15/40 = 7.5, Var(A1) = 20·20·15·25/(40²·39);
    # E(A2) = 25·30/45, Var(A2) = 25·20·30·15/(45²·44); ΣA = 30.
    expected = 7.5 + 25 * 30 / 45
    var = 20 * 20 * 15 * 25 / (40**2 * 39) + 25 * 20 * 30 * 15 / (45**2 * 44)
    chi2 = (abs(30 - expected) - 0.5) ** 2 / var
    assert res.chi2 == pytest.approx(chi2)
    assert res.chi2 == pytest.approx(5.7707, abs=1e-4)
    assert res.p_value == pytest.approx(stats.chi2.sf(chi2, 1))
    assert res.delta == pytest.approx(-2.35 * np.log(59 / 17))
    # Robins–Breslow–Greenland by hand: R_k, S_k, P_k, Q_k per stratum.
    r_k = np.array([150 / 40, 200 / 45])
    s_k = np.array([50 / 40, 50 / 45])
    p_k = np.array([25 / 40, 30 / 45])
    q_k = np.array([15 / 40, 15 / 45])
    r, s = r_k.sum(), s_k.sum()
    var_log = (
        (p_k * r_k).sum() / (2 * r**2)
        + (p_k * s_k + q_k * r_k).sum() / (2 * r * s)
        + (q_k * s_k).sum() / (2 * s**2)
    )
    assert res.se_delta == pytest.approx(2.35 * np.sqrt(var_log))
    assert (res.n_reference, res.n_focal, res.strata_used) == (45, 40, 2)


def test_uninformative_strata_are_skipped() -> None:
    tables = np.array([[10, 10, 5, 15], [3, 0, 0, 0], [0, 0, 0, 1]], dtype=float)
    res = mantel_haenszel_tables(tables)
    assert res.strata_used == 1
    assert res.alpha_mh == pytest.approx((10 * 15 / 40) / (10 * 5 / 40))


@pytest.mark.parametrize(
    ("delta", "se", "p", "expected"),
    [
        (-0.9, 0.1, 0.0001, "A"),  # small
        (-1.6, 0.3, 0.20, "A"),  # not significant
        (-1.2, 0.1, 0.0001, "B-"),  # 1 ≤ |Δ| < 1.5
        (1.6, 0.5, 0.0001, "B+"),  # ≥ 1.5 but not significantly > 1: 0.6/0.5 < 1.645
        (-1.6, 0.2, 0.0001, "C-"),  # 0.6/0.2 = 3 > 1.645
        (2.0, 0.3, 0.0001, "C+"),
    ],
)
def test_ets_rule(delta: float, se: float, p: float, expected: str) -> None:
    assert ets_class(delta, se, p) == expected


def _simulate(seed: int = 5, n: int = 3000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    focal = np.arange(2 * n) >= n
    theta = rng.normal(0, 1, 2 * n) - 0.4 * focal  # impact: the focal group is weaker
    b = np.linspace(-1.5, 1.5, 20)
    shift = np.zeros((2 * n, 20))
    shift[focal, 3] = 0.8  # item 3 is 0.8 logits harder for the focal group: planted DIF
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :] - shift)))
    resp = (rng.random(p.shape) < p).astype(float)
    return resp, focal, [f"i{j}" for j in range(20)]


def test_planted_dif_item_is_flagged_c_and_others_not() -> None:
    resp, focal, items = _simulate()
    results = mantel_haenszel(resp, focal, items)
    by_item = {r.item: r for r in results}
    assert by_item["i3"].ets_class == "C-"
    # Rasch DIF of 0.8 logits ⇒ ln α_MH ≈ 0.8 ⇒ MH D-DIF ≈ −1.88.
    assert by_item["i3"].delta == pytest.approx(-2.35 * 0.8, abs=0.45)
    assert sum(r.ets_class.startswith("C") for r in results) == 1
    assert sum(r.ets_class == "A" for r in results) >= 16


def test_booklet_design_matches_within_booklet() -> None:
    resp, focal, items = _simulate(seed=6)
    # Two booklets: half of the persons did not get items 10–19 and the other half not 0–4.
    booklet = np.arange(resp.shape[0]) % 2 == 0
    resp[booklet, 10:] = np.nan
    resp[~booklet, :5] = np.nan
    results = {r.item: r for r in mantel_haenszel(resp, focal, items)}
    assert results["i3"].ets_class == "C-"
    assert results["i3"].n_reference + results["i3"].n_focal == int(booklet.sum())
    rest = {r.item: r for r in mantel_haenszel(resp, focal, items, matching="rest")}
    assert rest["i3"].delta < -1.0


def test_explicit_theta_strata() -> None:
    resp, focal, items = _simulate(seed=8)
    score = np.nansum(resp, axis=1)
    strata = np.searchsorted(np.quantile(score, np.linspace(0, 1, 11)[1:-1]), score)
    results = {r.item: r for r in mantel_haenszel(resp, focal, items, strata=strata)}
    assert results["i3"].delta < -1.0


def test_non_binary_responses_are_rejected() -> None:
    resp = np.array([[0.0, 2.0], [1.0, 0.0]])
    with pytest.raises(DifError, match="Datenzeile 1"):
        mantel_haenszel(resp, np.array([True, False]), ["a", "b"])


def test_stratified_tables_counts() -> None:
    y = np.array([1, 0, 1, 1, np.nan, 0])
    f = np.array([False, False, True, True, True, False])
    st = np.array([0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(stratified_tables(y, f, st), [[1, 1, 1, 0], [0, 1, 1, 0]])


def test_matches_r_mantelhaen_test_on_ucb_admissions() -> None:
    # Published worked example: R's ``mantelhaen.test(UCBAdmissions)`` (stats package help page)
    # reports X-squared = 1.4269 (with continuity correction), p = 0.2323, common odds ratio
    # 0.9046968 with 95 % CI 0.7719074–1.0603298. Strata = departments A–F; "reference" = male,
    # "correct" = admitted. Counts: Bickel, Hammel & O'Connell (1975).
    tables = np.array(
        [
            [512, 313, 89, 19],
            [353, 207, 17, 8],
            [120, 205, 202, 391],
            [138, 279, 131, 244],
            [53, 138, 94, 299],
            [22, 351, 24, 317],
        ],
        dtype=float,
    )
    res = mantel_haenszel_tables(tables)
    assert res.alpha_mh == pytest.approx(0.9046968, abs=1e-7)
    assert res.chi2 == pytest.approx(1.4269, abs=1e-4)
    assert res.p_value == pytest.approx(0.2323, abs=1e-4)
    se_log = res.se_delta / 2.35
    z = stats.norm.ppf(0.975)
    assert np.exp(np.log(res.alpha_mh) - z * se_log) == pytest.approx(0.7719074, abs=1e-6)
    assert np.exp(np.log(res.alpha_mh) + z * se_log) == pytest.approx(1.0603298, abs=1e-6)


def test_degenerate_items_give_no_class_instead_of_failing() -> None:
    rng = np.random.default_rng(3)
    resp = (rng.random((200, 4)) < 0.6).astype(float)
    resp[:, 1] = 1.0  # everybody correct: no information
    resp[:, 2] = np.nan  # never administered
    focal = np.arange(200) % 2 == 0
    results = {r.item: r for r in mantel_haenszel(resp, focal, ["a", "b", "c", "d"])}
    assert results["b"].ets_class == "" and np.isnan(results["b"].chi2)
    assert results["c"].ets_class == "" and results["c"].strata_used == 0
    assert results["a"].ets_class in {"A", "B-", "B+", "C-", "C+"}
