"""Der „faire Vergleich“: observed school means next to the mean expected from composition.

Per plausible value m, student scores y are regressed (weighted least squares) on individual
background variables (e.g. SES, ndh, sex, Förderschwerpunkt as dummies) and school composition
variables (school means of chosen background variables, e.g. mean SES, share ndh), over all
schools. For school s with n_s students:

* expected mean  E_s = x̄_s·β̂ (weighted mean of the fitted values of its students),
* observed mean  O_s = ȳ_s, difference D_s = O_s − E_s,
* sampling variance of D_s: σ²_w/n_s,eff + x̄_s' V(β̂) x̄_s, where σ²_w is the pooled
  within-school residual variance (students around their school's mean residual) and
  n_s,eff Kish's effective n of the school.

D, O, E are combined over PVs with Rubin's rules (the between-PV part carries the measurement
error). The interval is the prediction interval E_s ± z·SE for the school mean of a school with
this composition and no school effect; the school is ``above`` / ``below`` expectation when its
observed mean lies outside it, otherwise ``within``.

With ``between_schools=True`` the interval also contains the variance τ² of the school effects
not explained by composition (moment estimate per PV: τ² = max(0, mean_s D_s² − mean_s u_s)).
It then is the range of the means of *schools with a similar composition*, and only schools that
are unusual among those are flagged — a stricter criterion, useful when nearly every school
differs significantly from its expectation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bimo.assessment.standards.irf import FloatArray
from bimo.assessment.standards.variance import rubin
from bimo.core.errors import BimoError


class FairComparisonError(BimoError):
    """The fair comparison cannot be estimated from the given data."""


@dataclass(frozen=True)
class FairRow:
    school: str
    n: int | None
    observed: float | None
    expected: float | None
    difference: float | None
    se: float | None
    lower: float | None
    upper: float | None
    classification: str
    suppressed: bool


def design_matrix(
    individual: FloatArray, composition: FloatArray, school_codes: np.ndarray, weights: FloatArray
) -> FloatArray:
    """[1, individual covariates, school means (weighted) of the composition variables]."""
    g = int(school_codes.max()) + 1
    parts = [np.ones((individual.shape[0], 1)), individual]
    if composition.shape[1]:
        sw = np.bincount(school_codes, weights=weights, minlength=g)
        means = np.column_stack(
            [
                np.bincount(school_codes, weights=weights * composition[:, j], minlength=g) / sw
                for j in range(composition.shape[1])
            ]
        )
        parts.append(means[school_codes])
    return np.hstack(parts)


def fair_comparison(
    scores: FloatArray,
    individual: FloatArray,
    composition: FloatArray,
    schools: Sequence[str],
    weights: FloatArray | None = None,
    *,
    level: float = 0.95,
    min_cell: int = 5,
    between_schools: bool = False,
) -> list[FairRow]:
    """Observed vs. expected school means; ``scores`` are PVs (n, M)."""
    n, m = scores.shape
    w = np.ones(n) if weights is None else weights
    names, codes = np.unique(np.asarray(schools), return_inverse=True)
    g = names.size
    x = design_matrix(individual, composition, codes, w)
    xtwx = x.T @ (w[:, None] * x)
    if np.linalg.matrix_rank(xtwx) < x.shape[1]:
        raise FairComparisonError(
            "die Hintergrundmerkmale sind linear abhängig (z. B. eine Kompositionsvariable ohne "
            "Streuung zwischen den Schulen oder doppelte Merkmale); bitte Merkmale reduzieren"
        )
    if n - x.shape[1] - g < 1:
        raise FairComparisonError("zu wenige Schülerinnen und Schüler für das Regressionsmodell")
    xtwx_inv = np.linalg.inv(xtwx)
    sw = np.bincount(codes, weights=w, minlength=g)
    n_eff = sw**2 / np.bincount(codes, weights=w**2, minlength=g)
    counts = np.bincount(codes, minlength=g)
    xbar = np.column_stack(
        [np.bincount(codes, weights=w * x[:, j], minlength=g) / sw for j in range(x.shape[1])]
    )
    obs = np.empty((m, g))
    exp = np.empty((m, g))
    var_diff = np.empty((m, g))
    for j in range(m):
        y = scores[:, j]
        beta = xtwx_inv @ (x.T @ (w * y))
        resid = y - x @ beta
        school_resid = np.bincount(codes, weights=w * resid, minlength=g) / sw
        within = resid - school_resid[codes]
        # Pooled within-school residual variance (df: n − G − p for the fitted model).
        sigma2_w = float((w * within**2).sum() / w.sum() * n / (n - g - x.shape[1]))
        v_beta = xtwx_inv * float((w * resid**2).sum() / (w.sum()) * n / (n - x.shape[1]))
        obs[j] = np.bincount(codes, weights=w * y, minlength=g) / sw
        exp[j] = xbar @ beta
        var_diff[j] = sigma2_w / n_eff + np.einsum("gi,ij,gj->g", xbar, v_beta, xbar)
        if between_schools:
            diff_j = obs[j] - exp[j]
            var_diff[j] += max(0.0, float(np.mean(diff_j**2) - np.mean(var_diff[j])))
    diff, se = rubin(obs - exp, var_diff)
    observed, _ = rubin(obs, np.zeros_like(obs))
    expected, _ = rubin(exp, np.zeros_like(exp))
    z = float(stats.norm.ppf(0.5 + level / 2))
    rows = []
    for s in range(g):
        if counts[s] < min_cell:
            rows.append(FairRow(str(names[s]), None, None, None, None, None, None, None, "", True))
            continue
        lower, upper = expected[s] - z * se[s], expected[s] + z * se[s]
        if observed[s] > upper:
            label = "above"
        elif observed[s] < lower:
            label = "below"
        else:
            label = "within"
        rows.append(
            FairRow(
                school=str(names[s]),
                n=int(counts[s]),
                observed=float(observed[s]),
                expected=float(expected[s]),
                difference=float(diff[s]),
                se=float(se[s]),
                lower=float(lower),
                upper=float(upper),
                classification=label,
                suppressed=False,
            )
        )
    return rows
