"""Bildungsverlauf analyses as pure Ibis expressions (DuckDB, PySpark, …).

Each function takes Ibis tables of the analytic store and returns a long table with the
requested dimensions, ``numerator``, ``denominator`` and ``rate`` (percent). See
``docs/verlauf.md`` for the definitions.
"""

from bimo.trajectories.analyses._common import (
    DIMENSIONS,
    AnalysisError,
    Prepared,
    YearRange,
    key_records,
    prepare,
    prepare_keyed,
    resolve_dims,
)
from bimo.trajectories.analyses.cohorts import cohort_flows, time_to_certificate
from bimo.trajectories.analyses.leavers import leavers_by_certificate, leavers_without_esa
from bimo.trajectories.analyses.repetition import repetition, repetition_cohort
from bimo.trajectories.analyses.school_changes import school_form_changes
from bimo.trajectories.analyses.transitions import transitions

__all__ = [
    "DIMENSIONS",
    "AnalysisError",
    "Prepared",
    "YearRange",
    "cohort_flows",
    "key_records",
    "leavers_by_certificate",
    "leavers_without_esa",
    "prepare",
    "prepare_keyed",
    "repetition",
    "repetition_cohort",
    "resolve_dims",
    "school_form_changes",
    "time_to_certificate",
    "transitions",
]
