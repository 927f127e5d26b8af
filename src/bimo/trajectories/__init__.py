"""Bildungsverlaufsstatistik: linkage of school records into trajectories and their analyses.

The analyses (:mod:`bimo.trajectories.analyses`) are pure Ibis expressions; ``bimo verlauf``
runs them on the analytic store.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for Ibis, Polars and Splink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.trajectories.analyses import (
        DIMENSIONS,
        AnalysisError,
        YearRange,
        cohort_flows,
        leavers_by_certificate,
        leavers_without_esa,
        repetition,
        repetition_cohort,
        school_form_changes,
        time_to_certificate,
        transitions,
    )
    from bimo.trajectories.linkage import (
        CHECKS,
        Check,
        check_trajectories,
        student_years_table,
        summarize,
        to_polars,
        trajectory_overview,
    )
    from bimo.trajectories.matching import (
        DEFAULT_THRESHOLD,
        Evaluation,
        MatchResult,
        evaluate,
        match_records,
    )

__all__ = [
    "CHECKS",
    "DEFAULT_THRESHOLD",
    "DIMENSIONS",
    "AnalysisError",
    "Check",
    "Evaluation",
    "MatchResult",
    "YearRange",
    "check_trajectories",
    "cohort_flows",
    "evaluate",
    "leavers_by_certificate",
    "leavers_without_esa",
    "match_records",
    "repetition",
    "repetition_cohort",
    "school_form_changes",
    "student_years_table",
    "summarize",
    "time_to_certificate",
    "to_polars",
    "trajectory_overview",
    "transitions",
]

_EXPORTS: dict[str, str] = {
    "CHECKS": "bimo.trajectories.linkage",
    "DEFAULT_THRESHOLD": "bimo.trajectories.matching",
    "DIMENSIONS": "bimo.trajectories.analyses",
    "AnalysisError": "bimo.trajectories.analyses",
    "Check": "bimo.trajectories.linkage",
    "Evaluation": "bimo.trajectories.matching",
    "MatchResult": "bimo.trajectories.matching",
    "YearRange": "bimo.trajectories.analyses",
    "check_trajectories": "bimo.trajectories.linkage",
    "cohort_flows": "bimo.trajectories.analyses",
    "evaluate": "bimo.trajectories.matching",
    "leavers_by_certificate": "bimo.trajectories.analyses",
    "leavers_without_esa": "bimo.trajectories.analyses",
    "match_records": "bimo.trajectories.matching",
    "repetition": "bimo.trajectories.analyses",
    "repetition_cohort": "bimo.trajectories.analyses",
    "school_form_changes": "bimo.trajectories.analyses",
    "student_years_table": "bimo.trajectories.linkage",
    "summarize": "bimo.trajectories.linkage",
    "time_to_certificate": "bimo.trajectories.analyses",
    "to_polars": "bimo.trajectories.linkage",
    "trajectory_overview": "bimo.trajectories.linkage",
    "transitions": "bimo.trajectories.analyses",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
