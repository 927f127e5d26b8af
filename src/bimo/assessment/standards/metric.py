"""The reporting metric: 500 + 100·(θ − μ_ref)/σ_ref.

μ_ref and σ_ref come from a reference cohort (e.g. the first Bildungstrend of a domain). From
plausible values they are estimated per PV (weighted mean and weighted SD) and averaged over PVs,
the usual way of computing any statistic from PVs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bimo.assessment.standards.irf import FloatArray
from bimo.core.errors import BimoError

REPORTING_MEAN = 500.0
REPORTING_SD = 100.0


@dataclass(frozen=True)
class ReferenceMetric:
    """μ_ref and σ_ref in θ units."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.mean) or not np.isfinite(self.sd) or self.sd <= 0:
            raise BimoError(
                "Referenzmetrik ungültig: die Standardabweichung muss eine positive Zahl sein "
                f"(Mittelwert {self.mean}, SD {self.sd})"
            )

    def to_reporting(self, theta: FloatArray) -> FloatArray:
        out: FloatArray = REPORTING_MEAN + REPORTING_SD * (theta - self.mean) / self.sd
        return out

    def to_theta(self, score: FloatArray) -> FloatArray:
        out: FloatArray = self.mean + self.sd * (score - REPORTING_MEAN) / REPORTING_SD
        return out


def reference_from_pvs(pvs: FloatArray, weights: FloatArray | None = None) -> ReferenceMetric:
    """μ_ref, σ_ref from a reference cohort's PVs (n, M): means of per-PV weighted statistics."""
    w = np.ones(pvs.shape[0]) if weights is None else weights
    total = w.sum()
    means = (w[:, None] * pvs).sum(axis=0) / total
    variances = (w[:, None] * (pvs - means) ** 2).sum(axis=0) / total
    return ReferenceMetric(mean=float(means.mean()), sd=float(np.sqrt(variances).mean()))
