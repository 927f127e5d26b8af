"""Key indicators of the Land for the start page: latest year, change against the year before."""

from __future__ import annotations

from typing import Any

import polars as pl

from bimo.accounts.policy import ANONYMOUS
from bimo.web.data import PortalData, visible_values
from bimo.web.portal.shared import UNIT_LABELS, fmt

# Preferred order: headline figures of a Bildungsbericht; the first six with values are shown.
KEY_INDICATORS: tuple[str, ...] = (
    "B01", "C01", "D01", "D14", "D21", "D22", "D23", "A01", "C02", "D03",
)  # fmt: skip
MAX_FIGURES = 6
CHANGE_UNITS = {"prozent": "Prozentpunkte", "anzahl": ""}


def key_figures(data: PortalData) -> list[dict[str, Any]]:
    """The start page's figures (computed once per snapshot; callers must not modify them)."""
    return data.derived("key_figures", _key_figures)


def _key_figures(data: PortalData) -> list[dict[str, Any]]:
    land = data.land_ags
    if land is None:
        return []
    # Public rows only: the start page looks the same for everyone.
    rows = visible_values(
        ANONYMOUS,
        data.values.filter(
            (pl.col("ags") == land)
            & (pl.col("merkmal") == "insgesamt")
            & pl.col("indikator").is_in(list(KEY_INDICATORS))
            & pl.col("wert").is_not_null()
        ),
    )
    out: list[dict[str, Any]] = []
    for ind_id in KEY_INDICATORS:
        series = rows.filter(pl.col("indikator") == ind_id).sort("jahr")
        if series.is_empty() or ind_id not in data.catalog:
            continue
        ind = data.catalog[ind_id]
        last = series.row(-1, named=True)
        prev = series.filter(pl.col("jahr") == last["jahr"] - 1)
        change = None
        if prev.height:
            delta = round(float(last["wert"]) - float(prev["wert"][0]), ind.nachkommastellen)
            sign = "+" if delta > 0 else ("±" if delta == 0 else "−")
            unit = CHANGE_UNITS.get(ind.einheit, UNIT_LABELS[ind.einheit])
            amount = f"{sign}{fmt(abs(delta), ind.nachkommastellen)} {unit}".rstrip()
            change = f"{amount} gegenüber {last['jahr'] - 1}"
        out.append(
            {
                "id": ind_id,
                "titel": ind.short_title,
                "wert": fmt(last["wert"], ind.nachkommastellen),
                "einheit": UNIT_LABELS[ind.einheit],
                "jahr": last["jahr"],
                "veraenderung": change,
            }
        )
        if len(out) == MAX_FIGURES:
            break
    return out
