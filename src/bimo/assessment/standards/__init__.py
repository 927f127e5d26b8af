"""Linking, reporting metric, Kompetenzstufen and the fair comparison of school results.

Names are imported lazily (PEP 562): the fair comparison needs ``scipy.stats``, which every
``bimo`` command would otherwise load at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.assessment.standards.fair import FairComparisonError, FairRow, fair_comparison
    from bimo.assessment.standards.irf import ItemParams, category_probabilities, expected_score
    from bimo.assessment.standards.levels import (
        Level,
        LevelModel,
        LevelModelError,
        builtin_models,
        load_level_model,
        parse_level_model,
    )
    from bimo.assessment.standards.linking import (
        Grid,
        LinkingError,
        LinkingResult,
        RemovedAnchor,
        link,
        linking_constants,
    )
    from bimo.assessment.standards.metric import ReferenceMetric, reference_from_pvs
    from bimo.assessment.standards.shares import StatRow, group_statistics, standards_table
    from bimo.assessment.standards.variance import jackknife_variance, kish_n_eff, rubin

_HOME: dict[str, str] = {
    "FairComparisonError": "fair",
    "FairRow": "fair",
    "Grid": "linking",
    "ItemParams": "irf",
    "Level": "levels",
    "LevelModel": "levels",
    "LevelModelError": "levels",
    "LinkingError": "linking",
    "LinkingResult": "linking",
    "ReferenceMetric": "metric",
    "RemovedAnchor": "linking",
    "StatRow": "shares",
    "builtin_models": "levels",
    "category_probabilities": "irf",
    "expected_score": "irf",
    "fair_comparison": "fair",
    "group_statistics": "shares",
    "jackknife_variance": "variance",
    "kish_n_eff": "variance",
    "link": "linking",
    "linking_constants": "linking",
    "load_level_model": "levels",
    "parse_level_model": "levels",
    "reference_from_pvs": "metric",
    "rubin": "variance",
    "standards_table": "shares",
}

__all__ = [
    "FairComparisonError",
    "FairRow",
    "Grid",
    "ItemParams",
    "Level",
    "LevelModel",
    "LevelModelError",
    "LinkingError",
    "LinkingResult",
    "ReferenceMetric",
    "RemovedAnchor",
    "StatRow",
    "builtin_models",
    "category_probabilities",
    "expected_score",
    "fair_comparison",
    "group_statistics",
    "jackknife_variance",
    "kish_n_eff",
    "link",
    "linking_constants",
    "load_level_model",
    "parse_level_model",
    "reference_from_pvs",
    "rubin",
    "standards_table",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        module = importlib.import_module(f"bimo.assessment.standards.{_HOME[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'bimo.assessment.standards' has no attribute {name!r}")
