"""Fair comparison on simulated schools with a planted school effect."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from bimo.assessment.standards import FairComparisonError, fair_comparison


def _schools(seed: int = 3, effect: float = 60.0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    n_schools, per = 60, 25
    school = np.repeat(np.arange(n_schools), per)
    school_ses = rng.normal(0, 1, n_schools)
    ses = school_ses[school] + rng.normal(0, 1, school.size)
    ndh = (rng.random(school.size) < 0.2 + 0.2 * (school_ses[school] < 0)).astype(float)
    planted = np.zeros(n_schools)
    planted[7], planted[11] = effect, -effect
    true = (
        500
        + 30 * ses
        - 20 * ndh
        + 15 * school_ses[school]
        + planted[school]
        + rng.normal(0, 80, school.size)
    )
    pvs = true[:, None] + rng.normal(0, 25, (school.size, 5))
    return pvs, np.column_stack([ses, ndh]), [f"S{s:02d}" for s in school]


def test_planted_school_effects_are_detected() -> None:
    pvs, covariates, schools = _schools()
    rows = {r.school: r for r in fair_comparison(pvs, covariates, covariates, schools)}
    assert rows["S07"].classification == "above"
    assert rows["S11"].classification == "below"
    counts = Counter(r.classification for r in rows.values())
    # 58 schools without an own effect: at 95 % only a few may fall outside by chance.
    assert counts["within"] >= 52
    s07 = rows["S07"]
    assert s07.difference is not None and s07.observed is not None
    assert s07.expected is not None and s07.lower is not None and s07.upper is not None
    assert s07.difference == pytest.approx(s07.observed - s07.expected)
    assert s07.lower < s07.expected < s07.upper
    assert s07.n == 25


def test_expected_mean_tracks_composition() -> None:
    pvs, covariates, schools = _schools(seed=4, effect=0.0)
    rows = fair_comparison(pvs, covariates, covariates, schools)
    expected = np.array([r.expected for r in rows], dtype=float)
    observed = np.array([r.observed for r in rows], dtype=float)
    assert np.corrcoef(expected, observed)[0, 1] > 0.6


def test_between_school_variance_widens_the_interval() -> None:
    rng = np.random.default_rng(12)
    pvs, covariates, schools = _schools(seed=5, effect=150.0)
    # Add unexplained school effects of SD 30 to every school.
    codes = np.array([int(s[1:]) for s in schools])
    pvs = pvs + rng.normal(0, 30, 60)[codes][:, None]
    strict = fair_comparison(pvs, covariates, covariates, schools)
    wide = {
        r.school: r
        for r in fair_comparison(pvs, covariates, covariates, schools, between_schools=True)
    }
    outside_strict = sum(r.classification != "within" for r in strict)
    outside_wide = sum(r.classification != "within" for r in wide.values())
    assert outside_wide < outside_strict
    for r in strict:
        other = wide[r.school]
        assert other.se is not None and r.se is not None and other.se > r.se
    # Planted effects of ±150 remain outside even among schools of similar composition.
    assert wide["S07"].classification == "above"
    assert wide["S11"].classification == "below"


def test_small_schools_are_suppressed() -> None:
    pvs, covariates, schools = _schools()
    schools = list(schools)
    schools[:3] = ["Zwerg"] * 3
    rows = {r.school: r for r in fair_comparison(pvs, covariates, covariates, schools)}
    assert rows["Zwerg"].suppressed and rows["Zwerg"].observed is None


def test_collinear_background_is_a_german_error() -> None:
    pvs, covariates, schools = _schools()
    doubled = np.column_stack([covariates, covariates[:, 0] * 2])
    with pytest.raises(FairComparisonError, match="linear abhängig"):
        fair_comparison(pvs, doubled, covariates, schools)
