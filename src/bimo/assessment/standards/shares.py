"""Shares per Kompetenzstufe, standards indicators, means and SDs per group from PVs.

For every group and plausible value m the statistics are computed on the reporting metric, their
sampling variance by jackknife over clusters (or Kish's n_eff without clusters), and the M results
are combined with Rubin's rules (see :mod:`bimo.assessment.standards.variance`). Shares are given
in percent. The SD is the weighted population SD √(Σw(y − ȳ)²/Σw). Groups with fewer persons than
``min_cell`` are marked as suppressed and carry no numbers at all (not even ``n``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bimo.assessment.standards.irf import FloatArray
from bimo.assessment.standards.levels import AT_OR_ABOVE_REGULAR, LevelModel
from bimo.assessment.standards.variance import (
    JackknifeScheme,
    StatFunction,
    cluster_sums,
    jackknife_variance,
    kish_n_eff,
    rubin,
)

TOTAL_LABEL = "Insgesamt"


@dataclass(frozen=True)
class StatRow:
    """One statistic of one group; ``estimate``/``se``/``n`` are None when suppressed."""

    group: tuple[str, ...]
    statistic: str
    level: str
    estimate: float | None
    se: float | None
    n: int | None
    suppressed: bool


def statistic_names(model: LevelModel) -> list[tuple[str, str]]:
    """(statistic, level) pairs in output order."""
    names = [("share_level", code) for code in model.codes]
    names += [("below_minimum", ""), ("at_or_above_regular", ""), ("optimal", "")]
    return [*names, ("mean", ""), ("sd", "")]


def _stat_function(model: LevelModel) -> tuple[int, StatFunction]:
    n_levels = len(model.levels)
    below = model.mask(frozenset({"unter_mindeststandard"}))
    regular = model.mask(AT_OR_ABOVE_REGULAR)
    optimal = model.mask(frozenset({"optimalstandard"}))

    def stat(totals: FloatArray) -> FloatArray:
        # totals[..., 0] = Σw, [1 : 1+L] = Σw·1{level}, then Σw·y, Σw·y².
        w = totals[..., :1]
        shares = 100.0 * totals[..., 1 : 1 + n_levels] / w
        mean = totals[..., 1 + n_levels : 2 + n_levels] / w
        second = totals[..., 2 + n_levels : 3 + n_levels] / w
        sd = np.sqrt(np.maximum(second - mean**2, 0.0))
        derived = np.stack(
            [
                shares[..., below].sum(-1),
                shares[..., regular].sum(-1),
                shares[..., optimal].sum(-1),
            ],
            axis=-1,
        )
        out: FloatArray = np.concatenate([shares, derived, mean, sd], axis=-1)
        return out

    return n_levels, stat


def _features(scores: FloatArray, weights: FloatArray, model: LevelModel) -> FloatArray:
    n_levels = len(model.levels)
    idx = model.classify(scores)
    onehot = np.zeros((scores.size, n_levels))
    onehot[np.arange(scores.size), idx] = 1.0
    return np.column_stack(
        [weights, weights[:, None] * onehot, weights * scores, weights * scores**2]
    )


def group_statistics(
    scores: FloatArray,
    weights: FloatArray,
    clusters: np.ndarray | None,
    model: LevelModel,
    scheme: JackknifeScheme = "jk1",
) -> tuple[FloatArray, FloatArray]:
    """Point estimates and SEs for one group; ``scores`` are PVs on the reporting metric (n, M)."""
    n_levels, stat = _stat_function(model)
    m = scores.shape[1]
    n_stats = len(statistic_names(model))
    estimates = np.empty((m, n_stats))
    variances = np.empty((m, n_stats))
    n_eff = kish_n_eff(weights)
    codes = None
    if clusters is not None:
        _, codes = np.unique(clusters, return_inverse=True)
    for j in range(m):
        feats = _features(scores[:, j], weights, model)
        totals = feats.sum(axis=0)
        est = stat(totals)
        estimates[j] = est
        if codes is not None:
            variances[j] = jackknife_variance(cluster_sums(feats, codes), stat, scheme)
        else:
            p = est[: n_levels + 3] / 100.0
            sd = est[-1]
            variances[j, : n_levels + 3] = 100.0**2 * p * (1 - p) / n_eff
            variances[j, -2] = sd**2 / n_eff
            variances[j, -1] = sd**2 / (2 * n_eff)
    return rubin(estimates, variances)


def standards_table(
    scores: FloatArray,
    weights: FloatArray,
    groups: Sequence[tuple[str, ...]] | None,
    clusters: np.ndarray | None,
    model: LevelModel,
    *,
    min_cell: int,
    scheme: JackknifeScheme = "jk1",
    progress: Callable[[int, int], None] | None = None,
) -> list[StatRow]:
    """All statistics for the whole sample and every group (in order of first appearance).

    ``progress(done, total)`` is called after each group (for a progress bar).
    """
    names = statistic_names(model)
    width = len(groups[0]) if groups else 0
    subsets: list[tuple[tuple[str, ...], np.ndarray]] = [
        ((TOTAL_LABEL,) * max(width, 1), np.ones(len(scores), dtype=bool))
    ]
    if groups:
        keys = list(dict.fromkeys(groups))
        key_arr = np.array(["\x1f".join(g) for g in groups])
        subsets += [(key, key_arr == "\x1f".join(key)) for key in keys]
    rows: list[StatRow] = []
    for done, (key, mask) in enumerate(subsets, start=1):
        if progress is not None:
            progress(done, len(subsets))
        n = int(mask.sum())
        if n < min_cell:
            rows += [StatRow(key, s, lv, None, None, None, True) for s, lv in names]
            continue
        point, se = group_statistics(
            scores[mask], weights[mask], None if clusters is None else clusters[mask], model, scheme
        )
        rows += [
            StatRow(key, s, lv, float(p), float(e), n, False)
            for (s, lv), p, e in zip(names, point, se, strict=True)
        ]
    return rows
