"""Linking, reporting metric, Kompetenzstufen and the fair comparison of school results."""

from __future__ import annotations

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
