"""Linking a new calibration onto a reference calibration via common anchor items.

The transformation is θ_ref = A·θ_new + B. Methods:

* ``mean-mean``: A = mean(a_new)/mean(a_ref), B = mean(b_ref) − A·mean(b_new);
* ``mean-sigma``: A = sd(b_ref)/sd(b_new), B as above;
* ``haebara``: minimise Σ_q w_q Σ_i Σ_k [P_ik^ref(θ_q) − P_ik^new*(θ_q)]²;
* ``stocking-lord``: minimise Σ_q w_q [Σ_i E_i^ref(θ_q) − Σ_i E_i^new*(θ_q)]²;

with θ_q on an equally spaced grid of the reference scale and w_q ∝ N(0, 1) density. ``b`` means
all thresholds b_k = −d_k/a (one per dichotomous item). If every anchor follows a model with slope
fixed at 1 (rasch, pcm), A is fixed at 1 and only the shift B is estimated.

Drift: after each linking the displacement of every anchor (transformed minus reference location)
is computed. Rule ``threshold`` (default): while the largest |displacement| exceeds the threshold
(default 0.5 logits) and more than ``min_anchors`` anchors remain, that anchor is removed and the
linking repeated. Rule ``robust-z``: z_j = (δ_j − median δ)/(1.4826·MAD δ); the anchor with the
largest |z| is removed while |z| > 2.7 (and, if a threshold is given, also |δ| > threshold, so
that tiny but "unusual" displacements of a very consistent anchor set are kept).

Linking error: jackknife over anchors (delete one anchor, relink; var = (k − 1)/k·Σ(B_(j) − B̄)²)
for A and B, and SD(δ)/√k, the error the IQB reports for Rasch trend linking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize, stats

from bimo.assessment.standards.irf import (
    FIXED_SLOPE_MODELS,
    FloatArray,
    ItemBank,
    ItemParams,
)
from bimo.core.errors import BimoError

LinkingMethod = Literal["mean-mean", "mean-sigma", "haebara", "stocking-lord"]
DriftRule = Literal["threshold", "robust-z"]
ROBUST_Z = 2.7
METHODS: tuple[LinkingMethod, ...] = ("mean-mean", "mean-sigma", "haebara", "stocking-lord")


class LinkingError(BimoError):
    """Linking is not possible with the given item tables."""


@dataclass(frozen=True)
class RemovedAnchor:
    item: str
    displacement: float
    step: int


@dataclass(frozen=True)
class LinkingResult:
    """Outcome of :func:`link`; ``linked_items`` are *all* new items on the reference scale."""

    method: LinkingMethod
    big_a: float
    big_b: float
    anchors: tuple[str, ...]
    removed: tuple[RemovedAnchor, ...]
    displacement: dict[str, float]
    se_a_jackknife: float
    se_b_jackknife: float
    linking_error_displacement: float
    linked_items: tuple[ItemParams, ...] = field(repr=False)

    def summary(self) -> dict[str, object]:
        """JSON-friendly summary (German keys are not used: this is a machine format)."""
        return {
            "method": self.method,
            "A": self.big_a,
            "B": self.big_b,
            "anchors": list(self.anchors),
            "removed_anchors": [
                {"item": r.item, "displacement": r.displacement, "step": r.step}
                for r in self.removed
            ],
            "displacement": self.displacement,
            "linking_error": {
                # NaN (fewer than three anchors) is not valid JSON: report null.
                "jackknife_A": None if math.isnan(self.se_a_jackknife) else self.se_a_jackknife,
                "jackknife_B": None if math.isnan(self.se_b_jackknife) else self.se_b_jackknife,
                "sd_displacement_over_sqrt_k": self.linking_error_displacement,
            },
        }


@dataclass(frozen=True)
class Grid:
    """Quadrature grid on the reference θ scale with normalised N(0, 1) weights."""

    theta: FloatArray
    weights: FloatArray

    @classmethod
    def normal(cls, lower: float = -4.0, upper: float = 4.0, points: int = 41) -> Grid:
        theta = np.linspace(lower, upper, points)
        w = stats.norm.pdf(theta)
        return cls(theta=theta, weights=w / w.sum())


def _pooled_thresholds(items: Sequence[ItemParams]) -> FloatArray:
    return np.concatenate([it.thresholds for it in items])


def _fixed_slope(items: Sequence[ItemParams]) -> bool:
    return all(it.model in FIXED_SLOPE_MODELS for it in items)


def _moment_constants(
    ref: Sequence[ItemParams], new: Sequence[ItemParams], method: LinkingMethod
) -> tuple[float, float]:
    b_ref = _pooled_thresholds(ref)
    b_new = _pooled_thresholds(new)
    if _fixed_slope(new):
        big_a = 1.0
    elif method == "mean-sigma":
        sd_new = float(np.std(b_new))
        if sd_new <= 0:
            raise LinkingError(
                "Mean-Sigma-Linking nicht möglich: die Ankerschwierigkeiten streuen nicht"
            )
        big_a = float(np.std(b_ref)) / sd_new
    else:
        big_a = float(np.mean([it.a for it in new]) / np.mean([it.a for it in ref]))
    big_b = float(np.mean(b_ref) - big_a * np.mean(b_new))
    return big_a, big_b


def _constants(params: FloatArray, fixed_a: bool) -> tuple[float, float]:
    return (1.0, float(params[0])) if fixed_a else (float(params[0]), float(params[1]))


def _haebara_loss(
    params: FloatArray, new: ItemBank, grid: Grid, fixed_a: bool, ref_probs: FloatArray
) -> float:
    big_a, big_b = _constants(params, fixed_a)
    if big_a <= 0:
        return float("inf")
    diff = ref_probs - new.probabilities(grid.theta, big_a, big_b)
    return float(grid.weights @ (diff**2).sum(axis=(1, 2)))


def _sl_loss(
    params: FloatArray, new: ItemBank, grid: Grid, fixed_a: bool, ref_tcc: FloatArray
) -> float:
    big_a, big_b = _constants(params, fixed_a)
    if big_a <= 0:
        return float("inf")
    return float(grid.weights @ (ref_tcc - new.test_characteristic(grid.theta, big_a, big_b)) ** 2)


def linking_constants(
    ref: Sequence[ItemParams],
    new: Sequence[ItemParams],
    method: LinkingMethod,
    grid: Grid | None = None,
    start: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """A, B for paired anchor lists (``ref[i]`` and ``new[i]`` are the same item).

    Characteristic-curve methods start from ``start`` if given (jackknife replicates start from
    the full-sample solution), else from the mean-sigma solution.
    """
    if len(ref) != len(new) or not ref:
        raise LinkingError("Linking braucht mindestens ein gemeinsames Ankeritem")
    for r, n in zip(ref, new, strict=True):
        if r.n_categories != n.n_categories:
            raise LinkingError(
                f"Ankeritem „{r.item}“ hat in Referenz ({r.n_categories}) und neuer Kalibrierung "
                f"({n.n_categories}) unterschiedlich viele Kategorien"
            )
    if method in ("mean-mean", "mean-sigma"):
        return _moment_constants(ref, new, method)
    start_a, start_b = start or _moment_constants(
        ref, new, "mean-sigma" if len(ref) > 1 else "mean-mean"
    )
    grid = grid or Grid.normal()
    fixed_a = _fixed_slope(new)
    x0 = np.array([start_b] if fixed_a else [max(start_a, 0.1), start_b])
    ref_bank = ItemBank.from_items(list(ref))
    new_bank = ItemBank.from_items(list(new))
    if method == "haebara":
        res = optimize.minimize(
            _haebara_loss,
            x0,
            args=(new_bank, grid, fixed_a, ref_bank.probabilities(grid.theta)),
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-13, "maxiter": 4000},
        )
    else:
        res = optimize.minimize(
            _sl_loss,
            x0,
            args=(new_bank, grid, fixed_a, ref_bank.test_characteristic(grid.theta)),
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-13, "maxiter": 4000},
        )
    if not res.success:
        raise LinkingError(f"Optimierung des {method}-Kriteriums konvergierte nicht: {res.message}")
    if fixed_a:
        return 1.0, float(res.x[0])
    return float(res.x[0]), float(res.x[1])


def displacements(
    ref: Sequence[ItemParams], new: Sequence[ItemParams], big_a: float, big_b: float
) -> FloatArray:
    """Location of each transformed new anchor minus its reference location (logits)."""
    return np.array(
        [n.transformed(big_a, big_b).location - r.location for r, n in zip(ref, new, strict=True)]
    )


def link(
    reference: Sequence[ItemParams],
    new: Sequence[ItemParams],
    method: LinkingMethod = "haebara",
    *,
    drift_threshold: float | None = 0.5,
    drift_rule: DriftRule = "threshold",
    robust_z: float = ROBUST_Z,
    min_anchors: int = 3,
    grid: Grid | None = None,
) -> LinkingResult:
    """Link ``new`` onto ``reference`` via common items, removing drifting anchors iteratively."""
    if method not in METHODS:
        raise LinkingError(f"unbekannte Linking-Methode „{method}“ (erlaubt: {', '.join(METHODS)})")
    ref_by_name = {it.item: it for it in reference}
    anchors = [it.item for it in new if it.item in ref_by_name]
    if len(anchors) < 2:
        raise LinkingError(
            f"zu wenige gemeinsame Ankeritems ({len(anchors)}); mindestens 2 sind nötig"
        )
    new_by_name = {it.item: it for it in new}
    removed: list[RemovedAnchor] = []
    step = 0
    while True:
        ref_a = [ref_by_name[i] for i in anchors]
        new_a = [new_by_name[i] for i in anchors]
        big_a, big_b = linking_constants(ref_a, new_a, method, grid)
        disp = displacements(ref_a, new_a, big_a, big_b)
        worst = _drifting_anchor(disp, drift_rule, drift_threshold, robust_z)
        if worst is None or len(anchors) <= min_anchors:
            break
        step += 1
        removed.append(RemovedAnchor(anchors[worst], float(disp[worst]), step))
        anchors.pop(worst)

    k = len(anchors)
    if k < 3:
        # Deleting one of two anchors leaves a single item: no spread, no jackknife.
        return _result(method, big_a, big_b, anchors, removed, disp, new, jk=None)
    # Jackknife over anchor items (delete-one): var = (k − 1)/k · Σ (est_(j) − mean)².
    jk = np.array(
        [
            linking_constants(
                [r for j, r in enumerate(ref_a) if j != drop],
                [n for j, n in enumerate(new_a) if j != drop],
                method,
                grid,
                start=(big_a, big_b),
            )
            for drop in range(k)
        ]
    )
    return _result(method, big_a, big_b, anchors, removed, disp, new, jk=jk)


def _drifting_anchor(
    disp: FloatArray, rule: DriftRule, threshold: float | None, robust_z: float
) -> int | None:
    """Index of the anchor to remove next, or None (see module docstring)."""
    if rule == "threshold":
        worst = int(np.argmax(np.abs(disp)))
        return worst if threshold is not None and abs(disp[worst]) > threshold else None
    mad = 1.4826 * float(np.median(np.abs(disp - np.median(disp))))
    if mad <= 0:
        return None
    z = (disp - np.median(disp)) / mad
    worst = int(np.argmax(np.abs(z)))
    if abs(z[worst]) <= robust_z:
        return None
    if threshold is not None and abs(disp[worst]) <= threshold:
        return None
    return worst


def _result(
    method: LinkingMethod,
    big_a: float,
    big_b: float,
    anchors: list[str],
    removed: list[RemovedAnchor],
    disp: FloatArray,
    new: Sequence[ItemParams],
    jk: FloatArray | None,
) -> LinkingResult:
    k = len(anchors)
    if jk is None:
        se_a = se_b = float("nan")
    else:
        se_a = float(np.sqrt((k - 1) / k * np.sum((jk[:, 0] - jk[:, 0].mean()) ** 2)))
        se_b = float(np.sqrt((k - 1) / k * np.sum((jk[:, 1] - jk[:, 1].mean()) ** 2)))
    error_disp = float(np.std(disp, ddof=1) / np.sqrt(k))
    return LinkingResult(
        method=method,
        big_a=big_a,
        big_b=big_b,
        anchors=tuple(anchors),
        removed=tuple(removed),
        displacement={name: float(v) for name, v in zip(anchors, disp, strict=True)},
        se_a_jackknife=se_a,
        se_b_jackknife=se_b,
        linking_error_displacement=error_disp,
        linked_items=tuple(it.transformed(big_a, big_b) for it in new),
    )
