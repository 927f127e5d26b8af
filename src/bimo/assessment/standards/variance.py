"""Variance estimation for plausible-value statistics.

* Between imputations: Rubin's rules. With M plausible values, estimates t_m and sampling
  variances u_m: t̄ = mean t_m, U = mean u_m, B = Σ (t_m − t̄)²/(M − 1),
  T = U + (1 + 1/M)·B, SE = √T.
* Within (sampling) variance with clusters (schools): jackknife repeated replication over zones.
  A zone holds n_h clusters; each replicate drops one cluster c of zone h and multiplies the
  weights of the other clusters of the zone by n_h/(n_h − 1):
  var = Σ_h (n_h − 1)/n_h · Σ_{c∈h} (t_(c) − t)².
  ``jk1``: one zone with all G clusters (delete-one-cluster JK1).
  ``jk2``: clusters in input order paired into zones of two (an odd last cluster joins the last
  pair), i.e. the paired jackknife with both half-samples of each zone used.
* Without clusters: Kish's effective sample size n_eff = (Σw)²/Σw² and the usual binomial or
  normal-theory formulas (p(1 − p)/n_eff, s²/n_eff, s²/(2·n_eff) for an SD).

All statistics handled here are smooth functions of weighted totals, so replicates are computed
from per-cluster totals (drop a cluster = subtract its totals) instead of re-running on students.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from bimo.assessment.standards.irf import FloatArray

JackknifeScheme = Literal["jk1", "jk2"]
StatFunction = Callable[[FloatArray], FloatArray]


def rubin(estimates: FloatArray, variances: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Combine per-PV estimates/variances, shape (M, S), into point estimates and SEs."""
    m = estimates.shape[0]
    point = estimates.mean(axis=0)
    within = variances.mean(axis=0)
    between = estimates.var(axis=0, ddof=1) if m > 1 else np.zeros_like(point)
    total = within + (1.0 + 1.0 / m) * between
    se: FloatArray = np.sqrt(total)
    return point, se


def zones(n_clusters: int, scheme: JackknifeScheme) -> list[list[int]]:
    """Cluster indices per jackknife zone (see module docstring)."""
    if scheme == "jk1" or n_clusters < 4:
        return [list(range(n_clusters))]
    pairs = [[i, i + 1] for i in range(0, n_clusters - 1, 2)]
    if n_clusters % 2:
        pairs[-1].append(n_clusters - 1)
    return pairs


def jackknife_variance(
    cluster_totals: FloatArray, stat: StatFunction, scheme: JackknifeScheme
) -> FloatArray:
    """Sampling variance of ``stat(totals)`` by jackknife over clusters.

    ``cluster_totals`` has shape (G, F); ``stat`` maps (..., F) totals to (..., S) statistics.
    Returns NaN where fewer than two clusters exist.
    """
    g = cluster_totals.shape[0]
    full_totals = cluster_totals.sum(axis=0)
    full = stat(full_totals)
    if g < 2:
        return np.full(full.shape, np.nan)
    zone_of = np.empty(g, dtype=np.intp)
    for z, members in enumerate(zones(g, scheme)):
        zone_of[members] = z
    n_h = np.bincount(zone_of).astype(np.float64)[zone_of][:, None]
    zone_sums = np.zeros((int(zone_of.max()) + 1, cluster_totals.shape[1]))
    np.add.at(zone_sums, zone_of, cluster_totals)
    zone_sum = zone_sums[zone_of]
    # All replicates at once: replicate c drops cluster c, its zone's other clusters ×n_h/(n_h−1).
    reps = full_totals - zone_sum + (zone_sum - cluster_totals) * n_h / (n_h - 1)
    var: FloatArray = ((n_h - 1) / n_h * (stat(reps) - full) ** 2).sum(axis=0)
    return var


def cluster_sums(features: FloatArray, cluster_codes: np.ndarray) -> FloatArray:
    """Sum rows of ``features`` (n, F) per cluster code (codes 0…G−1) → (G, F)."""
    g = int(cluster_codes.max()) + 1
    out = np.zeros((g, features.shape[1]))
    np.add.at(out, cluster_codes, features)
    return out


def kish_n_eff(weights: FloatArray) -> float:
    """Kish's effective sample size (Σw)²/Σw²."""
    return float(weights.sum() ** 2 / (weights**2).sum())
