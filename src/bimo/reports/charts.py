"""Accessible Altair/Vega-Lite charts for reports: palette, contrast check, chart builders, SVG.

Design rules (WCAG 2.1):
- every colour of the fixed palette reaches ≥ 3:1 against the white background (graphical objects,
  SC 1.4.11) and the text colours ≥ 4.5:1 (SC 1.4.3); ``contrast_ratio`` computes it, a unit test
  checks the whole palette;
- colour is never the only carrier of meaning: series differ by line dash and point shape and are
  labelled directly at their last point; the highlighted bar is also labelled in bold text;
- suppressed values are passed as ``None`` and become gaps (never zeros); bar charts print the
  official symbol (``.``, ``/``, ``-``) instead of a bar.

Builders take plain Python rows, so they can be used by every report (Bildungsbericht, school
feedback) without knowing the indicator table.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import altair as alt

__all__ = [
    "BACKGROUND",
    "PALETTE",
    "SERIES_STYLES",
    "TEXT_COLOR",
    "TEXT_MUTED",
    "Bar",
    "SeriesPoint",
    "SeriesStyle",
    "bar_chart",
    "contrast_ratio",
    "grouped_bar_chart",
    "relative_luminance",
    "svg_data_uri",
    "time_series_chart",
    "to_svg",
    "vega_format_locale",
]

BACKGROUND = "#ffffff"
TEXT_COLOR = "#1a1a1a"
TEXT_MUTED = "#4d4d4d"

# Fixed palette (hex). Chosen dark enough for ≥ 3:1 on white and distinguishable for the common
# colour-vision deficiencies (blue / orange / green / grey differ strongly in lightness too).
PALETTE: dict[str, str] = {
    "region": "#1f4e8c",  # the reported Kreis: dark blue
    "land": "#b04a00",  # the Land: dark orange
    "kreistyp": "#2b7a3d",  # the comparison group of the same Kreistyp: green
    "referenz": "#5a5a5a",  # national reference value: grey
    "andere": "#6f7f96",  # other Kreise in bar comparisons: blue-grey
    "gitter": "#767676",  # axis lines (also ≥ 3:1: axes carry meaning)
}

Role = Literal["region", "land", "kreistyp", "referenz", "andere"]


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is drawn: colour plus a non-colour distinction (dash pattern, point shape)."""

    color: str
    dash: tuple[int, ...]
    shape: str


SERIES_STYLES: dict[str, SeriesStyle] = {
    "region": SeriesStyle(PALETTE["region"], (1, 0), "circle"),
    "land": SeriesStyle(PALETTE["land"], (8, 4), "square"),
    "kreistyp": SeriesStyle(PALETTE["kreistyp"], (2, 3), "triangle-up"),
    "referenz": SeriesStyle(PALETTE["referenz"], (12, 3, 2, 3), "diamond"),
    "andere": SeriesStyle(PALETTE["andere"], (1, 0), "circle"),
}


# Altair validates every spec against the Vega-Lite JSON schema on ``to_dict``; with ~100 charts
# per report that was a quarter of the report's CPU time. The builders are fixed code, so the
# tests validate one spec of each builder (``tests/reports/test_charts.py``) and reports skip it.
VALIDATE_SPECS = False


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of a ``#rrggbb`` colour."""
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"Farbe {color!r} ist kein #rrggbb-Wert.")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str = BACKGROUND) -> float:
    """WCAG 2.1 contrast ratio (1–21) between two ``#rrggbb`` colours."""
    lum_a, lum_b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(lum_a, lum_b), min(lum_a, lum_b)
    return (lighter + 0.05) / (darker + 0.05)


@lru_cache(maxsize=1)
def vega_format_locale() -> dict[str, Any]:
    """d3 number-format locale for German (decimal comma, dot as thousands separator)."""
    import vl_convert as vlc

    locale: dict[str, Any] = vlc.get_format_locale("de-DE")
    return locale


_WEIGHTS: tuple[tuple[Literal["bold", "normal"], str], ...] = (
    ("bold", "datum.hervor"),
    ("normal", "!datum.hervor"),
)


def _inline_data(values: list[dict[str, Any]]) -> alt.InlineData:
    # Inline rows (not a pandas frame): the spec is self-contained for vega-embed and vl-convert.
    return alt.InlineData(values=values)


def _number_format(decimals: int) -> str:
    return f",.{max(decimals, 0)}f"


def _axis_format(decimals: int) -> str:
    # "~" trims insignificant zeros (0; 0,5; 1) so that axis labels do not collide.
    return f",.{max(decimals, 0)}~f"


def _base_config(chart: alt.TopLevelMixin) -> Any:
    return (
        chart.configure(background=BACKGROUND, font="DejaVu Sans")
        .configure_axis(
            labelColor=TEXT_COLOR,
            titleColor=TEXT_COLOR,
            domainColor=PALETTE["gitter"],
            tickColor=PALETTE["gitter"],
            gridColor="#d9d9d9",
            labelFontSize=11,
            titleFontSize=11,
        )
        .configure_legend(labelColor=TEXT_COLOR, titleColor=TEXT_COLOR, labelFontSize=11)
        .configure_view(stroke=None)
    )


@dataclass(frozen=True)
class SeriesPoint:
    """One point of a time series; ``wert`` None = suppressed or missing (drawn as a gap)."""

    series: str  # label shown to the reader, e.g. "Landkreis Nord"
    role: str  # key of SERIES_STYLES
    jahr: int
    jahr_label: str  # e.g. "2024/25"
    wert: float | None


def time_series_chart(
    points: Sequence[SeriesPoint],
    *,
    y_title: str,
    decimals: int = 1,
    width: int = 440,
    height: int = 220,
) -> dict[str, Any]:
    """Line chart of several series over the years; returns the Vega-Lite spec (dict).

    Gaps: ``None`` values break the line (``invalid: "break-paths-show-domains"``) instead of being
    interpolated over or drawn as zero.
    """
    rows = [
        {
            "Reihe": p.series,
            "rolle": p.role,
            "jahr": p.jahr,
            "Jahr": p.jahr_label,
            "Wert": p.wert,
        }
        for p in points
    ]
    series = list(dict.fromkeys(p.series for p in points))
    roles = {p.series: p.role for p in points}
    styles = [SERIES_STYLES.get(roles[s], SERIES_STYLES["andere"]) for s in series]
    year_order = [label for _, label in sorted({(p.jahr, p.jahr_label) for p in points})]
    fmt = _number_format(decimals)
    data = _inline_data(rows)
    x = alt.X("Jahr:O", sort=year_order, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "Wert:Q",
        title=y_title,
        axis=alt.Axis(format=_axis_format(decimals), tickCount=6),
        scale=alt.Scale(zero=False, padding=8),
    )
    color = alt.Color(
        "Reihe:N",
        sort=series,
        scale=alt.Scale(domain=series, range=[s.color for s in styles]),
        legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0),
    )
    dash = alt.StrokeDash(
        "Reihe:N",
        sort=series,
        scale=alt.Scale(domain=series, range=[list(s.dash) for s in styles]),
        legend=None,
    )
    shape = alt.Shape(
        "Reihe:N",
        sort=series,
        scale=alt.Scale(domain=series, range=[s.shape for s in styles]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("Reihe:N"),
        alt.Tooltip("Jahr:O"),
        alt.Tooltip("Wert:Q", format=fmt),
    ]
    base = alt.Chart(data)
    lines = base.mark_line(strokeWidth=2.5, invalid="break-paths-show-domains").encode(
        x=x, y=y, color=color, strokeDash=dash
    )
    marks = base.mark_point(filled=True, size=55, opacity=1).encode(
        x=x, y=y, color=color, shape=shape, tooltip=tooltip
    )
    chart = alt.layer(lines, marks).properties(width=width, height=height)
    spec: dict[str, Any] = _base_config(chart).to_dict(validate=VALIDATE_SPECS)
    return spec


@dataclass(frozen=True)
class Bar:
    """One bar; ``wert`` None = suppressed/missing, ``symbol`` is then printed instead."""

    label: str
    wert: float | None
    role: str = "andere"
    symbol: str = ""
    group: str = ""


def _bar_rows(bars: Sequence[Bar], decimals: int) -> list[dict[str, Any]]:
    from bimo.reports.formatting import format_number

    return [
        {
            "Gebiet": b.label,
            "Gruppe": b.group,
            "rolle": b.role,
            "Wert": b.wert,
            # A symbol wins over the number: "-" (nichts vorhanden) is a true zero but is
            # written as the symbol, like in the tables.
            "Text": b.symbol or (format_number(b.wert, decimals) if b.wert is not None else "."),
            "hervor": b.role == "region",
        }
        for b in bars
    ]


def bar_chart(
    bars: Sequence[Bar],
    *,
    x_title: str,
    decimals: int = 1,
    reference: tuple[str, float] | None = None,
    width: int = 380,
) -> dict[str, Any]:
    """Horizontal bars (e.g. all Kreise), highlighted region, optional reference line (e.g. Land).

    Every bar carries its value as text (so the chart is readable without colour); suppressed bars
    show their symbol at the axis.
    """
    rows = _bar_rows(bars, decimals)
    order = [b.label for b in bars]
    fmt = _number_format(decimals)
    roles = list(dict.fromkeys(b.role for b in bars))
    data = _inline_data(rows)
    y = alt.Y("Gebiet:N", sort=order, title=None)
    base = alt.Chart(data)
    bars_layer = base.mark_bar(height={"band": 0.7}).encode(
        y=y,
        x=alt.X(
            "Wert:Q",
            title=x_title,
            axis=alt.Axis(format=_axis_format(decimals), tickCount=6),
            scale=alt.Scale(zero=True),
        ),
        color=alt.Color(
            "rolle:N",
            scale=alt.Scale(
                domain=roles,
                range=[SERIES_STYLES.get(r, SERIES_STYLES["andere"]).color for r in roles],
            ),
            legend=None,
        ),
        tooltip=[alt.Tooltip("Gebiet:N"), alt.Tooltip("Text:N", title="Wert")],
    )
    # Two text layers, because font weight is a mark property, not an encoding channel: the
    # reported region's value is bold (a non-colour cue for the highlighted bar).
    text_layers = [
        base.mark_text(align="left", dx=4, color=TEXT_COLOR, fontSize=10, fontWeight=weight)
        .encode(y=y, x=alt.X("x_text:Q"), text="Text:N")
        .transform_calculate(x_text="isValid(datum.Wert) ? datum.Wert : 0")
        .transform_filter(condition)
        for weight, condition in _WEIGHTS
    ]
    layers: list[Any] = [bars_layer]
    if reference is not None:
        ref_label, ref_value = reference
        ref_data = _inline_data([{"Wert": ref_value, "Bezeichnung": ref_label}])
        rule = (
            alt.Chart(ref_data)
            .mark_rule(color=PALETTE["land"], strokeDash=[6, 3], strokeWidth=2)
            .encode(
                x="Wert:Q",
                tooltip=[alt.Tooltip("Bezeichnung:N"), alt.Tooltip("Wert:Q", format=fmt)],
            )
        )
        layers.append(rule)
    layers.extend(text_layers)  # value labels on top of the reference line
    chart = alt.layer(*layers).properties(width=width, height=max(60, 20 * len(bars)))
    spec: dict[str, Any] = _base_config(chart).to_dict(validate=VALIDATE_SPECS)
    return spec


def grouped_bar_chart(
    bars: Sequence[Bar],
    *,
    x_title: str,
    decimals: int = 1,
    width: int = 380,
) -> dict[str, Any]:
    """Disaggregation bars: one row per category (``label``), one bar per area (``group``).

    Areas differ in colour and are named in the row labels of the legend; every bar is labelled with
    its value or symbol.
    """
    rows = _bar_rows(bars, decimals)
    categories = list(dict.fromkeys(b.label for b in bars))
    groups = list(dict.fromkeys(b.group for b in bars))
    group_roles = {b.group: b.role for b in bars}
    colors = [SERIES_STYLES.get(group_roles[g], SERIES_STYLES["andere"]).color for g in groups]
    data = _inline_data(rows)
    y = alt.Y("Gebiet:N", sort=categories, title=None)
    y_offset = alt.YOffset("Gruppe:N", sort=groups)
    base = alt.Chart(data)
    bars_layer = base.mark_bar().encode(
        y=y,
        yOffset=y_offset,
        x=alt.X(
            "Wert:Q",
            title=x_title,
            axis=alt.Axis(format=_axis_format(decimals), tickCount=6),
            scale=alt.Scale(zero=True),
        ),
        color=alt.Color(
            "Gruppe:N",
            sort=groups,
            scale=alt.Scale(domain=groups, range=colors),
            legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0),
        ),
        tooltip=[alt.Tooltip("Gebiet:N"), alt.Tooltip("Gruppe:N"), alt.Tooltip("Text:N")],
    )
    labels = (
        base.mark_text(align="left", dx=4, color=TEXT_COLOR, fontSize=9)
        .encode(y=y, yOffset=y_offset, x=alt.X("x_text:Q"), text="Text:N")
        .transform_calculate(x_text="isValid(datum.Wert) ? datum.Wert : 0")
    )
    chart = alt.layer(bars_layer, labels).properties(width=width, height=alt.Step(14))
    spec: dict[str, Any] = _base_config(chart).to_dict(validate=VALIDATE_SPECS)
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to static SVG (offline, German number format)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(spec, format_locale=vega_format_locale())
    return svg


def svg_data_uri(svg: str) -> str:
    """``data:`` URI of an SVG, for ``<img src>`` (the PDF tags images with their alt text)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def spec_json(spec: dict[str, Any]) -> str:
    """Compact JSON of a spec for embedding in a ``<script type="application/json">`` element."""
    # "</" must not appear inside a script element.
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
