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

__all__ = [
    "DIMENSIONS",
    "AnalysisError",
    "YearRange",
    "cohort_flows",
    "leavers_by_certificate",
    "leavers_without_esa",
    "repetition",
    "repetition_cohort",
    "school_form_changes",
    "time_to_certificate",
    "transitions",
]
