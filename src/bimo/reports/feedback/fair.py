"""The fair comparison ("fairer Vergleich") for the feedback report.

One call of :func:`bimo.assessment.standards.fair_comparison` over all schools of the Erhebung:
individual background and school composition are the same three variables from
``student_years`` (weiblich, nichtdeutsche Herkunftssprache, sonderpädagogischer Förderbedarf).
A variable without variance among the students, or whose school shares do not vary between
schools, is left out (it would make the model singular and cannot explain differences anyway).
Students without a matching ``student_years`` record take no part in the fair comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from bimo.assessment.standards.fair import FairComparisonError, FairRow, fair_comparison
from bimo.reports.feedback.data import ErhebungData
from bimo.reports.feedback.model import FairResult

COVARIATES: tuple[str, ...] = ("weiblich", "ndh", "foerderbedarf")
COVARIATE_LABELS: dict[str, str] = {
    "weiblich": "Mädchen",
    "ndh": "nichtdeutsche Herkunftssprache",
    "foerderbedarf": "sonderpädagogischer Förderbedarf",
}


@dataclass(frozen=True)
class FairReference:
    rows: dict[str, FairRow]
    covariates: tuple[str, ...]
    error: str  # German reason when the model could not be estimated, else ""
    composition: dict[str, dict[str, float]]  # schulnummer → covariate → percent
    land_composition: dict[str, dict[str, float]]  # land_ags → covariate → percent
    level: float
    between_schools: bool


def _shares(frame: pl.DataFrame, by: str) -> dict[str, dict[str, float]]:
    agg = frame.group_by(by).agg(
        [
            ((pl.col(c) * pl.col("gewicht")).sum() / pl.col("gewicht").sum() * 100.0).alias(c)
            for c in COVARIATES
        ]
    )
    return {str(r[by]): {c: float(r[c]) for c in COVARIATES} for r in agg.iter_rows(named=True)}


def usable_covariates(frame: pl.DataFrame) -> tuple[str, ...]:
    """Covariates that vary between students and whose school shares vary between schools."""
    keep = []
    school_means = frame.group_by("schulnummer").agg([pl.col(c).mean() for c in COVARIATES])
    for c in COVARIATES:
        if frame[c].n_unique() > 1 and school_means[c].n_unique() > 1:
            keep.append(c)
    return tuple(keep)


def fair_reference(
    data: ErhebungData, min_group: int, level: float, between_schools: bool
) -> FairReference:
    frame = data.students.drop_nulls(list(COVARIATES))
    covariates = usable_covariates(frame) if frame.height else ()
    composition = _shares(frame, "schulnummer") if frame.height else {}
    land_composition = _shares(frame, "land_ags") if frame.height else {}
    rows: dict[str, FairRow] = {}
    error = ""
    if frame.height == 0:
        error = "Für keine getestete Person liegen Hintergrundmerkmale vor (student_years)."
    else:
        x = frame.select(covariates).to_numpy().astype(np.float64).reshape(frame.height, -1)
        try:
            result = fair_comparison(
                data.scores[frame["idx"].to_numpy()],
                x,
                x,
                frame["schulnummer"].to_list(),
                frame["gewicht"].to_numpy().astype(np.float64),
                level=level,
                min_cell=min_group,
                between_schools=between_schools,
            )
            rows = {r.school: r for r in result}
        except FairComparisonError as exc:
            error = str(exc)
    return FairReference(
        rows, covariates, error, composition, land_composition, level, between_schools
    )


def school_fair(
    ref: FairReference,
    data: ErhebungData,
    schulnummer: str,
    school_suppressed: bool,
    min_group: int,
) -> FairResult:
    def unavailable(note: str) -> FairResult:
        return FairResult(
            True,
            note=note,
            covariates=ref.covariates,
            level=ref.level,
            between_schools=ref.between_schools,
        )

    if school_suppressed:
        return unavailable(
            "Der faire Vergleich entfällt, weil für die Schule wegen der geringen Zahl "
            "getesteter Schülerinnen und Schüler keine Ergebnisse ausgewiesen werden."
        )
    if ref.error:
        return unavailable(f"Der faire Vergleich konnte nicht berechnet werden: {ref.error}")
    row = ref.rows.get(schulnummer)
    if row is None or row.suppressed or row.observed is None:
        return unavailable(
            "Der faire Vergleich entfällt: Nur für weniger als "
            f"{min_group} getestete Schülerinnen und Schüler der Schule liegen die "
            "Hintergrundmerkmale vor."
        )
    land_ags = str(data.school_row(schulnummer)["kreis_ags"])[:2]
    return FairResult(
        False,
        n=row.n,
        observed=row.observed,
        expected=row.expected,
        lower=row.lower,
        upper=row.upper,
        difference=row.difference,
        se=row.se,
        classification=row.classification,
        composition=ref.composition.get(schulnummer, {}),
        land_composition=ref.land_composition.get(land_ags, {}),
        covariates=ref.covariates,
        level=ref.level,
        between_schools=ref.between_schools,
    )
