"""The Bildungsbericht (education report) of a Kreis: HTML (interactive) and PDF (PDF/UA-1).

``build_report`` turns the published indicator rows, the catalogue and the target statuses into
a :class:`Report` (chapters, sections, figures, tables, generated texts); ``write_report`` renders
it with the Jinja2 templates to ``DIR/bildungsbericht.html`` (+ ``assets/``) and
``DIR/bildungsbericht.pdf``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bimo.indicators.catalog import AREAS, Catalog, Indicator
from bimo.reports.charts import vega_format_locale
from bimo.reports.data import TOTAL_MERKMAL, RegionContext, ReportData, region_context
from bimo.reports.formatting import SYMBOLS, UNIT_LABELS, format_change, format_value, year_label
from bimo.reports.render import render_pdf
from bimo.reports.sections import DataTable, IndicatorSection, SectionBuilder
from bimo.reports.texts import assess_change, compute_change

__all__ = [
    "CHAPTER_AREAS",
    "FOCUS_IDS",
    "Chapter",
    "Finding",
    "Report",
    "build_report",
    "write_report",
]

CHAPTER_AREAS: tuple[str, ...] = ("A", "B", "C", "D", "E")
# Schwerpunkt "Bildungserfolg und Abschlüsse": Abgänge ohne Ersten Schulabschluss in beiden
# Definitionen (Anteil an allen Abgängen / an der gleichaltrigen Bevölkerung) and the
# Kompetenzstufen of the Lernstandserhebungen (Mindest-, Regel-, Optimalstandard).
FOCUS_IDS: tuple[str, ...] = ("D14", "D15", "D20", "D21", "D22")
FOCUS_TITLE = "Bildungserfolg und Abschlüsse"
STATUS_LABELS = {"gruen": "grün", "gelb": "gelb", "rot": "rot", "unbekannt": "unbekannt"}
Progress = Callable[[str], None]


@dataclass
class Chapter:
    id: str
    letter: str
    title: str
    intro: str
    sections: list[IndicatorSection]


@dataclass
class Finding:
    """A key finding / challenge: a sentence linked to its section."""

    text: str
    anchor: str
    kind: str  # guenstig | unguenstig | neutral | stabil | ziel-<status>


@dataclass
class Report:
    region: RegionContext
    year: int
    title: str
    subtitle: str
    created: str
    chapters: list[Chapter]
    focus: Chapter | None
    findings: list[Finding]
    target_findings: list[Finding]
    challenges: list[Finding]
    glossary: list[Indicator]
    appendix: list[tuple[Indicator, DataTable]]
    sources: list[str]
    reference_dates: list[tuple[str, str]]
    symbols: dict[str, str] = field(default_factory=lambda: dict(SYMBOLS))
    figure_count: int = 0
    table_count: int = 0

    @property
    def all_sections(self) -> list[IndicatorSection]:
        out = [s for c in self.chapters for s in c.sections]
        if self.focus is not None:
            out.extend(self.focus.sections)
        return out


def _chapter_intro(letter: str, sections: Sequence[IndicatorSection], region: str) -> str:
    n = len(sections)
    if n == 0:
        return (
            f"Für den Bereich „{AREAS[letter]}“ enthält der Indikatorenkatalog derzeit keinen "
            "Indikator."
        )
    titles = ", ".join(f"„{s.indicator.titel}“" for s in sections)
    return (
        f"Dieses Kapitel beschreibt {n} Indikator{'en' if n > 1 else ''} des Bereichs "
        f"„{AREAS[letter]}“ für {region}: {titles}."
    )


def _change_finding(section: IndicatorSection, data: ReportData) -> tuple[Finding, float] | None:
    ind = section.indicator
    values = data.indicator(ind.id)
    years = [y for y in values.years if y <= data.year]
    series = [(year_label(y, ind.zeitbezug), values.get(data.region.ags, y).wert) for y in years]
    change = compute_change(series)
    if change is None:
        return None
    kind = assess_change(change, ind.richtung)
    decimals = ind.nachkommastellen
    if kind == "stabil":
        text = (
            f"{ind.titel}: nahezu unverändert bei "
            f"{format_value(change.to_value, ind.einheit, decimals)} ({change.to_year})."
        )
    else:
        verb = "gestiegen" if change.delta > 0 else "gesunken"
        judgement = {"guenstig": " – günstig", "unguenstig": " – ungünstig"}.get(kind, "")
        text = (
            f"{ind.titel}: von {format_value(change.from_value, ind.einheit, decimals)} "
            f"({change.from_year}) auf {format_value(change.to_value, ind.einheit, decimals)} "
            f"({change.to_year}) {verb} ({format_change(change.delta, ind.einheit, decimals)})"
            f"{judgement}."
        )
    section.change_assessment = kind
    section.change_text = text
    weight = abs(change.relative) if change.relative is not None else abs(change.delta)
    return Finding(text, section.anchor, kind), (0.0 if kind == "stabil" else weight)


def _target_finding(status: Any, catalog: Catalog) -> Finding:
    label = STATUS_LABELS.get(status.status, status.status)
    title = status.ziel_titel or (
        catalog[status.indikator].titel if status.indikator in catalog else status.indikator
    )
    text = f"Ziel „{title}“ ({status.indikator}): Ampel {label}. {status.begruendung}"
    return Finding(text, f"ind-{status.indikator}", f"ziel-{status.status}")


def build_report(
    values: pl.DataFrame,
    catalog: Catalog,
    ags: str,
    year: int,
    *,
    kreistyp: str | None = None,
    target_statuses: Iterable[Any] = (),
    static_charts: bool = True,
    progress: Progress | None = None,
) -> Report:
    """Assemble the report model for region ``ags`` with data up to ``year``."""
    region = region_context(values, ags, kreistyp=kreistyp)
    data = ReportData(values, region, year)
    builder = SectionBuilder(data, static_charts=static_charts)
    statuses = {s.indikator: s for s in target_statuses}
    by_area = catalog.by_area()

    def step(message: str) -> None:
        if progress is not None:
            progress(message)

    chapters: list[Chapter] = []
    for letter in CHAPTER_AREAS:
        sections = []
        for ind in by_area.get(letter, []):
            step(f"{ind.id} {ind.short_title}")
            section = builder.section(ind)
            section.target = statuses.get(ind.id)
            sections.append(section)
        chapters.append(
            Chapter(
                id=f"kap-{letter}",
                letter=letter,
                title=AREAS[letter],
                intro=_chapter_intro(letter, sections, region.name),
                sections=sections,
            )
        )
    focus_inds = [catalog[i] for i in FOCUS_IDS if i in catalog]
    focus: Chapter | None = None
    if focus_inds:
        focus_sections = []
        for ind in focus_inds:
            step(f"Schwerpunkt {ind.id}")
            section = builder.section(ind, disaggregations=True)
            section.anchor = f"schwerpunkt-{ind.id}"
            # The indicator also has its section in its area chapter: keep HTML ids unique.
            for figure in section.figures:
                figure.id = f"schwerpunkt-{figure.id}"
            section.target = statuses.get(ind.id)
            focus_sections.append(section)
        focus = Chapter(
            id="kap-schwerpunkt",
            letter="S",
            title=f"Schwerpunkt: {FOCUS_TITLE}",
            intro=(
                "Der Schwerpunkt betrachtet, wie viele junge Menschen die Schule ohne Ersten "
                "Schulabschluss verlassen – gemessen an allen Abgängen und an der gleichaltrigen "
                "Bevölkerung – und welche Kompetenzstufen die Schülerinnen und Schüler in den "
                "Lernstandserhebungen erreichen, jeweils mit ihren Aufgliederungen."
            ),
            sections=focus_sections,
        )
    area_sections = [s for c in chapters for s in c.sections]
    ranked: list[tuple[Finding, float]] = []
    for section in area_sections:
        found = _change_finding(section, data)
        if found is not None:
            ranked.append(found)
    notable = sorted((f for f in ranked if f[1] > 0), key=lambda f: -f[1])[:6]
    findings = [f for f, _ in notable]
    target_findings = [_target_finding(s, catalog) for s in statuses.values()]
    challenges = [f for f in target_findings if f.kind in ("ziel-rot", "ziel-gelb")]
    challenged = {f.anchor for f in challenges}
    for section in area_sections:
        if section.change_assessment == "unguenstig" and section.anchor not in challenged:
            text = section.change_text + " " + section.comparison
            challenges.append(Finding(text, section.anchor, "unguenstig"))
    glossary = list(catalog)
    appendix: list[tuple[Indicator, DataTable]] = []
    for ind in catalog:
        if ind.bereich not in CHAPTER_AREAS:
            continue
        table = builder.appendix_table(ind)
        if table is not None:
            appendix.append((ind, table))
    step("Abbildungen zeichnen")
    builder.render_static()
    used = [s.indicator for s in area_sections]
    sources = sorted({ind.quelle for ind in used})
    reference_dates = sorted({(ind.stichtag, ind.zeitbezug) for ind in used})
    return Report(
        region=region,
        year=year,
        title=f"Bildungsbericht {region.name}",
        subtitle=f"Berichtsjahr {year}",
        created=date.today().strftime("%d.%m.%Y"),
        chapters=chapters,
        focus=focus,
        findings=findings,
        target_findings=target_findings,
        challenges=challenges,
        glossary=glossary,
        appendix=appendix,
        sources=sources,
        reference_dates=[
            (d, "Schuljahr" if z == "schuljahr" else "Jahr") for d, z in reference_dates
        ],
        figure_count=builder.figure_count,
        table_count=builder.table_count,
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bimo.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["AREAS"] = AREAS
    env.globals["UNIT_LABELS"] = UNIT_LABELS
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    env.globals["TOTAL_MERKMAL"] = TOTAL_MERKMAL
    env.filters["year_label"] = year_label
    return env


def render_html(report: Report, *, mode: str) -> str:
    """Render the report; ``mode`` = ``html`` (interactive charts) or ``pdf`` (static SVG)."""
    if mode not in ("html", "pdf"):
        raise ValueError(mode)
    template = _environment().get_template("bildungsbericht.html.j2")
    locale = json.dumps(vega_format_locale(), ensure_ascii=False)
    return template.render(
        report=report, mode=mode, css=_css() if mode == "pdf" else "", format_locale=locale
    )


def _static_dir() -> Path:
    return Path(__file__).parent / "static"


def _css() -> str:
    return (_static_dir() / "report.css").read_text(encoding="utf-8")


def copy_assets(out_dir: Path) -> Path:
    """Copy CSS, the chart script and the vendored Vega runtime to ``out_dir/assets``."""
    assets = out_dir / "assets"
    if assets.exists():
        shutil.rmtree(assets)
    shutil.copytree(
        _static_dir(), assets, ignore=shutil.ignore_patterns("README.md", "__pycache__")
    )
    return assets


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write ``bildungsbericht.html`` (+ assets) and ``bildungsbericht.pdf`` to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(out_dir)
    html_path = out_dir / "bildungsbericht.html"
    html_path.write_text(render_html(report, mode="html"), encoding="utf-8")
    pdf_path = render_pdf(
        render_html(report, mode="pdf"), out_dir / "bildungsbericht.pdf", base_url=out_dir
    )
    return html_path, pdf_path
