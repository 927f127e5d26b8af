"""School feedback report (Rückmeldung) for Lernstandserhebungen.

``build_school_feedback(store, erhebung, schulnummer, out_dir)`` writes
``rueckmeldung_<schulnummer>_<erhebung>.html`` and ``.pdf``; ``build_all_feedback`` one report per
participating school. The numbers come from :mod:`bimo.assessment.standards` (Kompetenzstufen
with Rubin's rules, fair comparison); see ``docs/feedback-reports.md``.
"""

from bimo.reports.feedback.build import (
    FeedbackFiles,
    build_all_feedback,
    build_school_feedback,
    file_stem,
    participating_schools,
    prepare,
    write_report,
)
from bimo.reports.feedback.compute import (
    ErhebungReference,
    FeedbackConfig,
    prepare_erhebung,
    school_feedback,
)
from bimo.reports.feedback.data import (
    ErhebungData,
    FeedbackDataError,
    available_erhebungen,
    load_erhebung,
)
from bimo.reports.feedback.html import render_html
from bimo.reports.feedback.model import (
    Comparison,
    Estimate,
    FairResult,
    GroupResult,
    ItemRow,
    ItemValue,
    LevelShare,
    SchoolFeedback,
)
from bimo.reports.feedback.suppression import (
    DEFAULT_MIN_GROUP,
    resolve_min_group,
    suppressed_classes,
)
from bimo.reports.feedback.synthetic import SyntheticErhebung, write_synthetic_erhebung

__all__ = [
    "DEFAULT_MIN_GROUP",
    "Comparison",
    "ErhebungData",
    "ErhebungReference",
    "Estimate",
    "FairResult",
    "FeedbackConfig",
    "FeedbackDataError",
    "FeedbackFiles",
    "GroupResult",
    "ItemRow",
    "ItemValue",
    "LevelShare",
    "SchoolFeedback",
    "SyntheticErhebung",
    "available_erhebungen",
    "build_all_feedback",
    "build_school_feedback",
    "file_stem",
    "load_erhebung",
    "participating_schools",
    "prepare",
    "prepare_erhebung",
    "render_html",
    "resolve_min_group",
    "school_feedback",
    "suppressed_classes",
    "write_report",
    "write_synthetic_erhebung",
]
