"""Differential item functioning (DIF) with the Mantel–Haenszel procedure.

For a dichotomous item and matching strata k (persons with the same matching score), the 2×2
table of stratum k holds A_k/B_k = correct/incorrect in the reference group and C_k/D_k in the
focal group, T_k persons in total. Strata with T_k < 2 or without both groups carry no
information and are skipped.

* Common odds ratio: α_MH = Σ(A_k·D_k/T_k) / Σ(B_k·C_k/T_k) (> 1: the item favours the
  reference group).
* MH χ² with continuity correction (1 df): (|ΣA_k − ΣE(A_k)| − ½)² / ΣVar(A_k), with
  E(A_k) = n_Rk·m_1k/T_k and Var(A_k) = n_Rk·n_Fk·m_1k·m_0k / (T_k²·(T_k − 1)).
* ETS delta: MH D-DIF = −2.35·ln α_MH (negative: the item is harder for the focal group), with
  SE = 2.35·SE(ln α_MH) from the Robins–Breslow–Greenland variance.
* ETS classification (Zwick 2012, ETS RR-12-08, following Dorans & Holland): **A** if
  |MH D-DIF| < 1 or MH D-DIF is not significantly different from 0 (MH χ², α = .05);
  **C** if |MH D-DIF| ≥ 1.5 and |MH D-DIF| is significantly greater than 1, tested one-sided at
  α = .05: (|MH D-DIF| − 1)/SE > 1.645; **B** otherwise. A sign marks the direction
  (``-``: favours the reference group, ``+``: favours the focal group).

Matching: by default the total score over the items a person was given, stratified *within
booklet* (the booklet is the pattern of administered, i.e. non-missing, items), so persons who saw
different item sets are never pooled on incomparable sum scores. ``matching="rest"`` uses the
score without the studied item. Alternatively the caller passes explicit strata, e.g. deciles of
a θ estimate (EAP) — the θ-based matching for booklet designs with many booklets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from bimo.core.errors import BimoError

DELTA_SCALE = 2.35
Matching = Literal["total", "rest"]


class DifError(BimoError):
    """DIF analysis impossible with the given data."""


@dataclass(frozen=True)
class MantelHaenszel:
    """MH statistics of one item."""

    item: str
    n_reference: int
    n_focal: int
    strata_used: int
    alpha_mh: float
    chi2: float
    p_value: float
    delta: float
    se_delta: float
    ets_class: str


def mantel_haenszel_tables(tables: npt.NDArray[np.float64], item: str = "") -> MantelHaenszel:
    """MH statistics from stratified 2×2 tables, shape (K, 4): columns A, B, C, D per stratum."""
    a, b, c, d = (tables[:, i].astype(np.float64) for i in range(4))
    n_ref = a + b
    n_foc = c + d
    total = n_ref + n_foc
    keep = (total >= 2) & (n_ref > 0) & (n_foc > 0)
    a, b, c, d, n_ref, n_foc, total = (x[keep] for x in (a, b, c, d, n_ref, n_foc, total))
    m1 = a + c
    m0 = b + d
    r_k = a * d / total
    s_k = b * c / total
    r, s = r_k.sum(), s_k.sum()
    expected = (n_ref * m1 / total).sum()
    var_a = (n_ref * n_foc * m1 * m0 / (total**2 * (total - 1))).sum()
    if var_a <= 0:
        chi2, p_value = math.nan, math.nan
    else:
        chi2 = float(max(abs(a.sum() - expected) - 0.5, 0.0) ** 2 / var_a)
        p_value = float(stats.chi2.sf(chi2, df=1))
    if r > 0 and s > 0:
        alpha = float(r / s)
        p_k = (a + d) / total
        q_k = (b + c) / total
        var_log = (
            (p_k * r_k).sum() / (2 * r**2)
            + (p_k * s_k + q_k * r_k).sum() / (2 * r * s)
            + (q_k * s_k).sum() / (2 * s**2)
        )
        delta = -DELTA_SCALE * math.log(alpha)
        se_delta = DELTA_SCALE * math.sqrt(var_log)
    else:
        # All strata perfectly separated: the odds ratio is 0 or ∞, no finite delta.
        alpha = math.inf if r > 0 else (0.0 if s > 0 else math.nan)
        delta, se_delta = math.nan, math.nan
    return MantelHaenszel(
        item=item,
        n_reference=int(n_ref.sum()),
        n_focal=int(n_foc.sum()),
        strata_used=int(keep.sum()),
        alpha_mh=alpha,
        chi2=chi2,
        p_value=p_value,
        delta=delta,
        se_delta=se_delta,
        ets_class=ets_class(delta, se_delta, p_value),
    )


def ets_class(delta: float, se_delta: float, p_value: float, alpha: float = 0.05) -> str:
    """ETS A/B/C category with direction sign (see module docstring); '' if not computable."""
    if math.isnan(delta) or math.isnan(p_value):
        return ""
    size = abs(delta)
    if size < 1.0 or p_value >= alpha:
        return "A"
    sign = "-" if delta < 0 else "+"
    z_crit = float(stats.norm.ppf(1 - alpha))
    if size >= 1.5 and se_delta > 0 and (size - 1.0) / se_delta > z_crit:
        return "C" + sign
    return "B" + sign


def stratified_tables(
    correct: npt.NDArray[np.float64], focal: npt.NDArray[np.bool_], strata: np.ndarray
) -> npt.NDArray[np.float64]:
    """Count A, B, C, D per stratum for one item (persons with a missing response excluded)."""
    valid = ~np.isnan(correct)
    y, f, st = correct[valid], focal[valid], strata[valid]
    _, codes = np.unique(st, return_inverse=True)
    k = int(codes.max()) + 1 if codes.size else 0
    out = np.zeros((k, 4))
    for col, sel in enumerate(((~f) & (y == 1), (~f) & (y == 0), f & (y == 1), f & (y == 0))):
        out[:, col] = np.bincount(codes[sel], minlength=k)
    return out


def mantel_haenszel(
    responses: npt.NDArray[np.float64],
    focal: npt.NDArray[np.bool_],
    items: Sequence[str],
    *,
    matching: Matching = "total",
    strata: np.ndarray | None = None,
) -> list[MantelHaenszel]:
    """MH DIF for every item of a 0/1 response matrix (n, I; NaN = not administered/missing).

    Without ``strata`` the matching score is the total (or rest) score within booklet.
    """
    if responses.shape[1] != len(items):
        raise DifError("Anzahl der Itemnamen passt nicht zur Antwortmatrix")
    bad = ~np.isnan(responses) & (responses != 0) & (responses != 1)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DifError(
            f"Mantel-Haenszel braucht dichotome Antworten (0/1): Item {items[col]} hat in "
            f"Datenzeile {row + 1} den Wert {responses[row, col]:g}"
        )
    if focal.all() or not focal.any():
        raise DifError("für DIF werden Personen aus Fokal- und Referenzgruppe gebraucht")
    administered = ~np.isnan(responses)
    booklet = np.packbits(administered, axis=1)
    _, booklet_codes = np.unique(booklet, axis=0, return_inverse=True)
    total = np.nansum(responses, axis=1)
    results = []
    for j, name in enumerate(items):
        if strata is not None:
            st = np.asarray(strata)
        else:
            score = total - np.nan_to_num(responses[:, j]) if matching == "rest" else total
            st = booklet_codes.ravel() * (responses.shape[1] + 1) + score
        results.append(mantel_haenszel_tables(stratified_tables(responses[:, j], focal, st), name))
    return results
