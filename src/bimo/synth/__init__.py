"""Musterland: a synthetic Land with schools, student careers, population and portal data.

``generate(SynthConfig(out=...))`` writes the data set; :mod:`bimo.synth.calibration` compares
it with published national figures. See ``docs/musterland.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.synth.calibration import CheckResult, Target, check, load_targets, markdown
    from bimo.synth.generator import SynthConfig, SynthResult, generate

# Imported on first use (PEP 562): ``python -m bimo.synth.calibration`` runs without a
# warning, and ``bimo --help`` does not load the generator (Polars, PyArrow).
_EXPORTS: dict[str, str] = {
    "CheckResult": "bimo.synth.calibration",
    "Target": "bimo.synth.calibration",
    "check": "bimo.synth.calibration",
    "load_targets": "bimo.synth.calibration",
    "markdown": "bimo.synth.calibration",
    "SynthConfig": "bimo.synth.generator",
    "SynthResult": "bimo.synth.generator",
    "generate": "bimo.synth.generator",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "CheckResult",
    "SynthConfig",
    "SynthResult",
    "Target",
    "check",
    "generate",
    "load_targets",
    "markdown",
]
