"""Numbers of the school feedback report, computed with the standards module.

* Kompetenzstufen, mean and SD per group: :func:`bimo.assessment.standards.group_statistics`
  (per PV, combined with Rubin's rules). Sampling variance: for the school and its classes
  Kish's effective n (all tested students of the group, treated as a sample from the students
  the group could have had); for the Kreis and Land references a JK1 jackknife over schools.
* Difference to the Land: school (class) value − Land value with SE √(SE² + SE_Land²); the
  school is part of the Land, which makes this slightly conservative.
* Fair comparison: :func:`bimo.assessment.standards.fair_comparison` over all schools of the
  Erhebung (see :mod:`bimo.reports.feedback.fair`).
* Item p-values: :mod:`bimo.reports.feedback.items`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from bimo.assessment.standards.levels import LevelModel, load_level_model
from bimo.assessment.standards.shares import group_statistics, statistic_names
from bimo.core.codes import ALL_CODE_LISTS
from bimo.reports.feedback.data import ErhebungData, FeedbackDataError, FloatArray
from bimo.reports.feedback.fair import FairReference, fair_reference, school_fair
from bimo.reports.feedback.items import ItemReference, item_reference, school_items
from bimo.reports.feedback.model import (
    Comparison,
    Estimate,
    GroupResult,
    LevelShare,
    SchoolFeedback,
)
from bimo.reports.feedback.suppression import suppressed_classes


@dataclass(frozen=True)
class FeedbackConfig:
    """Thresholds and criteria of the report (defaults documented in docs/feedback-reports.md)."""

    min_group: int = 10
    fair_level: float = 0.90  # coverage of the Erwartungsbereich
    between_schools: bool = True  # Erwartungsbereich = range of similar schools
    comparison_z: float = 1.96  # school/class vs Land: "deutlich" beyond z·SE
    item_min_difference: float = 10.0  # percentage points
    item_z: float = 2.0  # … and beyond z·SE under "same p as the Land"


@dataclass(frozen=True)
class ErhebungReference:
    """What is computed once per Erhebung and shared by all schools' reports."""

    data: ErhebungData
    model: LevelModel
    config: FeedbackConfig
    land: dict[str, GroupResult]
    kreise: dict[str, GroupResult]
    fair: FairReference
    items: ItemReference


def _group_result(
    scores: FloatArray,
    weights: FloatArray,
    clusters: np.ndarray | None,
    model: LevelModel,
    *,
    key: str,
    kind: str,
    label: str,
    min_group: int,
) -> GroupResult:
    n = int(scores.shape[0])
    if n < min_group:
        return GroupResult(key, kind, label, True, note=too_small_note(kind, min_group))
    point, se = group_statistics(scores, weights, clusters, model)
    values = {
        (stat, level): Estimate(float(p), None if np.isnan(e) else float(e))
        for (stat, level), p, e in zip(statistic_names(model), point, se, strict=True)
    }
    shares = tuple(
        LevelShare(lv.code, lv.label, lv.standard, values[("share_level", lv.code)])
        for lv in model.levels
    )
    return GroupResult(
        key,
        kind,
        label,
        False,
        n=n,
        shares=shares,
        below_minimum=values[("below_minimum", "")],
        at_or_above_regular=values[("at_or_above_regular", "")],
        mean=values[("mean", "")],
        sd=values[("sd", "")].value,
    )


def too_small_note(kind: str, min_group: int) -> str:
    what = {"klasse": "Klasse", "schule": "Schule"}.get(kind, "Gruppe")
    return (
        f"Für diese {what} werden keine Ergebnisse ausgewiesen: Es wurden weniger als "
        f"{min_group} Schülerinnen und Schüler getestet. Bei so kleinen Gruppen ließen die "
        "Zahlen Rückschlüsse auf einzelne Kinder zu."
    )


COMPLEMENTARY_NOTE = (
    "Für diese Klasse werden keine Ergebnisse ausgewiesen, obwohl genügend Schülerinnen und "
    "Schüler getestet wurden: Sonst ließen sich die Ergebnisse einer zu kleinen Klasse aus dem "
    "Schulergebnis und den übrigen Klassen zurückrechnen."
)


def _compare(group: GroupResult, land: GroupResult, z: float) -> GroupResult:
    if group.mean is None or land.mean is None:
        return group
    diff = group.mean.value - land.mean.value
    se = float(np.hypot(group.mean.se or 0.0, land.mean.se or 0.0))
    direction = ""
    if se > 0 and abs(diff) > z * se:
        direction = "hoeher" if diff > 0 else "niedriger"
    return replace(group, vs_land=Comparison(diff, se, direction))


def prepare_erhebung(data: ErhebungData, config: FeedbackConfig) -> ErhebungReference:
    """Land and Kreis references, fair comparison and item references of an Erhebung."""
    model = load_level_model(data.stufenmodell)
    students = data.students
    weights = students["gewicht"].to_numpy().astype(np.float64)
    school_codes = students["schulnummer"].to_numpy()
    land: dict[str, GroupResult] = {}
    kreise: dict[str, GroupResult] = {}
    for column, kind, out in (("land_ags", "land", land), ("kreis_ags", "kreis", kreise)):
        for key in sorted(students[column].unique().to_list()):
            mask = (students[column] == key).to_numpy()
            name = data.region_names.get(key, key)
            label = f"Land {name}" if kind == "land" else name
            out[key] = _group_result(
                data.scores[mask],
                weights[mask],
                school_codes[mask],
                model,
                key=key,
                kind=kind,
                label=label,
                min_group=config.min_group,
            )
    return ErhebungReference(
        data=data,
        model=model,
        config=config,
        land=land,
        kreise=kreise,
        fair=fair_reference(data, config.min_group, config.fair_level, config.between_schools),
        items=item_reference(data),
    )


def school_feedback(ref: ErhebungReference, schulnummer: str) -> SchoolFeedback:
    """All numbers of one school's report."""
    data, config, model = ref.data, ref.config, ref.model
    school = data.school_row(schulnummer)
    students = data.students.filter(pl.col("schulnummer") == schulnummer)
    if students.height == 0:
        raise FeedbackDataError(
            f"Die Schule {schulnummer} hat an der Erhebung {data.erhebung} nicht teilgenommen "
            "(keine Ergebnisse in assessment_results)."
        )
    idx = students["idx"].to_numpy()
    weights = students["gewicht"].to_numpy().astype(np.float64)
    kreis_ags = str(school["kreis_ags"])
    land_res = ref.land[kreis_ags[:2]]
    school_res = _group_result(
        data.scores[idx],
        weights,
        None,
        model,
        key=schulnummer,
        kind="schule",
        label="Ihre Schule",
        min_group=config.min_group,
    )
    school_res = _compare(school_res, land_res, config.comparison_z)

    class_col = students["klasse"].to_numpy()
    labels = sorted(set(class_col.tolist()), key=_class_sort_key)
    sizes = {k: int((class_col == k).sum()) for k in labels}
    hidden = suppressed_classes(sizes, config.min_group, not school_res.suppressed)
    classes: list[GroupResult] = []
    for k in labels:
        if k in hidden:
            note = (
                too_small_note("klasse", config.min_group)
                if sizes[k] < config.min_group
                else COMPLEMENTARY_NOTE
            )
            classes.append(GroupResult(k, "klasse", f"Klasse {k}", True, note=note))
            continue
        mask = class_col == k
        res = _group_result(
            data.scores[idx[mask]],
            weights[mask],
            None,
            model,
            key=k,
            kind="klasse",
            label=f"Klasse {k}",
            min_group=config.min_group,
        )
        classes.append(_compare(res, land_res, config.comparison_z))

    items = school_items(
        ref.items,
        data,
        schulnummer,
        labels,
        min_group=config.min_group,
        min_difference=config.item_min_difference,
        z=config.item_z,
        hidden_classes=[c.key for c in classes if c.suppressed],
    )
    bereich = ALL_CODE_LISTS["kompetenzbereich"]
    return SchoolFeedback(
        erhebung=data.erhebung,
        schuljahr=data.schuljahr,
        jahrgangsstufe=data.jahrgangsstufe,
        kompetenzbereich=data.kompetenzbereich,
        kompetenzbereich_label=bereich.labels.get(data.kompetenzbereich, data.kompetenzbereich),
        stufenmodell_title=model.title,
        schulnummer=schulnummer,
        school_name=str(school["name"]),
        school=school_res,
        classes=tuple(classes),
        kreis=ref.kreise.get(kreis_ags),
        land=land_res,
        fair=school_fair(ref.fair, data, schulnummer, school_res.suppressed, config.min_group),
        items=items,
        class_labels=tuple(labels),
        min_group=config.min_group,
        level_codes=model.codes,
        level_labels=tuple(lv.label for lv in model.levels),
        item_min_difference=config.item_min_difference,
        item_z=config.item_z,
        comparison_z=config.comparison_z,
    )


def _class_sort_key(label: str) -> tuple[int, str]:
    digits = "".join(ch for ch in label if ch.isdigit())
    return (int(digits) if digits else 0, label)
