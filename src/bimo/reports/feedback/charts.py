"""Charts of the feedback report (Altair → static SVG with :func:`bimo.reports.charts.to_svg`).

Colours follow the report palette of :mod:`bimo.reports.charts` (WCAG: ≥ 3:1 against white for
marks); the Kompetenzstufen get their own ordered palette, dark enough that white value labels
inside the segments reach ≥ 4.5:1 (checked by a test). Colour is never the only cue: segments are
labelled with level code and share, the school and Land marks differ in shape, and every chart
has a German description and a data table in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from bimo.reports.charts import BACKGROUND, PALETTE, TEXT_COLOR
from bimo.reports.feedback.model import FairResult, GroupResult, ItemRow
from bimo.reports.formatting import format_number

# Kompetenzstufen from "below the minimum" (dark red) via orange to increasingly dark blues.
LEVEL_COLORS: tuple[str, ...] = ("#7f1d1d", "#b34700", "#2c7bb6", "#1f4e8c", "#0b2447")
SCHOOL_COLOR = PALETTE["region"]
LAND_COLOR = PALETTE["land"]


def level_colors(n_levels: int) -> list[str]:
    """One colour per level (lowest first); models with more levels repeat the darkest blue."""
    colors = list(LEVEL_COLORS[: min(n_levels, len(LEVEL_COLORS))])
    return colors + [LEVEL_COLORS[-1]] * (n_levels - len(colors))


def _data(rows: list[dict[str, Any]]) -> Any:
    return alt.Data(values=rows)  # type: ignore[no-untyped-call]


def _configure(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = (
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
        .to_dict()
    )
    return spec


def level_chart_spec(groups: Sequence[GroupResult]) -> dict[str, Any]:
    """Stacked 100 % bars: one bar per group (suppressed groups must be left out by the caller)."""
    rows = []
    for g in groups:
        start = 0.0
        for share in g.shares:
            value = share.share.value
            rows.append(
                {
                    "Gruppe": g.label,
                    "Stufe": f"Stufe {share.code}: {share.label}",
                    "code": share.code,
                    "Anteil": value,
                    "x0": start,
                    "x1": start + value,
                    "mitte": start + value / 2,
                    "Text": f"{share.code}: {format_number(value, 0)} %" if value >= 9 else "",
                }
            )
            start += value
    order = [g.label for g in groups]
    level_names = list(dict.fromkeys(str(r["Stufe"]) for r in rows))
    data = _data(rows)
    base = alt.Chart(data)
    y = alt.Y("Gruppe:N", sort=order, title=None)
    bars = base.mark_bar(stroke="#ffffff", strokeWidth=1.5, height={"band": 0.75}).encode(
        y=y,
        x=alt.X("x0:Q", title="Anteil in %", scale=alt.Scale(domain=[0, 100])),
        x2="x1:Q",
        color=alt.Color(
            "Stufe:N",
            sort=level_names,
            scale=alt.Scale(domain=level_names, range=level_colors(len(level_names))),
            legend=alt.Legend(
                title="Kompetenzstufe", orient="bottom", direction="vertical", labelLimit=0
            ),
        ),
    )
    # Values below 9 % do not fit into their segment; the table next to the chart has them all.
    labels = base.mark_text(color="#ffffff", fontSize=10, fontWeight="bold").encode(
        y=y, x="mitte:Q", text="Text:N"
    )
    chart = alt.layer(bars, labels).properties(width=430, height=max(60, 30 * len(groups)))
    return _configure(chart)


def fair_chart_spec(fair: FairResult, land_mean: float | None) -> dict[str, Any]:
    """Erwartungsbereich as a band, expected value as a tick, the school's mean as a point."""
    if fair.lower is None or fair.upper is None or fair.observed is None:
        raise ValueError("fair_chart_spec: der faire Vergleich hat keine Werte")
    label = "Ihre Schule"
    band = alt.Chart(_data([{"y": label, "lo": fair.lower, "hi": fair.upper}])).mark_bar(
        color="#c9d7ea", stroke=SCHOOL_COLOR, strokeWidth=1, height=26
    )
    band = band.encode(
        y=alt.Y("y:N", title=None),
        x=alt.X("lo:Q", title="Punkte (Berichtsmetrik)", scale=alt.Scale(zero=False)),
        x2="hi:Q",
    )
    expected = (
        alt.Chart(_data([{"y": label, "v": fair.expected}]))
        .mark_tick(color=TEXT_COLOR, thickness=2, size=30)
        .encode(y="y:N", x="v:Q")
    )
    observed = (
        alt.Chart(_data([{"y": label, "v": fair.observed}]))
        .mark_point(shape="diamond", filled=True, size=160, color=SCHOOL_COLOR, opacity=1)
        .encode(y="y:N", x="v:Q")
    )
    text = (
        alt.Chart(_data([{"y": label, "v": fair.observed, "t": format_number(fair.observed, 0)}]))
        .mark_text(dy=-20, color=TEXT_COLOR, fontWeight="bold", fontSize=11)
        .encode(y="y:N", x="v:Q", text="t:N")
    )
    layers: list[Any] = [band, expected, observed, text]
    if land_mean is not None:
        layers.append(
            alt.Chart(_data([{"v": land_mean}]))
            .mark_rule(color=LAND_COLOR, strokeDash=[6, 3], strokeWidth=2)
            .encode(x="v:Q")
        )
    chart = alt.layer(*layers).properties(width=430, height=70)
    return _configure(chart)


def item_chart_spec(items: Sequence[ItemRow]) -> dict[str, Any]:
    """Per item (easiest first): Land p-value (orange square) and school p-value (blue circle)."""
    rows = []
    for it in items:
        rows.append({"Aufgabe": it.item, "Gruppe": "Land", "p": it.land_p})
        if it.school.p is not None:
            rows.append({"Aufgabe": it.item, "Gruppe": "Ihre Schule", "p": it.school.p})
    order = [it.item for it in items]
    groups = ["Ihre Schule", "Land"]
    data = _data(rows)
    y = alt.Y("Aufgabe:N", sort=order, title="Aufgabe (von leicht nach schwer)")
    rule = (
        alt.Chart(data).mark_rule(color="#9a9a9a").encode(y=y, x=alt.X("min(p):Q"), x2="max(p):Q")
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            y=y,
            x=alt.X("p:Q", title="Lösungshäufigkeit in %", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "Gruppe:N",
                sort=groups,
                scale=alt.Scale(domain=groups, range=[SCHOOL_COLOR, LAND_COLOR]),
                legend=alt.Legend(title=None, orient="bottom", direction="horizontal"),
            ),
            shape=alt.Shape(
                "Gruppe:N",
                sort=groups,
                scale=alt.Scale(domain=groups, range=["circle", "square"]),
                legend=None,
            ),
        )
    )
    chart = alt.layer(rule, points).properties(width=400, height=alt.Step(13))
    return _configure(chart)
