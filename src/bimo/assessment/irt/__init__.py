"""IRT calibration for Lernstandserhebungen: marginal ML (Bock–Aitkin EM + SQUAREM),
person estimates, item fit and plausible values from a latent regression.

Verbs in order: build :class:`ResponseData` → :func:`fit` with :class:`FitSettings` →
:class:`FitResult` (items, latent distribution, persons); :func:`plausible_values` draws PVs
with fixed item parameters.

Names are imported lazily (PEP 562) so that ``bimo --help`` does not pay for numpy/polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.assessment.irt.calibrate import FitSettings, fit
    from bimo.assessment.irt.data import ResponseData, ResponseDataError, read_responses
    from bimo.assessment.irt.io import (
        read_background,
        read_items,
        write_items,
        write_persons,
    )
    from bimo.assessment.irt.pv import PVResult, PVSettings, plausible_values
    from bimo.assessment.irt.results import (
        MODELS,
        FitResult,
        ItemParams,
        LatentDistribution,
        ModelName,
        PersonEstimates,
    )

_HOME = {
    "ResponseData": "data",
    "ResponseDataError": "data",
    "read_responses": "data",
    "FitSettings": "calibrate",
    "fit": "calibrate",
    "read_background": "io",
    "read_items": "io",
    "write_items": "io",
    "write_persons": "io",
    "PVResult": "pv",
    "PVSettings": "pv",
    "plausible_values": "pv",
    "MODELS": "results",
    "FitResult": "results",
    "ItemParams": "results",
    "LatentDistribution": "results",
    "ModelName": "results",
    "PersonEstimates": "results",
}

__all__ = [
    "MODELS",
    "FitResult",
    "FitSettings",
    "ItemParams",
    "LatentDistribution",
    "ModelName",
    "PVResult",
    "PVSettings",
    "PersonEstimates",
    "ResponseData",
    "ResponseDataError",
    "fit",
    "plausible_values",
    "read_background",
    "read_items",
    "read_responses",
    "write_items",
    "write_persons",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"bimo.assessment.irt.{_HOME[name]}"), name)
    raise AttributeError(f"module 'bimo.assessment.irt' has no attribute {name!r}")
