"""Graded response model (Samejima) per scale, calibrated with BiMo's IRT engine.

The survey simulator is the normal-ogive GRM in factor parameterisation (loading λ,
thresholds τ); the engine fits the logistic GRM logit P(X ≥ c | θ) = a·θ + d_c with
θ ~ N(0, 1). With the usual scaling constant D = 1.702 the two correspond as
a ≈ D·λ/√(1 − λ²) and d_c ≈ −D·τ_c/√(1 − λ²); :attr:`GrmItem.loading` converts back, so a
calibration can be read like a factor analysis and compared with the generating model.
Two-category scales (ja/nein) are fitted as 2PL, which is the same model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bimo.assessment.irt.calibrate import FitSettings, fit
from bimo.assessment.irt.data import ResponseData
from bimo.surveys.analysis import scale_items
from bimo.surveys.instrument import Instrument
from bimo.surveys.reliability import Matrix, ReliabilityError

__all__ = ["LOGISTIC_D", "GrmCalibration", "GrmItem", "calibrate_scale"]

LOGISTIC_D = 1.702
MIN_SHEETS = 100  # below this the item parameters are too unstable to be worth reporting


@dataclass(frozen=True)
class GrmItem:
    item: str
    slope: float
    intercepts: tuple[float, ...]  # d_1 > d_2 > … (logit of answering at least category c)
    slope_se: float | None

    @property
    def loading(self) -> float:
        """Standardised loading λ of the equivalent normal-ogive factor model."""
        a = self.slope / LOGISTIC_D
        return float(a / np.sqrt(1.0 + a * a))

    @property
    def thresholds(self) -> tuple[float, ...]:
        """Thresholds τ_c of the equivalent factor model (on the latent response scale)."""
        lam = self.loading
        return tuple(-d * np.sqrt(1.0 - lam * lam) / LOGISTIC_D for d in self.intercepts)


@dataclass(frozen=True)
class GrmCalibration:
    scale_id: str
    n: int
    items: list[GrmItem]
    loglik: float
    converged: bool
    seconds: float


def calibrate_scale(instrument: Instrument, responses: Matrix, scale_id: str) -> GrmCalibration:
    """Fit the GRM to one scale's (recoded) answers; sheets without any answer are dropped."""
    block = scale_items(instrument, responses, scale_id)
    block = block[~np.isnan(block).all(axis=1)]
    if block.shape[0] < MIN_SHEETS:
        raise ReliabilityError(
            f"Für eine GRM-Kalibrierung braucht es mindestens {MIN_SHEETS} Antwortbögen "
            f"(vorhanden: {block.shape[0]})."
        )
    scale = instrument.scale(scale_id)
    data = ResponseData.from_array(block - 1.0, items=[it.id for it in scale.items])
    result = fit(data, "grm", FitSettings(persons=False, item_fit=False))
    params = result.items
    items = []
    for i, name in enumerate(params.names):
        d = params.d[i]
        se = params.se_a[i] if params.se_a.size else None
        items.append(
            GrmItem(
                name,
                float(params.a[i]),
                tuple(float(x) for x in d[~np.isnan(d)]),
                None if se is None or not np.isfinite(se) else float(se),
            )
        )
    return GrmCalibration(
        scale_id, int(block.shape[0]), items, result.loglik, result.converged, result.seconds
    )
