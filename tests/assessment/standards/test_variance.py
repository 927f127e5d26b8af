"""Rubin's rules, jackknife and Kish n_eff; standards table and reporting metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bimo.assessment.standards import (
    ReferenceMetric,
    jackknife_variance,
    kish_n_eff,
    load_level_model,
    reference_from_pvs,
    rubin,
    standards_table,
)
from bimo.assessment.standards.variance import zones
from bimo.core.errors import BimoError


def _mean_stat(totals: np.ndarray) -> np.ndarray:
    out: np.ndarray = totals[..., 1:2] / totals[..., 0:1]
    return out


def test_rubin_by_hand() -> None:
    estimates = np.array([[10.0], [12.0], [14.0]])
    variances = np.array([[1.0], [2.0], [3.0]])
    point, se = rubin(estimates, variances)
    # U = 2, B = 4, T = 2 + (1 + 1/3)·4 = 22/3
    assert point[0] == pytest.approx(12.0)
    assert se[0] == pytest.approx(np.sqrt(22 / 3))


def test_jk1_with_single_person_clusters_equals_classical_variance_of_mean() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(50, 10, 40)
    totals = np.column_stack([np.ones_like(y), y])
    var = jackknife_variance(totals, _mean_stat, "jk1")
    assert var[0] == pytest.approx(y.var(ddof=1) / y.size)


def test_jk2_zones_pair_clusters_and_absorb_an_odd_one() -> None:
    assert zones(7, "jk2") == [[0, 1], [2, 3], [4, 5, 6]]
    assert zones(6, "jk1") == [[0, 1, 2, 3, 4, 5]]


def test_jk2_of_mean_with_equal_clusters_is_close_to_jk1() -> None:
    rng = np.random.default_rng(1)
    totals = np.column_stack([np.full(200, 20.0), rng.normal(1000, 100, 200)])
    jk1 = jackknife_variance(totals, _mean_stat, "jk1")[0]
    jk2 = jackknife_variance(totals, _mean_stat, "jk2")[0]
    assert jk2 == pytest.approx(jk1, rel=0.35)


def test_kish_effective_n() -> None:
    assert kish_n_eff(np.ones(10)) == pytest.approx(10)
    assert kish_n_eff(np.array([1.0, 1.0, 2.0, 2.0])) == pytest.approx(36 / 10)


def test_reporting_metric() -> None:
    metric = ReferenceMetric(mean=0.2, sd=0.8)
    np.testing.assert_allclose(metric.to_reporting(np.array([0.2, 1.0, -0.6])), [500, 600, 400])
    np.testing.assert_allclose(metric.to_theta(metric.to_reporting(np.array([0.3]))), [0.3])
    rng = np.random.default_rng(2)
    pvs = rng.normal(0.3, 1.2, (20_000, 5))
    ref = reference_from_pvs(pvs)
    assert ref.mean == pytest.approx(0.3, abs=0.03)
    assert ref.sd == pytest.approx(1.2, abs=0.03)
    with pytest.raises(BimoError, match="Standardabweichung"):
        ReferenceMetric(mean=0.0, sd=0.0)


def _simulated_cohort(seed: int = 3) -> tuple[np.ndarray, np.ndarray, list[tuple[str]]]:
    rng = np.random.default_rng(seed)
    schools = np.repeat(np.arange(80), 25)
    true = 500 + rng.normal(0, 35, 80)[schools] + rng.normal(0, 94, schools.size)
    pvs = true[:, None] + rng.normal(0, 25, (schools.size, 5))
    groups = [("A",) if s % 2 else ("B",) for s in schools]
    return pvs, schools, groups


def test_standards_table_shares_and_cluster_variance() -> None:
    pvs, schools, _ = _simulated_cohort()
    model = load_level_model("primar_deutsch_lesen")
    rows = standards_table(pvs, np.ones(len(pvs)), None, schools, model, min_cell=5)
    by_stat = {(r.statistic, r.level): r for r in rows}
    shares = [by_stat[("share_level", c)].estimate for c in model.codes]
    assert sum(s for s in shares if s is not None) == pytest.approx(100.0)
    below = by_stat[("below_minimum", "")]
    assert below.estimate == pytest.approx(shares[0])
    regular = by_stat[("at_or_above_regular", "")].estimate
    assert regular == pytest.approx(sum(s for s in shares[2:] if s is not None))
    # Normal(500, ~103): P(score < 390) ≈ 14 %.
    assert below.estimate == pytest.approx(14.3, abs=3.0)
    mean = by_stat[("mean", "")]
    assert mean.n == len(pvs)
    # Cluster design effect: the jackknife SE must exceed the SRS SE of a mean.
    unclustered = standards_table(pvs, np.ones(len(pvs)), None, None, model, min_cell=5)
    srs = {(r.statistic, r.level): r for r in unclustered}[("mean", "")]
    assert mean.se is not None and srs.se is not None
    assert mean.se > 1.3 * srs.se
    assert mean.se == pytest.approx(np.sqrt(35**2 / 80 + 94**2 / 2000), rel=0.35)


def test_small_groups_are_suppressed_without_numbers() -> None:
    pvs, schools, groups = _simulated_cohort()
    groups = list(groups)
    groups[0] = ("klein",)
    groups[1] = ("klein",)
    model = load_level_model("primar_deutsch_lesen")
    rows = standards_table(pvs, np.ones(len(pvs)), groups, schools, model, min_cell=5)
    small = [r for r in rows if r.group == ("klein",)]
    assert small and all(r.suppressed and r.estimate is None and r.n is None for r in small)
    assert {r.group for r in rows} == {("Insgesamt",), ("A",), ("B",), ("klein",)}
    assert all(r.n is not None and r.n >= 5 for r in rows if not r.suppressed)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    clusters=st.integers(2, 12),
    scheme=st.sampled_from(["jk1", "jk2"]),
)
def test_standards_invariants(seed: int, clusters: int, scheme: str) -> None:
    rng = np.random.default_rng(seed)
    n = clusters * 6
    pvs = rng.normal(480, 110, (n, 3))
    weights = rng.uniform(0.5, 2.0, n)
    school = np.repeat(np.arange(clusters), 6)
    model = load_level_model("primar_deutsch_lesen")
    rows = standards_table(pvs, weights, None, school, model, min_cell=5, scheme=scheme)  # type: ignore[arg-type]
    by = {(r.statistic, r.level): r for r in rows}
    shares = [by[("share_level", c)].estimate or 0.0 for c in model.codes]
    assert sum(shares) == pytest.approx(100.0)
    assert all(r.se is not None and r.se >= 0 for r in rows)
    assert by[("optimal", "")].estimate == pytest.approx(shares[-1])
