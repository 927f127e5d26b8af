"""Musterland: a synthetic Land with schools, student careers, population and portal data.

``generate(SynthConfig(out=...))`` writes the data set; :mod:`bimo.synth.calibration` compares
it with published national figures. See ``docs/musterland.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bimo.synth.generator import SynthConfig, SynthResult, generate

if TYPE_CHECKING:
    from bimo.synth.calibration import CheckResult, Target, check, load_targets, markdown

_CALIBRATION = ("CheckResult", "Target", "check", "load_targets", "markdown")


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``python -m bimo.synth.calibration`` runs without a warning.
    if name in _CALIBRATION:
        from bimo.synth import calibration

        return getattr(calibration, name)
    raise AttributeError(name)


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
