"""Student surveys: questionnaires as data, psychometrics, careless-responder flags, simulation.

Exports are imported on first use (PEP 562 ``__getattr__``): ``bimo --help`` imports the
``cli`` submodule and must not pay for SciPy."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.surveys.analysis import (
        Change,
        MeanCI,
        ScaleResult,
        analyze_scale,
        change_between_rounds,
        check_matrix,
        item_distribution,
        mean_ci,
        recode,
        scale_items,
        scale_scores,
        score_distribution,
    )
    from bimo.surveys.careless import (
        CarelessFlags,
        CarelessThresholds,
        even_odd,
        flag_careless,
        irv,
        longstring,
        mahalanobis_p,
    )
    from bimo.surveys.instrument import (
        CATEGORIES,
        LABELS,
        Instrument,
        InstrumentError,
        Item,
        OpenQuestion,
        Scale,
        load_instrument,
        load_instruments,
        parse_instrument,
    )
    from bimo.surveys.reliability import (
        ItemStatistic,
        OneFactorFit,
        ReliabilityError,
        alpha_ci_feldt,
        alpha_from_covariance,
        cronbach_alpha,
        fit_one_factor,
        item_statistics,
        mcdonald_omega,
        omega_from_covariance,
    )
    from bimo.surveys.simulate import (
        ScaleModel,
        SimulatedRound,
        SurveyModel,
        implied_covariance,
        model_for,
        population_alpha,
        population_omega,
        simulate_round,
    )

__all__ = [
    "CATEGORIES",
    "LABELS",
    "CarelessFlags",
    "CarelessThresholds",
    "Change",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemStatistic",
    "MeanCI",
    "OneFactorFit",
    "OpenQuestion",
    "ReliabilityError",
    "Scale",
    "ScaleModel",
    "ScaleResult",
    "SimulatedRound",
    "SurveyModel",
    "alpha_ci_feldt",
    "alpha_from_covariance",
    "analyze_scale",
    "change_between_rounds",
    "check_matrix",
    "cronbach_alpha",
    "even_odd",
    "fit_one_factor",
    "flag_careless",
    "implied_covariance",
    "irv",
    "item_distribution",
    "item_statistics",
    "load_instrument",
    "load_instruments",
    "longstring",
    "mahalanobis_p",
    "mcdonald_omega",
    "mean_ci",
    "model_for",
    "omega_from_covariance",
    "parse_instrument",
    "population_alpha",
    "population_omega",
    "recode",
    "scale_items",
    "scale_scores",
    "score_distribution",
    "simulate_round",
]

_EXPORTS: dict[str, str] = {
    "CATEGORIES": "bimo.surveys.instrument",
    "LABELS": "bimo.surveys.instrument",
    "CarelessFlags": "bimo.surveys.careless",
    "CarelessThresholds": "bimo.surveys.careless",
    "Change": "bimo.surveys.analysis",
    "Instrument": "bimo.surveys.instrument",
    "InstrumentError": "bimo.surveys.instrument",
    "Item": "bimo.surveys.instrument",
    "ItemStatistic": "bimo.surveys.reliability",
    "MeanCI": "bimo.surveys.analysis",
    "OneFactorFit": "bimo.surveys.reliability",
    "OpenQuestion": "bimo.surveys.instrument",
    "ReliabilityError": "bimo.surveys.reliability",
    "Scale": "bimo.surveys.instrument",
    "ScaleModel": "bimo.surveys.simulate",
    "ScaleResult": "bimo.surveys.analysis",
    "SimulatedRound": "bimo.surveys.simulate",
    "SurveyModel": "bimo.surveys.simulate",
    "alpha_ci_feldt": "bimo.surveys.reliability",
    "alpha_from_covariance": "bimo.surveys.reliability",
    "analyze_scale": "bimo.surveys.analysis",
    "change_between_rounds": "bimo.surveys.analysis",
    "check_matrix": "bimo.surveys.analysis",
    "cronbach_alpha": "bimo.surveys.reliability",
    "even_odd": "bimo.surveys.careless",
    "fit_one_factor": "bimo.surveys.reliability",
    "flag_careless": "bimo.surveys.careless",
    "implied_covariance": "bimo.surveys.simulate",
    "irv": "bimo.surveys.careless",
    "item_distribution": "bimo.surveys.analysis",
    "item_statistics": "bimo.surveys.reliability",
    "load_instrument": "bimo.surveys.instrument",
    "load_instruments": "bimo.surveys.instrument",
    "longstring": "bimo.surveys.careless",
    "mahalanobis_p": "bimo.surveys.careless",
    "mcdonald_omega": "bimo.surveys.reliability",
    "mean_ci": "bimo.surveys.analysis",
    "model_for": "bimo.surveys.simulate",
    "omega_from_covariance": "bimo.surveys.reliability",
    "parse_instrument": "bimo.surveys.instrument",
    "population_alpha": "bimo.surveys.simulate",
    "population_omega": "bimo.surveys.simulate",
    "recode": "bimo.surveys.analysis",
    "scale_items": "bimo.surveys.analysis",
    "scale_scores": "bimo.surveys.analysis",
    "score_distribution": "bimo.surveys.analysis",
    "simulate_round": "bimo.surveys.simulate",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if not name.startswith("__"):
            # Submodules stay reachable as attributes (``pkg.submodule``).
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
