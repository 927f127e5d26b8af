"""Item level: share of points (p-value, "Lösungshäufigkeit") per item for school, classes, Land.

p = 100 · Σ w·punkte / Σ w·max_punkte over the students of the group who worked on the item
(items not administered to a student — other test booklet — do not count). For dichotomous
items this is the weighted percentage of correct answers.

A group's deviation from the Land is *notable* when both hold:

* |p − p_Land| ≥ ``min_difference`` percentage points (default 10: smaller differences are of
  little practical use for teaching), and
* |p − p_Land| > z · SE₀ (default z = 2), where SE₀ = 100·√(s²_Land / n_eff) is the random
  fluctuation that a group of this size would show if its students solved the item like the
  Land's students (s²_Land: weighted variance of the item's score share punkte/max_punkte in
  the Land; n_eff: Kish's effective number of the group's students on the item).

The second condition keeps small groups from being flagged by chance; the first keeps large
groups from being flagged for trivial differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from bimo.reports.feedback.data import ErhebungData
from bimo.reports.feedback.model import ItemRow, ItemValue
from bimo.reports.feedback.suppression import suppressed_classes


@dataclass(frozen=True)
class ItemReference:
    """Per Land and item: p (percent), variance of the score share, n, max points."""

    land: pl.DataFrame  # land_ags, item, p, var, n, max_punkte


def _aggregate(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    w = pl.col("gewicht")
    x = pl.col("punkte") / pl.col("max_punkte")
    return (
        frame.group_by([*by, "item"])
        .agg(
            (100.0 * (w * pl.col("punkte")).sum() / (w * pl.col("max_punkte")).sum()).alias("p"),
            ((w * x).sum() / w.sum()).alias("mean_x"),
            ((w * x * x).sum() / w.sum()).alias("mean_x2"),
            (w.sum() ** 2 / (w * w).sum()).alias("n_eff"),
            pl.len().alias("n"),
            pl.col("max_punkte").max().alias("max_punkte"),
        )
        .with_columns(
            (pl.col("mean_x2") - pl.col("mean_x") ** 2).clip(lower_bound=0.0).alias("var")
        )
        .drop("mean_x", "mean_x2")
    )


def item_reference(data: ErhebungData) -> ItemReference:
    return ItemReference(_aggregate(data.responses, ["land_ags"]))


def _value(
    row: dict[str, object] | None,
    land_p: float,
    land_var: float,
    hidden: bool,
    min_difference: float,
    z: float,
) -> ItemValue:
    if row is None:
        return ItemValue(None, None, None, "")
    if hidden:
        return ItemValue(None, None, None, "", hidden=True)
    p = float(str(row["p"]))
    n_eff = float(str(row["n_eff"]))
    diff = p - land_p
    se0 = 100.0 * (land_var / n_eff) ** 0.5
    notable = ""
    if abs(diff) >= min_difference and abs(diff) > z * se0:
        notable = "hoeher" if diff > 0 else "niedriger"
    return ItemValue(p, int(str(row["n"])), diff, notable)


def school_items(
    ref: ItemReference,
    data: ErhebungData,
    schulnummer: str,
    class_labels: Sequence[str],
    *,
    min_group: int,
    min_difference: float,
    z: float,
    hidden_classes: Sequence[str] = (),
) -> tuple[ItemRow, ...]:
    """Item rows of one school, sorted from the easiest to the hardest item in the Land."""
    responses = data.responses.filter(pl.col("schulnummer") == schulnummer)
    if responses.height == 0:
        return ()
    land_ags = str(responses["land_ags"][0])
    land = ref.land.filter(pl.col("land_ags") == land_ags)
    school = {str(r["item"]): r for r in _aggregate(responses, []).iter_rows(named=True)}
    per_class: dict[str, dict[str, dict[str, object]]] = {}
    for r in _aggregate(responses, ["klasse"]).iter_rows(named=True):
        per_class.setdefault(str(r["item"]), {})[str(r["klasse"])] = r
    rows = []
    for lr in land.sort(["p", "item"], descending=[True, False]).iter_rows(named=True):
        item = str(lr["item"])
        if item not in school:
            continue
        land_p, land_var = float(lr["p"]), float(lr["var"])
        school_row = school[item]
        school_shown = int(school_row["n"]) >= min_group
        classes = per_class.get(item, {})
        hidden = suppressed_classes(
            {k: int(str(v["n"])) for k, v in classes.items()},
            min_group,
            school_shown,
            forced=hidden_classes,
        )
        rows.append(
            ItemRow(
                item=item,
                max_punkte=int(lr["max_punkte"]),
                land_p=land_p,
                land_n=int(lr["n"]),
                school=_value(school_row, land_p, land_var, not school_shown, min_difference, z),
                classes={
                    k: _value(classes.get(k), land_p, land_var, k in hidden, min_difference, z)
                    for k in class_labels
                },
            )
        )
    return tuple(rows)
