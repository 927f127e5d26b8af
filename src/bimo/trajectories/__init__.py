"""Bildungsverlaufsstatistik: linkage of school records into trajectories and their analyses.

The analyses (:mod:`bimo.trajectories.analyses`) are pure Ibis expressions; ``bimo verlauf``
runs them on the analytic store.
"""

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
