"""Reliability of a scale: Cronbach's alpha (Feldt CI), McDonald's omega, item statistics.

All functions take a respondents × items matrix of *recoded* answers (reverse-coded items
already turned round, see :func:`bimo.surveys.analysis.recode`), NaN for a missing answer.
Alpha, omega and item statistics use complete rows only (listwise): with pairwise deletion
the covariance matrix need not be positive definite, and survey scales are short enough that
listwise loss is small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from bimo.core.errors import BimoError

Matrix = NDArray[np.float64]


class ReliabilityError(BimoError):
    """Too few respondents or items for the requested statistic."""


def complete_rows(x: Matrix) -> Matrix:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ReliabilityError("Erwartet wird eine Matrix Befragte × Items.")
    return arr[~np.isnan(arr).any(axis=1)]


def _checked(x: Matrix) -> Matrix:
    data = complete_rows(x)
    if data.shape[1] < 2:
        raise ReliabilityError("Für die Reliabilität braucht eine Skala mindestens zwei Items.")
    if data.shape[0] < 3:
        raise ReliabilityError(
            f"Für die Reliabilität braucht es mindestens drei vollständige Antwortbögen "
            f"(vorhanden: {data.shape[0]})."
        )
    return data


def cronbach_alpha(x: Matrix) -> float:
    """α = k/(k−1) · (1 − Σ var(item) / var(sum)), sample variances (ddof=1)."""
    data = _checked(x)
    k = data.shape[1]
    item_var = data.var(axis=0, ddof=1).sum()
    total_var = data.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        raise ReliabilityError("Alle Befragten haben denselben Summenwert: α ist nicht definiert.")
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def alpha_ci_feldt(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) interval: (1−α̂)/(1−α) follows F(n−1, (n−1)(k−1)) under normality."""
    if n < 3 or k < 2:
        raise ReliabilityError("Feldt-Intervall braucht n ≥ 3 und k ≥ 2.")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1.0 - level) / 2.0
    lo = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1.0 - tail, df1, df2))
    hi = 1.0 - (1.0 - alpha) * float(stats.f.ppf(tail, df1, df2))
    return lo, hi


@dataclass(frozen=True)
class OneFactorFit:
    """Standardised one-factor solution: loadings λ, uniquenesses ψ = 1 − λ² (on R)."""

    loadings: Matrix
    uniquenesses: Matrix
    iterations: int
    converged: bool


def fit_one_factor(corr: Matrix, tol: float = 1e-7, max_iter: int = 1000) -> OneFactorFit:
    """Minres (= unweighted least squares) one-factor fit by iterated principal axes.

    At the fixed point the reduced correlation matrix's first eigenpair reproduces the
    communalities, which is the stationarity condition of the ULS/minres criterion. Start values
    are squared multiple correlations; communalities are capped below 1 (Heywood cases).
    """
    r = np.asarray(corr, dtype=np.float64)
    try:
        h2 = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h2 = np.full(r.shape[0], 0.5)
    h2 = np.clip(h2, 0.005, 0.995)
    loadings = np.sqrt(h2)
    converged = False
    iterations = 0
    for step in range(1, max_iter + 1):
        iterations = step
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        new_h2 = np.clip(loadings**2, 0.0, 0.995)
        if np.max(np.abs(new_h2 - h2)) < tol:
            h2 = new_h2
            converged = True
            break
        h2 = new_h2
    if loadings.sum() < 0:  # the eigenvector's sign is arbitrary
        loadings = -loadings
    return OneFactorFit(loadings, 1.0 - loadings**2, iterations, converged)


def omega_from_covariance(cov: Matrix) -> float:
    """ω_total of the unit-weighted sum: (Σ λ_j s_j)² / ((Σ λ_j s_j)² + Σ ψ_j s_j²)."""
    c = np.asarray(cov, dtype=np.float64)
    sd = np.sqrt(np.diag(c))
    fit = fit_one_factor(c / np.outer(sd, sd))
    common = float((fit.loadings * sd).sum() ** 2)
    unique = float((fit.uniquenesses * sd**2).sum())
    return common / (common + unique)


def mcdonald_omega(x: Matrix) -> float:
    """McDonald's ω_total from a one-factor minres fit to the sample correlation matrix."""
    data = _checked(x)
    if np.any(data.var(axis=0, ddof=1) <= 0):
        raise ReliabilityError("Ein Item hat keine Streuung: ω ist nicht definiert.")
    return omega_from_covariance(np.cov(data, rowvar=False))


def alpha_from_covariance(cov: Matrix) -> float:
    c = np.asarray(cov, dtype=np.float64)
    k = c.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(c) / c.sum()))


@dataclass(frozen=True)
class ItemStatistic:
    item: str
    n: int
    mean: float
    sd: float
    item_total: float  # corrected: correlation with the sum of the *other* items
    alpha_if_deleted: float | None  # None for a two-item scale (α of one item is undefined)


def item_statistics(x: Matrix, item_ids: list[str]) -> list[ItemStatistic]:
    data = _checked(x)
    k = data.shape[1]
    if len(item_ids) != k:
        raise ReliabilityError("Zahl der Item-IDs passt nicht zur Zahl der Spalten.")
    total = data.sum(axis=1)
    out: list[ItemStatistic] = []
    for j, iid in enumerate(item_ids):
        rest = total - data[:, j]
        col = data[:, j]
        r_it = (
            float(np.corrcoef(col, rest)[0, 1])
            if col.std() > 0 and rest.std() > 0
            else float("nan")
        )
        aid = cronbach_alpha(np.delete(data, j, axis=1)) if k > 2 else None
        out.append(
            ItemStatistic(iid, data.shape[0], float(col.mean()), float(col.std(ddof=1)), r_it, aid)
        )
    return out
