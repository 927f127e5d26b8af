"""Scale scores, means with confidence intervals, distributions, change between rounds.

A response matrix has one row per submitted questionnaire and one column per closed item in
:attr:`Instrument.item_ids` order; answers are coded 1..k (see ``instrument.CATEGORIES``), NaN
for a missing answer. Minimum-group rules (n ≥ 5 before anything is shown) belong to the
reporting layer (``bimo.privacy``), not here: these functions compute, they do not publish.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from bimo.surveys.instrument import Instrument, InstrumentError
from bimo.surveys.reliability import (
    ItemStatistic,
    Matrix,
    alpha_ci_feldt,
    complete_rows,
    cronbach_alpha,
    item_statistics,
    mcdonald_omega,
)


def check_matrix(instrument: Instrument, responses: Matrix) -> Matrix:
    """Validate shape and codes; returns the matrix as float64."""
    arr = np.asarray(responses, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != len(instrument.item_ids):
        raise InstrumentError(
            f"Antwortmatrix hat {arr.shape[-1] if arr.ndim else 0} Spalten, der Fragebogen "
            f"{instrument.id} aber {len(instrument.item_ids)} geschlossene Items."
        )
    for scale in instrument.skalen:
        block = arr[:, instrument.columns(scale.id)]
        ok = np.isnan(block) | np.isin(block, np.arange(1, scale.categories + 1))
        if not ok.all():
            row, col = np.argwhere(~ok)[0]
            raise InstrumentError(
                f"Antwort {float(block[row, col]):g} in Zeile {row + 1}, Item "
                f"{scale.items[col].id} liegt nicht im Bereich 1–{scale.categories}."
            )
    return arr


def recode(instrument: Instrument, responses: Matrix) -> Matrix:
    """Turn reverse-coded items round (x → k + 1 − x) so high always means 'more of it'."""
    arr = check_matrix(instrument, responses).copy()
    for scale in instrument.skalen:
        for col, item in zip(instrument.columns(scale.id), scale.items, strict=True):
            if item.umgepolt:
                arr[:, col] = scale.categories + 1 - arr[:, col]
    return arr


def scale_items(instrument: Instrument, responses: Matrix, scale_id: str) -> Matrix:
    """Recoded answers of one scale's items."""
    return recode(instrument, responses)[:, instrument.columns(scale_id)]


def scale_scores(instrument: Instrument, responses: Matrix, scale_id: str) -> Matrix:
    """Mean of the answered, recoded items; NaN when fewer than ``min_beantwortet`` answered."""
    block = scale_items(instrument, responses, scale_id)
    answered = (~np.isnan(block)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        sums = np.nansum(block, axis=1)
        means = np.where(answered > 0, sums / np.maximum(answered, 1), np.nan)
    means[answered < instrument.scale(scale_id).min_beantwortet] = np.nan
    return means


@dataclass(frozen=True)
class MeanCI:
    n: int
    mean: float
    sd: float
    lower: float
    upper: float
    level: float


def mean_ci(values: Matrix, level: float = 0.95) -> MeanCI:
    """Mean with a t-based interval (x̄ ± t_{n−1} · s/√n); NaNs are dropped."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    n = int(v.size)
    if n < 2:
        raise InstrumentError(f"Für ein Konfidenzintervall braucht es mindestens 2 Werte ({n}).")
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    return MeanCI(n, mean, sd, mean - half, mean + half, level)


@dataclass(frozen=True)
class Change:
    """Difference round B − round A (Welch): anonymous rounds cannot be paired per student."""

    difference: float
    lower: float
    upper: float
    df: float
    level: float


def change_between_rounds(a: Matrix, b: Matrix, level: float = 0.95) -> Change:
    ca, cb = mean_ci(a, level), mean_ci(b, level)
    va, vb = ca.sd**2 / ca.n, cb.sd**2 / cb.n
    se = float(np.sqrt(va + vb))
    if se == 0:
        df = float(ca.n + cb.n - 2)
    else:
        df = (va + vb) ** 2 / (va**2 / (ca.n - 1) + vb**2 / (cb.n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    diff = cb.mean - ca.mean
    return Change(diff, diff - half, diff + half, df, level)


def item_distribution(values: Matrix, categories: int) -> dict[int, int]:
    """Count per answer category 1..k (missing answers are not counted)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)].astype(int)
    counts = np.bincount(v, minlength=categories + 1)[1:]
    return {c + 1: int(counts[c]) for c in range(categories)}


def score_distribution(scores: Matrix, categories: int) -> dict[str, int]:
    """Scale scores binned into the k answer categories (score in [c − ½, c + ½))."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[~np.isnan(s)]
    edges = np.arange(0.5, categories + 1.0, 1.0)
    counts, _ = np.histogram(np.clip(s, 1, categories), bins=edges)
    return {f"{lo:g}–{lo + 1:g}": int(c) for lo, c in zip(edges[:-1], counts, strict=True)}


@dataclass(frozen=True)
class ScaleResult:
    scale: str
    n_scores: int
    n_complete: int
    mean: MeanCI
    alpha: float
    alpha_ci: tuple[float, float]
    omega: float
    items: list[ItemStatistic]
    distribution: dict[str, int]


def analyze_scale(
    instrument: Instrument, responses: Matrix, scale_id: str, level: float = 0.95
) -> ScaleResult:
    scale = instrument.scale(scale_id)
    block = scale_items(instrument, responses, scale_id)
    scores = scale_scores(instrument, responses, scale_id)
    complete = complete_rows(block)
    alpha = cronbach_alpha(block)
    return ScaleResult(
        scale=scale_id,
        n_scores=int((~np.isnan(scores)).sum()),
        n_complete=int(complete.shape[0]),
        mean=mean_ci(scores, level),
        alpha=alpha,
        alpha_ci=alpha_ci_feldt(alpha, complete.shape[0], block.shape[1], level),
        omega=mcdonald_omega(block),
        items=item_statistics(block, [it.id for it in scale.items]),
        distribution=score_distribution(scores, scale.categories),
    )
