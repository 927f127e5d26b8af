"""Flags for careless responding (Curran 2016; Meade & Craig 2012).

Four indices per respondent, each with a documented threshold (:class:`CarelessThresholds`):

* **Longstring** — the longest run of identical *raw* answers, as a share of the items.
  Raw answers are used on purpose: an attentive student cannot tick one column through
  reverse-coded items. Flag: run ≥ 60 % of the closed items.
* **IRV** (intra-individual response variability) — SD of the raw answers. Flag: < 0.3, i.e.
  practically constant answering.
* **Even-odd consistency** — per scale the mean of odd and of even items (recoded); the
  correlation of the two half-score vectors across scales. Needs ≥ 4 scales with ≥ 2 items each
  (else NaN, never flagged). Flag: r < −0.5. Johnson (2005) uses r < 0 on long inventories;
  with only 4–6 half-score pairs r is so noisy that r < 0 flagged ~9 % of attentive simulated
  students, r < −0.5 about 1–2 %.
* **Mahalanobis distance** of the recoded answer vector from the sample centroid. Flag: the
  chi-square upper-tail probability is below 0.001.

A flag is a hint for the analyst (exclusion is a documented, reported decision), never a
judgement about the student; answers are anonymous, so flags concern answer sheets only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from bimo.surveys.analysis import check_matrix, recode
from bimo.surveys.instrument import Instrument
from bimo.surveys.reliability import Matrix


@dataclass(frozen=True)
class CarelessThresholds:
    longstring_share: float = 0.6
    longstring_min: int = 6
    irv_min: float = 0.3
    even_odd_min: float = -0.5
    mahalanobis_p: float = 0.001


@dataclass(frozen=True)
class CarelessFlags:
    longstring: NDArray[np.int64]
    irv: Matrix
    even_odd: Matrix
    mahalanobis_p: Matrix
    flagged: NDArray[np.bool_]
    reasons: list[list[str]]


def longstring(raw: Matrix) -> NDArray[np.int64]:
    """Longest run of identical consecutive answers (a missing answer ends a run)."""
    arr = np.asarray(raw, dtype=np.float64)
    n, k = arr.shape
    best = np.zeros(n, dtype=np.int64)
    run = np.zeros(n, dtype=np.int64)
    prev = np.full(n, np.nan)
    for j in range(k):
        col = arr[:, j]
        same = (col == prev) & ~np.isnan(col)
        run = np.where(same, run + 1, np.where(np.isnan(col), 0, 1))
        best = np.maximum(best, run)
        prev = col
    return best


def irv(raw: Matrix) -> Matrix:
    arr = np.asarray(raw, dtype=np.float64)
    return np.asarray(np.nanstd(arr, axis=1), dtype=np.float64)


def even_odd(instrument: Instrument, recoded: Matrix) -> Matrix:
    halves_odd: list[Matrix] = []
    halves_even: list[Matrix] = []
    for scale in instrument.skalen:
        cols = instrument.columns(scale.id)
        if len(cols) < 4:
            continue
        with np.errstate(all="ignore"):
            halves_odd.append(np.nanmean(recoded[:, cols[0::2]], axis=1))
            halves_even.append(np.nanmean(recoded[:, cols[1::2]], axis=1))
    n = recoded.shape[0]
    if len(halves_odd) < 4:
        return np.full(n, np.nan)
    a, b = np.column_stack(halves_odd), np.column_stack(halves_even)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    with np.errstate(all="ignore"):
        r = (a * b).sum(axis=1) / denom
    return np.asarray(r, dtype=np.float64)


def mahalanobis_p(recoded: Matrix) -> Matrix:
    """Upper-tail χ² probability of each row's squared distance (missing → item mean)."""
    x = np.array(recoded, dtype=np.float64)
    means = np.nanmean(x, axis=0)
    miss = np.isnan(x)
    x[miss] = np.take(means, np.nonzero(miss)[1])
    centred = x - means
    cov = np.cov(x, rowvar=False)
    d2 = np.einsum("ij,jk,ik->i", centred, np.linalg.pinv(cov), centred)
    return np.asarray(stats.chi2.sf(d2, df=x.shape[1]), dtype=np.float64)


def flag_careless(
    instrument: Instrument, responses: Matrix, thresholds: CarelessThresholds | None = None
) -> CarelessFlags:
    t = thresholds or CarelessThresholds()
    raw = check_matrix(instrument, responses)
    rec = recode(instrument, raw)
    k = raw.shape[1]
    ls, sd, eo = longstring(raw), irv(raw), even_odd(instrument, rec)
    mp = (
        mahalanobis_p(rec)
        if raw.shape[0] > 2 * k
        else np.ones(raw.shape[0])  # too few sheets for a stable covariance matrix
    )
    reasons: list[list[str]] = []
    for i in range(raw.shape[0]):
        why: list[str] = []
        if ls[i] >= max(t.longstring_share * k, t.longstring_min):
            why.append("longstring")
        if sd[i] < t.irv_min:
            why.append("irv")
        if not np.isnan(eo[i]) and eo[i] < t.even_odd_min:
            why.append("even_odd")
        if mp[i] < t.mahalanobis_p:
            why.append("mahalanobis")
        reasons.append(why)
    flagged = np.array([bool(w) for w in reasons], dtype=bool)
    return CarelessFlags(ls, sd, eo, mp, flagged, reasons)
