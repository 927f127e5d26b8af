"""Tidy results of a calibration: item parameters, latent distribution, fit, persons.

One schema for all models. Item parameters are in slope–intercept form (see
:mod:`bimo.assessment.irt.models`); ``d`` is padded with NaN for items with fewer categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.models import Kind

ModelName = Literal["rasch", "1pl", "2pl", "pcm", "gpcm", "grm"]
MODELS: tuple[ModelName, ...] = ("rasch", "1pl", "2pl", "pcm", "gpcm", "grm")
FloatArray = NDArray[np.float64]


@dataclass
class ItemParams:
    """Item parameters (slope–intercept), standard errors and fit, one entry per item."""

    names: list[str]
    labels: list[str]  # per-item model label written to ITEMS.csv (rasch, 2pl, pcm, grm …)
    kinds: list[Kind]
    ncat: NDArray[np.int64]
    a: FloatArray
    d: FloatArray  # (I, max m), NaN padded
    se_a: FloatArray = field(default_factory=lambda: np.empty(0))
    se_d: FloatArray = field(default_factory=lambda: np.empty(0))
    infit: FloatArray = field(default_factory=lambda: np.empty(0))
    outfit: FloatArray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        n = len(self.names)
        for name in ("se_a", "infit", "outfit"):
            if getattr(self, name).size == 0:
                setattr(self, name, np.full(n, np.nan))
        if self.se_d.size == 0:
            self.se_d = np.full(self.d.shape, np.nan)

    @property
    def n_items(self) -> int:
        return len(self.names)

    @property
    def b(self) -> FloatArray:
        """Difficulty b = −d/a for dichotomous items, NaN for polytomous items."""
        out = np.full(self.n_items, np.nan)
        dich = self.ncat == 2
        out[dich] = -self.d[dich, 0] / self.a[dich]
        return out


@dataclass
class LatentDistribution:
    """Normal latent distribution per group (reference group first)."""

    labels: list[str]
    mean: FloatArray
    var: FloatArray

    def to_json(self) -> dict[str, object]:
        if len(self.labels) == 1:
            return {"latent_mean": float(self.mean[0]), "latent_var": float(self.var[0])}
        return {
            "latent_mean": {g: float(m) for g, m in zip(self.labels, self.mean, strict=True)},
            "latent_var": {g: float(v) for g, v in zip(self.labels, self.var, strict=True)},
        }


@dataclass
class PersonEstimates:
    """WLE (Warm) with SE, EAP with posterior SD, per person in input order."""

    ids: list[str]
    group: list[str]
    wle: FloatArray
    wle_se: FloatArray
    eap: FloatArray
    eap_sd: FloatArray

    @property
    def wle_reliability(self) -> float:
        """1 − mean(SE²)/Var(WLE), over persons with a finite WLE."""
        ok = np.isfinite(self.wle) & np.isfinite(self.wle_se)
        var = float(np.var(self.wle[ok]))
        return float(1.0 - np.mean(self.wle_se[ok] ** 2) / var) if var > 0 else float("nan")

    @property
    def eap_reliability(self) -> float:
        """Var(EAP) / (Var(EAP) + mean posterior variance)."""
        var = float(np.var(self.eap))
        return float(var / (var + float(np.mean(self.eap_sd**2))))


@dataclass
class FitResult:
    """Everything a calibration produces (the single results schema)."""

    model: ModelName
    items: ItemParams
    latent: LatentDistribution
    loglik: float
    n_params: int
    n_persons: int
    iterations: int
    converged: bool
    seconds: float
    se_method: str
    persons: PersonEstimates | None = None

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return float(-2.0 * self.loglik + np.log(self.n_persons) * self.n_params)

    def summary(self) -> dict[str, object]:
        """The JSON summary printed by ``bimo scale fit --json``."""
        out: dict[str, object] = {
            "model": self.model,
            "n_persons": self.n_persons,
            "n_items": self.items.n_items,
            "n_params": self.n_params,
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "iterations": self.iterations,
            "converged": self.converged,
            "seconds": round(self.seconds, 3),
            **self.latent.to_json(),
            "latent_sd": (
                float(np.sqrt(self.latent.var[0]))
                if len(self.latent.labels) == 1
                else {
                    g: float(np.sqrt(v))
                    for g, v in zip(self.latent.labels, self.latent.var, strict=True)
                }
            ),
            "se_method": self.se_method,
        }
        if self.persons is not None:
            out["wle_reliability"] = self.persons.wle_reliability
            out["eap_reliability"] = self.persons.eap_reliability
        return out
