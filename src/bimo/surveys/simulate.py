"""Simulated survey rounds from an ordinal (graded) factor model — synthetic data only.

Each scale s has a latent trait η_s ~ N(0, 1), decomposed into school, class and student parts
(ICCs configurable), so classes are nested in schools. Item j of scale s has a latent response
y*_j = λ_j η_s + √(1 − λ_j²) ε_j and the (recoded) answer is 1 + #{τ_jc < y*_j}. This is the
normal-ogive graded response model in factor-analytic parameterisation. Reverse-coded items are
stored turned round (k + 1 − answer), as a student would tick them.

Because the item covariances follow in closed form from bivariate normal probabilities
(:func:`implied_covariance`), the population α and ω of each scale are known exactly and the
estimators in :mod:`bimo.surveys.reliability` can be tested against them.

Careless responders replace their answers with one of two patterns: ``gerade`` (the same
category for every item — straightlining) or ``zufall`` (uniformly random categories).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from bimo.surveys.instrument import Instrument
from bimo.surveys.reliability import Matrix, alpha_from_covariance, omega_from_covariance


@dataclass(frozen=True)
class ScaleModel:
    loadings: Matrix  # (items,)
    thresholds: Matrix  # (items, categories − 1), increasing per row
    reversed: NDArray[np.bool_]  # (items,)

    @property
    def categories(self) -> int:
        return int(self.thresholds.shape[1]) + 1


@dataclass(frozen=True)
class SurveyModel:
    scales: list[ScaleModel]
    factor_corr: Matrix
    icc_school: float = 0.05
    icc_class: float = 0.10
    careless_share: float = 0.08
    straightliner_part: float = 0.4  # share of careless responders who straightline

    @property
    def n_items(self) -> int:
        return sum(s.loadings.size for s in self.scales)


_BASE_THRESHOLDS: dict[int, tuple[float, ...]] = {
    # Students tend to agree: thresholds shifted left, most answers in the upper categories.
    2: (-0.3,),
    4: (-1.6, -0.6, 0.6),
    5: (-1.8, -0.9, 0.0, 0.9),
}


def model_for(
    instrument: Instrument,
    loading: float = 0.7,
    factor_corr: float = 0.3,
    seed: int = 0,
    careless_share: float = 0.08,
) -> SurveyModel:
    """A plausible generating model for a shipped instrument (loadings spread ± 0.1)."""
    rng = np.random.default_rng(seed)
    scales: list[ScaleModel] = []
    for scale in instrument.skalen:
        k = len(scale.items)
        lam = np.clip(loading + rng.uniform(-0.1, 0.1, k), 0.3, 0.95)
        base = np.array(_BASE_THRESHOLDS[scale.categories])
        tau = base[None, :] + rng.normal(0.0, 0.2, (k, 1))
        rev = np.array([it.umgepolt for it in scale.items])
        scales.append(ScaleModel(lam, tau, rev))
    m = len(scales)
    corr = np.full((m, m), factor_corr)
    np.fill_diagonal(corr, 1.0)
    return SurveyModel(scales, corr, careless_share=careless_share)


@dataclass
class SimulatedRound:
    responses: Matrix  # raw answers as ticked (reverse-coded items not turned round)
    school: NDArray[np.int64]
    klass: NDArray[np.int64]
    careless: NDArray[np.bool_]
    kind: list[str] = field(default_factory=list)  # "ehrlich", "gerade" or "zufall"


def simulate_round(
    model: SurveyModel,
    n_schools: int = 10,
    classes_per_school: int = 4,
    students_per_class: int = 22,
    seed: int = 1,
) -> SimulatedRound:
    rng = np.random.default_rng(seed)
    n_classes = n_schools * classes_per_school
    n = n_classes * students_per_class
    klass = np.repeat(np.arange(n_classes), students_per_class)
    school = klass // classes_per_school
    m = len(model.scales)
    chol = np.linalg.cholesky(model.factor_corr)
    icc_s, icc_c = model.icc_school, model.icc_class
    # Each variance part gets the same factor correlation, so η has correlation factor_corr
    # and unit variance overall.
    eta = (
        np.sqrt(icc_s) * (rng.standard_normal((n_schools, m)) @ chol.T)[school]
        + np.sqrt(icc_c) * (rng.standard_normal((n_classes, m)) @ chol.T)[klass]
        + np.sqrt(1.0 - icc_s - icc_c) * (rng.standard_normal((n, m)) @ chol.T)
    )
    blocks: list[Matrix] = []
    for s, sm in enumerate(model.scales):
        noise = rng.standard_normal((n, sm.loadings.size))
        ystar = eta[:, [s]] * sm.loadings + noise * np.sqrt(1.0 - sm.loadings**2)
        answer = 1.0 + (ystar[:, :, None] > sm.thresholds[None, :, :]).sum(axis=2)
        answer[:, sm.reversed] = sm.categories + 1 - answer[:, sm.reversed]
        blocks.append(answer)
    responses = np.hstack(blocks)
    careless = rng.random(n) < model.careless_share
    kind = ["ehrlich"] * n
    cats = np.concatenate([np.full(sm.loadings.size, sm.categories) for sm in model.scales])
    for i in np.flatnonzero(careless):
        if rng.random() < model.straightliner_part:
            # Straightliners tick one column; for shorter formats the value is capped.
            responses[i] = np.minimum(rng.integers(1, cats.max() + 1), cats)
            kind[i] = "gerade"
        else:
            responses[i] = np.floor(rng.random(cats.size) * cats) + 1
            kind[i] = "zufall"
    return SimulatedRound(responses, school, klass, careless, kind)


def implied_covariance(scale: ScaleModel) -> Matrix:
    """Exact covariance of the recoded answers of honest respondents.

    With Y = 1 + Σ_c 1[y* > τ_c]: Cov(Y_j, Y_k) = Σ_a Σ_b [Φ₂(−τ_ja, −τ_kb; λ_jλ_k)
    − Φ(−τ_ja)Φ(−τ_kb)] and Var(Y_j) = Σ_a Σ_b [Φ(−max(τ_ja, τ_jb)) − Φ(−τ_ja)Φ(−τ_jb)].
    """
    lam, tau = scale.loadings, scale.thresholds
    k = lam.size
    p = stats.norm.sf(tau)  # P(y* > τ)
    cov = np.zeros((k, k))
    for j in range(k):
        tj = tau[j]
        cov[j, j] = float((stats.norm.sf(np.maximum.outer(tj, tj)) - np.outer(p[j], p[j])).sum())
        for m in range(j + 1, k):
            rho = lam[j] * lam[m]
            mvn = stats.multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]])
            total = 0.0
            for a, ta in enumerate(tj):
                for b, tb in enumerate(tau[m]):
                    both = float(mvn.cdf(np.array([-ta, -tb])))
                    total += both - p[j, a] * p[m, b]
            cov[j, m] = cov[m, j] = total
    return cov


def population_alpha(scale: ScaleModel) -> float:
    return alpha_from_covariance(implied_covariance(scale))


def population_omega(scale: ScaleModel) -> float:
    """ω of the one-factor fit to the exact covariance (what the estimator targets)."""
    return omega_from_covariance(implied_covariance(scale))
