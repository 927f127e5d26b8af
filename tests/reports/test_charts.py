"""Palette contrast (WCAG 2.1), non-colour cues, gaps for suppressed values, German numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bimo.reports import charts
from bimo.reports.charts import (
    BACKGROUND,
    PALETTE,
    SERIES_STYLES,
    TEXT_COLOR,
    TEXT_MUTED,
    Bar,
    SeriesPoint,
    contrast_ratio,
)

CSS = Path(charts.__file__).parent / "static" / "report.css"


def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WCAG's own example threshold: #767676 on white is the lightest grey with 4.5:1.
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError):
        contrast_ratio("#fff")


@pytest.mark.parametrize("role", sorted(PALETTE))
def test_palette_graphics_contrast_at_least_3(role: str) -> None:
    assert contrast_ratio(PALETTE[role], BACKGROUND) >= 3.0


@pytest.mark.parametrize("color", [TEXT_COLOR, TEXT_MUTED])
def test_text_colours_contrast_at_least_4_5(color: str) -> None:
    assert contrast_ratio(color, BACKGROUND) >= 4.5


def test_css_colours_meet_contrast() -> None:
    """Stylesheet colours for text reach 4.5:1, those for lines/borders 3:1 (on white)."""
    css = CSS.read_text(encoding="utf-8")
    text_colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css))
    text_colours |= set(re.findall(r"--(?:text|muted|accent):\s*(#[0-9a-fA-F]{6})", css))
    assert text_colours, "no colours found in report.css"
    for colour in text_colours:
        assert contrast_ratio(colour) >= 4.5, colour
    line_colours = set(re.findall(r"border-color:\s*(#[0-9a-fA-F]{6})", css))
    line_colours |= set(re.findall(r"--rule:\s*(#[0-9a-fA-F]{6})", css))
    for colour in line_colours:
        assert contrast_ratio(colour) >= 3.0, colour


def test_series_differ_without_colour() -> None:
    main = ("region", "land", "kreistyp", "referenz")
    dashes = {SERIES_STYLES[r].dash for r in main}
    shapes = {SERIES_STYLES[r].shape for r in main}
    assert len(dashes) == len(main)
    assert len(shapes) == len(main)


def _rows(spec: object) -> list[dict[str, object]]:
    """Every inline data row of a spec (datasets or ``data.values``, in any layer)."""
    out: list[dict[str, object]] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "values" and isinstance(value, list):
                out.extend(v for v in value if isinstance(v, dict))
            elif key == "datasets" and isinstance(value, dict):
                for rows in value.values():
                    out.extend(rows)
            else:
                out.extend(_rows(value))
    elif isinstance(spec, list):
        for item in spec:
            out.extend(_rows(item))
    return out


def _points() -> list[SeriesPoint]:
    return [
        SeriesPoint("Kreis", "region", 2020, "2020/21", 12.5),
        SeriesPoint("Kreis", "region", 2021, "2021/22", None),
        SeriesPoint("Kreis", "region", 2022, "2022/23", 1234.25),
        SeriesPoint("Land", "land", 2020, "2020/21", 11.0),
        SeriesPoint("Land", "land", 2021, "2021/22", 11.5),
        SeriesPoint("Land", "land", 2022, "2022/23", 12.0),
    ]


def test_time_series_keeps_gaps_and_breaks_lines() -> None:
    spec = charts.time_series_chart(_points(), y_title="Prozent")
    rows = _rows(spec)
    gap = [r for r in rows if r.get("Jahr") == "2021/22" and r.get("Reihe") == "Kreis"]
    assert gap and gap[0]["Wert"] is None  # a gap, never a zero
    text = json.dumps(spec)
    assert "break-paths-show-domains" in text
    # The line layer uses both colour and dash per series.
    assert '"strokeDash"' in text and '"shape"' in text


def test_svg_uses_decimal_comma_and_is_labelled() -> None:
    spec = charts.time_series_chart(_points(), y_title="Prozent", decimals=1)
    svg = charts.to_svg(spec)
    assert svg.startswith("<svg")
    # German axis labels: decimal comma, dot as thousands separator (the axis reaches 1.234).
    assert re.search(r">1\.\d{3}(,\d)?</text>", svg), "thousands separator missing"
    assert re.search(r">\d+\.\d</text>", svg) is None, "decimal point instead of comma"
    uri = charts.svg_data_uri(svg)
    assert uri.startswith("data:image/svg+xml;base64,")


def test_bar_chart_prints_symbol_for_suppressed_bar() -> None:
    bars = [
        Bar("Kreis A", 12.25, "region"),
        Bar("Kreis B", None, "andere", "."),
        Bar("Kreis C", 7.0),
    ]
    spec = charts.bar_chart(bars, x_title="Prozent", reference=("Land", 10.0))
    by_name = {r["Gebiet"]: r for r in _rows(spec) if "Gebiet" in r}
    assert by_name["Kreis B"]["Wert"] is None
    assert by_name["Kreis B"]["Text"] == "."
    assert by_name["Kreis A"]["Text"] in ("12,2", "12,3")  # half-even or half-up
    svg = charts.to_svg(spec)
    assert ">.</text>" in svg
    assert "12,</text>" not in svg


def test_grouped_bar_chart_labels_every_bar() -> None:
    bars = [
        Bar("männlich", 10.0, "region", group="Kreis"),
        Bar("männlich", 9.0, "land", group="Land"),
        Bar("weiblich", None, "region", "/", group="Kreis"),
        Bar("weiblich", 8.5, "land", group="Land"),
    ]
    svg = charts.to_svg(charts.grouped_bar_chart(bars, x_title="Prozent"))
    for text in ("10,0", "9,0", "8,5", "/"):
        assert f">{text}</text>" in svg


def test_every_chart_builder_produces_a_valid_vega_lite_spec() -> None:
    """Reports skip Altair's schema validation for speed; here every builder is validated."""
    import altair as alt
    from altair.utils.schemapi import validate_jsonschema

    schema = alt.vegalite.v6.schema.core.load_schema()
    bars = [Bar("Kreis A", 12.25, "region"), Bar("Kreis B", None, "andere", ".")]
    grouped = [Bar("m", 10.0, "region", group="Kreis"), Bar("m", 9.0, "land", group="Land")]
    for spec in (
        charts.time_series_chart(_points(), y_title="Prozent"),
        charts.bar_chart(bars, x_title="Prozent", reference=("Land", 10.0)),
        charts.grouped_bar_chart(grouped, x_title="Prozent"),
    ):
        validate_jsonschema(spec, schema)
