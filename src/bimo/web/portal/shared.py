"""Helpers of the portal pages: number formatting, selections, table rows, chart specs."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from bimo.indicators import Indicator
from bimo.web.data import SUPPRESSED_FLAGS

UNIT_LABELS: dict[str, str] = {
    "prozent": "%",
    "anzahl": "Anzahl",
    "je_1000": "je 1.000",
    "verhaeltnis": "Verhältnis",
    "punkte": "Punkte",
}


def fmt(value: float | None, decimals: int) -> str:
    """German number format: 1.234,5."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def cell(row: dict[str, Any], decimals: int) -> dict[str, str]:
    """Display of one value: the number, or only the symbol and its footnote when suppressed."""
    flag = row.get("flag") or ""
    if flag in SUPPRESSED_FLAGS:
        return {"text": flag, "fussnote": SUPPRESSED_FLAGS[flag], "flag": flag}
    if row.get("wert") is None:
        return {"text": "–", "fussnote": "", "flag": ""}
    return {"text": fmt(row["wert"], decimals), "fussnote": "", "flag": ""}


def chart_spec(frame: pl.DataFrame, indicator: Indicator, title: str) -> str:
    """A Vega-Lite line chart (values by year and Ausprägung) as JSON for portal.js."""
    data = [
        {"jahr": str(r["jahr"]), "wert": r["wert"], "gruppe": r["auspraegung_label"]}
        for r in frame.filter(pl.col("wert").is_not_null()).iter_rows(named=True)
    ]
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": "container",
        "height": 260,
        "data": {"values": data},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "jahr", "type": "ordinal", "title": "Jahr"},
            "y": {
                "field": "wert",
                "type": "quantitative",
                "title": f"{indicator.short_title} ({UNIT_LABELS[indicator.einheit]})",
            },
            "color": {"field": "gruppe", "type": "nominal", "title": "Ausprägung"},
        },
    }
    return json.dumps(spec, ensure_ascii=False)


def bar_spec(rows: list[dict[str, Any]], reference: float | None, title: str) -> str:
    """A Vega-Lite bar chart of Kreise with the Land as a reference rule."""
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "mark": "bar",
            "encoding": {
                "y": {"field": "region", "type": "nominal", "sort": "-x", "title": "Kreis"},
                "x": {"field": "wert", "type": "quantitative", "title": title},
            },
        }
    ]
    if reference is not None:
        layers.append(
            {
                "data": {"values": [{"wert": reference}]},
                "mark": {"type": "rule", "color": "#b00", "strokeWidth": 2},
                "encoding": {"x": {"field": "wert", "type": "quantitative"}},
            }
        )
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": title,
        "width": "container",
        "layer": layers,
    }
    return json.dumps(spec, ensure_ascii=False)
