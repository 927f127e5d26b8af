"""Building blocks of the Bildungsbericht: figures, data tables and one section per indicator.

A figure always comes with a data table and a generated German description; suppressed values
are gaps in the chart and official symbols in the table (with a footnote per symbol used).
"""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bimo.core.codes import ALL_CODE_LISTS
from bimo.indicators.catalog import Indicator
from bimo.reports import charts
from bimo.reports.charts import Bar, SeriesPoint
from bimo.reports.data import TOTAL_MERKMAL, Cell, IndicatorData, ReportData
from bimo.reports.formatting import (
    SYMBOLS,
    UNIT_LABELS,
    UNIT_SUFFIX,
    format_number,
    format_value,
    year_label,
)
from bimo.reports.texts import comparison_sentence, series_sentence

__all__ = [
    "DataTable",
    "Figure",
    "IndicatorSection",
    "SectionBuilder",
    "merkmal_label",
]


@dataclass
class DataTable:
    """A data table: ``header`` = column headers (first = row-header column), rows of text."""

    caption: str
    header: list[str]
    rows: list[tuple[str, list[str]]]
    symbols: list[str] = field(default_factory=list)
    number: int = 0

    def footnotes(self) -> list[tuple[str, str]]:
        return [(s, SYMBOLS[s]) for s in self.symbols if s in SYMBOLS]


@dataclass
class Figure:
    """A chart: Vega-Lite spec (interactive HTML), static SVG (PDF), alt text, description."""

    id: str
    title: str
    description: str
    alt: str
    spec: dict[str, Any]
    svg: str
    table: DataTable
    note: str = ""
    number: int = 0

    @property
    def spec_json(self) -> str:
        return charts.spec_json(self.spec)

    @property
    def svg_inline(self) -> str:
        """SVG for the HTML: an image with an accessible name (its inner marks are decoration)."""
        label = html.escape(self.alt, quote=True)
        return self.svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)

    @property
    def svg_uri(self) -> str:
        return charts.svg_data_uri(self.svg)


@dataclass
class IndicatorSection:
    """One indicator in an area chapter or the focus chapter."""

    indicator: Indicator
    anchor: str
    latest_label: str | None
    latest_text: str
    comparison: str
    reference: str
    figures: list[Figure]
    target: Any | None = None  # bimo.indicators.targets.TargetStatus
    change_assessment: str = ""
    change_text: str = ""

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.indicator.einheit, self.indicator.einheit)


def merkmal_label(merkmal: str) -> str:
    """German name of a disaggregation column (code-list title or the capitalised name)."""
    if merkmal == TOTAL_MERKMAL:
        return "Insgesamt"
    codelist = ALL_CODE_LISTS.get(merkmal)
    if codelist is not None:
        return codelist.title
    return merkmal.replace("_", " ").capitalize()


def _cell_text(cell: Cell, decimals: int) -> str:
    if cell.wert is None:
        return cell.symbol
    if cell.flag == "-":
        return "-"
    return format_number(cell.wert, decimals)


def _symbols(cells: list[Cell]) -> list[str]:
    used = {c.symbol for c in cells if c.symbol}
    return [s for s in SYMBOLS if s in used]


class SectionBuilder:
    """Creates sections, numbering figures and tables through the whole report."""

    def __init__(self, data: ReportData, *, static_charts: bool = True) -> None:
        self.data = data
        self.static_charts = static_charts
        self.figure_count = 0
        self.table_count = 0
        self.figures: list[Figure] = []

    # --- numbering ------------------------------------------------------------------------

    def _figure(self, figure: Figure) -> Figure:
        self.figure_count += 1
        figure.number = self.figure_count
        self.figures.append(figure)
        self._table(figure.table)
        return figure

    def _table(self, table: DataTable) -> DataTable:
        self.table_count += 1
        table.number = self.table_count
        return table

    def _svg(self, spec: dict[str, Any]) -> str:
        # Filled in by render_static(), all figures at once.
        del spec
        return ""

    def render_static(self, workers: int = 2) -> None:
        """Render every figure's static SVG (vl-convert), in a small thread pool.

        vl-convert runs the Vega renderer in native code and releases the GIL while it does,
        so two threads roughly halve the time of a report with a hundred charts.
        """
        if not self.static_charts:
            return
        todo = [f for f in self.figures if not f.svg]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for figure, svg in zip(
                todo, pool.map(lambda f: charts.to_svg(f.spec), todo), strict=True
            ):
                figure.svg = svg

    # --- the indicator section ------------------------------------------------------------

    def section(self, ind: Indicator, *, disaggregations: bool = False) -> IndicatorSection:
        values = self.data.indicator(ind.id)
        region = self.data.region
        years = [y for y in values.years if y <= self.data.year]
        decimals = ind.nachkommastellen
        latest_cell, latest_year = Cell(None, ""), None
        for y in reversed(years):
            cell = values.get(region.ags, y)
            if cell.wert is not None:
                latest_cell, latest_year = cell, y
                break
        latest_label = year_label(latest_year, ind.zeitbezug) if latest_year is not None else None
        figures: list[Figure] = []
        # A chart without a single published point says nothing: the text says so instead.
        anything = any(
            values.get(ags, y).wert is not None
            for ags, _, _ in self.data.comparison_areas()
            for y in years
        )
        if years and anything:
            figures.append(self._time_series(ind, values, years))
            if region.ebene == "KREIS" and len(values.kreise) > 1 and latest_year is not None:
                figures.append(self._kreis_bars(ind, values, latest_year))
            if disaggregations and latest_year is not None:
                for merkmal in values.merkmale(region.ags):
                    figures.append(self._disaggregation(ind, values, merkmal, latest_year))
        comparisons: list[tuple[str, float | None]] = []
        if latest_year is not None:
            for ags, name, role in self.data.comparison_areas():
                if role != "region":
                    comparisons.append((name, values.get(ags, latest_year).wert))
        comparison = (
            comparison_sentence(
                region=region.name,
                year=latest_label or "",
                value=latest_cell.wert,
                comparisons=comparisons,
                einheit=ind.einheit,
                decimals=decimals,
            )
            if latest_label
            else f"Für {region.name} liegt kein veröffentlichbarer Wert vor."
            if years
            else "Für diesen Indikator liegen im Analysebestand bis zum Berichtsjahr keine "
            "berechneten Werte vor."
        )
        reference = ""
        if ind.referenz is not None:
            ref = ind.referenz
            reference = (
                f"Zum Vergleich: {ref.gebiet} "
                f"{year_label(ref.jahr, ind.zeitbezug)}: "
                f"{format_value(ref.wert, ind.einheit, decimals)} (Quelle: {ref.quelle})."
            )
        latest_text = (
            format_value(latest_cell.wert, ind.einheit, decimals)
            if latest_cell.wert is not None
            else "kein veröffentlichbarer Wert"
        )
        return IndicatorSection(
            indicator=ind,
            anchor=f"ind-{ind.id}",
            latest_label=latest_label,
            latest_text=latest_text,
            comparison=comparison,
            reference=reference,
            figures=figures,
        )

    def _time_series(self, ind: Indicator, values: IndicatorData, years: list[int]) -> Figure:
        decimals = ind.nachkommastellen
        areas = [
            (ags, name, role)
            for ags, name, role in self.data.comparison_areas()
            if any(values.get(ags, y).wert is not None for y in years)
            or ags == self.data.region.ags
        ]
        points: list[SeriesPoint] = []
        rows: list[tuple[str, list[str]]] = []
        cells_used: list[Cell] = []
        labels = [year_label(y, ind.zeitbezug) for y in years]
        for ags, name, role in areas:
            cells = [values.get(ags, y) for y in years]
            cells_used.extend(cells)
            rows.append((name, [_cell_text(c, decimals) for c in cells]))
            points.extend(
                SeriesPoint(name, role, y, lab, c.wert)
                for y, lab, c in zip(years, labels, cells, strict=True)
            )
        ref = ind.referenz
        ref_name = None
        if ref is not None and years[0] <= ref.jahr <= years[-1]:
            ref_name = f"{ref.gebiet} (Referenz)"
            points.append(
                SeriesPoint(
                    ref_name, "referenz", ref.jahr, year_label(ref.jahr, ind.zeitbezug), ref.wert
                )
            )
            ref_row = [format_number(ref.wert, decimals) if y == ref.jahr else "" for y in years]
            rows.append((ref_name, ref_row))
        region_cells = [values.get(self.data.region.ags, y) for y in years]
        others = [name for _, name, role in areas if role != "region"]
        if ref_name:
            others.append(ref_name)
        description = series_sentence(
            titel=ind.titel,
            region=self.data.region.name,
            series=[(lab, c.wert, c.symbol) for lab, c in zip(labels, region_cells, strict=True)],
            einheit=ind.einheit,
            decimals=decimals,
            richtung=ind.richtung,
            others=others,
        )
        unit = UNIT_LABELS.get(ind.einheit, "")
        spec = charts.time_series_chart(
            points, y_title=ind.short_title + f" ({unit})", decimals=decimals
        )
        spec["description"] = description
        table = DataTable(
            caption=f"{ind.titel} ({unit}), {labels[0]} bis {labels[-1]}",
            header=["Gebiet", *labels],
            rows=rows,
            symbols=_symbols(cells_used),
        )
        gaps = any(c.wert is None for c in cells_used)
        note = (
            "Lücken in den Linien: Werte, die aus Gründen der Geheimhaltung oder wegen zu "
            "kleiner Fallzahlen nicht veröffentlicht werden (Zeichen in der Tabelle)."
            if gaps
            else ""
        )
        return self._figure(
            Figure(
                id=f"abb-{ind.id}-verlauf",
                title=f"{ind.titel}: Entwicklung {labels[0]} bis {labels[-1]}",
                description=description,
                alt=f"Liniendiagramm. {description}",
                spec=spec,
                svg=self._svg(spec),
                table=table,
                note=note,
            )
        )

    def _kreis_bars(self, ind: Indicator, values: IndicatorData, year: int) -> Figure:
        decimals = ind.nachkommastellen
        region = self.data.region
        label = year_label(year, ind.zeitbezug)
        entries = []
        for ags in values.kreise:
            cell = values.get(ags, year)
            entries.append((ags, values.names.get(ags, ags), cell))
        # Highest first; suppressed Kreise at the end (their symbol is printed instead of a bar).
        entries.sort(key=lambda e: (e[2].wert is None, -(e[2].wert or 0.0), e[1]))
        bars = [
            Bar(name, cell.wert, "region" if ags == region.ags else "andere", cell.symbol)
            for ags, name, cell in entries
        ]
        land_value = values.get(region.land_ags, year).wert
        reference = (region.land_name, land_value) if land_value is not None else None
        spec = charts.bar_chart(
            bars,
            x_title=f"{ind.short_title} ({UNIT_LABELS.get(ind.einheit, '')})",
            decimals=decimals,
            reference=reference,
        )
        published = [(name, c.wert) for _, name, c in entries if c.wert is not None]
        rank = next(
            (
                i + 1
                for i, (ags, _, c) in enumerate(entries)
                if ags == region.ags and c.wert is not None
            ),
            None,
        )
        description = (
            f"Das Balkendiagramm vergleicht „{ind.titel}“ {label} zwischen den "
            f"{len(entries)} Kreisen des Landes"
        )
        if reference is not None:
            description += (
                f"; die gestrichelte Linie markiert den Landeswert "
                f"({format_value(land_value, ind.einheit, decimals)})"
            )
        description += "."
        if published:
            (high_name, high), (low_name, low) = published[0], published[-1]
            description += (
                f" Den höchsten Wert hat {high_name} "
                f"({format_value(high, ind.einheit, decimals)}), den niedrigsten {low_name} "
                f"({format_value(low, ind.einheit, decimals)})."
            )
        if rank is not None:
            description += f" {region.name} liegt auf Rang {rank} von {len(published)}."
        suppressed = len(entries) - len(published)
        if suppressed:
            description += (
                f" Für {suppressed} Kreis(e) ist kein Wert veröffentlichbar; dort steht statt "
                "eines Balkens das Zeichen."
            )
        spec["description"] = description
        table = DataTable(
            caption=f"{ind.titel} nach Kreisen, {label} ({UNIT_LABELS.get(ind.einheit, '')})",
            header=["Kreis", label],
            rows=[(name, [_cell_text(c, decimals)]) for _, name, c in entries],
            symbols=_symbols([c for _, _, c in entries]),
        )
        if land_value is not None:
            table.rows.append((f"{region.land_name} (Land)", [format_number(land_value, decimals)]))
        return self._figure(
            Figure(
                id=f"abb-{ind.id}-kreise",
                title=f"{ind.titel}: Kreise im Vergleich, {label}",
                description=description,
                alt=f"Balkendiagramm. {description}",
                spec=spec,
                svg=self._svg(spec),
                table=table,
                note="Zeichen statt Balken: Wert nicht veröffentlichbar." if suppressed else "",
            )
        )

    def _disaggregation(
        self, ind: Indicator, values: IndicatorData, merkmal: str, year: int
    ) -> Figure:
        decimals = ind.nachkommastellen
        label = year_label(year, ind.zeitbezug)
        areas = [
            (ags, name, role)
            for ags, name, role in self.data.comparison_areas()
            if values.categories(ags, merkmal)
        ]
        categories = values.categories(self.data.region.ags, merkmal)
        bars: list[Bar] = []
        rows: list[tuple[str, list[str]]] = []
        cells_used: list[Cell] = []
        for code in categories:
            cat_label = values.labels.get((merkmal, code), code)
            row: list[str] = []
            for ags, name, role in areas:
                cell = values.get(ags, year, merkmal, code)
                cells_used.append(cell)
                row.append(_cell_text(cell, decimals))
                bars.append(Bar(cat_label, cell.wert, role, cell.symbol, group=name))
            rows.append((cat_label, row))
        mlabel = merkmal_label(merkmal)
        spec = charts.grouped_bar_chart(
            bars,
            x_title=f"{ind.short_title} ({UNIT_LABELS.get(ind.einheit, '')})",
            decimals=decimals,
        )
        region_bars = [b for b in bars if b.role == "region"]
        published = sorted(
            (b for b in region_bars if b.wert is not None), key=lambda b: -(b.wert or 0.0)
        )
        description = (
            f"Das Balkendiagramm zeigt „{ind.titel}“ {label} nach {mlabel} für "
            + ", ".join(name for _, name, _ in areas)
            + "."
        )
        if len(published) >= 2:
            suffix = UNIT_SUFFIX.get(ind.einheit, "")
            description += (
                f" In {self.data.region.name} ist der Wert in der Gruppe „{published[0].label}“"
                f" am höchsten ({format_number(published[0].wert, decimals)}{suffix}) und in der"
                f" Gruppe „{published[-1].label}“ am niedrigsten"
                f" ({format_number(published[-1].wert, decimals)}{suffix})."
            )
        hidden = [b.label for b in region_bars if b.wert is None]
        if hidden:
            description += (
                " Nicht veröffentlichbar (Zeichen statt Balken): " + ", ".join(hidden) + "."
            )
        spec["description"] = description
        table = DataTable(
            caption=f"{ind.titel} nach {mlabel}, {label} ({UNIT_LABELS.get(ind.einheit, '')})",
            header=[mlabel, *[name for _, name, _ in areas]],
            rows=rows,
            symbols=_symbols(cells_used),
        )
        return self._figure(
            Figure(
                id=f"abb-{ind.id}-{merkmal}",
                title=f"{ind.titel} nach {mlabel}, {label}",
                description=description,
                alt=f"Balkendiagramm. {description}",
                spec=spec,
                svg=self._svg(spec),
                table=table,
                note="Zeichen statt Balken: Wert nicht veröffentlichbar." if hidden else "",
            )
        )

    # --- appendix ---------------------------------------------------------------------------

    def appendix_table(self, ind: Indicator) -> DataTable | None:
        """All values of the region for all years: total and every disaggregation."""
        values = self.data.indicator(ind.id)
        ags = self.data.region.ags
        years = [y for y in values.years if y <= self.data.year]
        if not years:
            return None
        labels = [year_label(y, ind.zeitbezug) for y in years]
        rows: list[tuple[str, list[str]]] = []
        cells_used: list[Cell] = []
        for merkmal in [TOTAL_MERKMAL, *values.merkmale(ags)]:
            codes = ["Insgesamt"] if merkmal == TOTAL_MERKMAL else values.categories(ags, merkmal)
            for code in codes:
                cells = [values.get(ags, y, merkmal, code) for y in years]
                cells_used.extend(cells)
                name = (
                    "Insgesamt"
                    if merkmal == TOTAL_MERKMAL
                    else f"{merkmal_label(merkmal)}: {values.labels.get((merkmal, code), code)}"
                )
                rows.append((name, [_cell_text(c, ind.nachkommastellen) for c in cells]))
        return self._table(
            DataTable(
                caption=f"{ind.id} {ind.titel} – {self.data.region.name} "
                f"({UNIT_LABELS.get(ind.einheit, '')})",
                header=["Gruppe", *labels],
                rows=rows,
                symbols=_symbols(cells_used),
            )
        )
